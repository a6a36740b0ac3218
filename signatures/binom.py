"""Binom's receiving side: ``click.php?cnv_id={clickid}&payout={payout}``.

Docs: https://docs.binom.org/postback-url.php
Also: https://docs.binom.org/payout-tracking-v2.php (``cnv_currency`` in the update format)

Binom's keys: ``cnv_id`` carries the click id (required), ``payout`` the revenue,
``cnv_status`` and ``cnv_status2`` free-form conversion statuses ("signup, checkout,
approve, reject etc"), ``cnv_currency`` the payout currency; ``to_offer`` and
``disable_postback=1`` steer Binom itself. The values are whatever macros the sending
network fills in, so detection goes by the parameter names.

``cnv_status`` mixes what the hub calls the event (signup, checkout) with the approval
state (approve, reject), so it is mapped as both; its values are user-defined, so there
is no fixed event map (``approve``/``reject`` are already understood as statuses).

Not verified: a transaction-id key (none is listed on the postback page) and the exact
path of newer Binom versions (a third-party guide says Binom 2 also answers
``/postback?clickid=``; the official page only shows ``click.php?cnv_id=``), and the
``eventN`` keys (documented only for the manual update form), so none are declared.
"""

from plugins import Signature, hookimpl

BINOM = Signature(
    id="binom",
    name="Binom",
    docs=(
        "https://docs.binom.org/postback-url.php",
        "https://docs.binom.org/payout-tracking-v2.php",
    ),
    params={
        "click_id": ("cnv_id",),
        "event_type": ("cnv_status",),
        "status": ("cnv_status",),
        "payout_amount": ("payout",),
        "payout_currency": ("cnv_currency",),
    },
    other_params=("cnv_status2", "to_offer", "disable_postback"),
    notes="cnv_status is free-form (signup, approve, reject...): map its values per source.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [BINOM]
