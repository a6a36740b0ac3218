"""ExoClick's receiving side: the Conversion Tracking API (``tag.php?goal=&tag=``).

Docs: https://docs.exoclick.com/docs/conversion-tracking-api/
Also: https://docs.exoclick.com/docs/conversion-tracking/
and https://docs.exads.com/docs/conversion-tracking-api (EXADS, the same API)

ExoClick is a traffic source; a tracker calls ``.../tag.php?goal=<goal id>&tag=
{conversions_tracking}`` with, when CPA bidding is on, ``cpa`` and ``skey``. Keys:
``goal`` (the 32-hex Goal ID created under Campaigns > Conversion Tracking), ``tag``
(the click: the value ExoClick put in the ``{conversions_tracking}`` token of the click
URL), ``cpa`` (the CPA bid at runtime, 0-100) and ``skey`` (the account's secret key).
Detection goes by these names; ``tag`` is the distinctive one.

Traps: ``goal`` is a fixed id per conversion goal, not an event label, so it is not
mapped; configure one source per goal if events must be told apart. ``cpa`` is a bid,
not a payout, and ``skey`` is a secret.

Not verified: the key of a dynamic conversion value (the goal form offers "Dynamic"
values and EXADS lists a "Goal value is invalid" error, but the key name could not be
read), so no payout key is declared.
"""

from plugins import Signature, hookimpl

EXOCLICK = Signature(
    id="exoclick",
    name="ExoClick",
    docs=(
        "https://docs.exoclick.com/docs/conversion-tracking-api/",
        "https://docs.exoclick.com/docs/conversion-tracking/",
        "https://docs.exads.com/docs/conversion-tracking-api",
    ),
    params={"click_id": ("tag",)},
    other_params=("goal", "cpa", "skey"),
    notes="goal is a fixed goal id; cpa is a bid and skey a secret, neither is a payout.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [EXOCLICK]
