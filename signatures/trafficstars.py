"""TrafficStars' receiving side: ``tsyndicate.com/api/v1/cpa/action?clickid=..&key=..``.

Docs: https://trafficstars.com/faq/articles/how-to-set-up-tracking-conversions

TrafficStars is a traffic source; its generated S2S postback URL looks like
``https://tsyndicate.com/api/v1/cpa/action?clickid={externalid}&value={payout}&
allow_duplicates=1&key=<account key>`` (the example uses a tracker's tokens). Keys:
``clickid`` (TrafficStars' click id), ``key`` (the account's unique key), and in
"Advanced" mode ``value`` ("report your revenue from conversion"), ``price`` (the
conversion cost of CPA campaigns), ``lead_code`` (to report several conversions for one
click id) and ``allow_duplicates``. Detection goes by these names; ``key``,
``lead_code`` and ``allow_duplicates`` are TrafficStars' own.

Traps: ``value`` is the operator's revenue and is read as the payout; ``price`` is what
the conversion cost, not a payout, and is not mapped. ``lead_code`` tells apart the
conversions of one click and is read as the conversion id.

Not verified: a currency or event key, so none is declared.
"""

from plugins import Signature, hookimpl

TRAFFICSTARS = Signature(
    id="trafficstars",
    name="TrafficStars",
    docs=("https://trafficstars.com/faq/articles/how-to-set-up-tracking-conversions",),
    params={
        "click_id": ("clickid",),
        "payout_amount": ("value",),
        "transaction_id": ("lead_code",),
    },
    other_params=("key", "price", "allow_duplicates"),
    notes="value is the revenue to report; price is the CPA cost and is not mapped.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [TRAFFICSTARS]
