"""AdCombo (nutra COD): ``{clickid}``, ``{revenue}``, ``{trans_id}``, ``{status}``.

Docs: https://docs.keitaro.io/en/conversions-and-postback/integration-with-affiliate-networks/adcombo.html

``{status}`` carries the lead's state (hold while the call centre works on it, then
confirmed, reject, trash or cancelled); a confirmed lead is the paid action (``cpa``).
Lead ids repeat on status changes, which the hub applies as status changes. No currency
macro: AdCombo pays in USD, so set the source's default currency.
"""

from plugins import Signature, hookimpl

ADCOMBO = Signature(
    id="adcombo",
    name="AdCombo",
    docs=(
        "https://docs.keitaro.io/en/conversions-and-postback/integration-with-affiliate-networks/adcombo.html",
    ),
    macros={
        "click_id": ("clickid",),
        "event_type": ("status",),
        "status": ("status",),
        "transaction_id": ("trans_id",),
        "payout_amount": ("revenue",),
    },
    other_macros=("offer_id", "subacc", "subacc2", "subacc3", "subacc4"),
    event_map={
        "confirmed": "cpa",
        "hold": "unknown",
        "reject": "unknown",
        "trash": "unknown",
        "cancelled": "unknown",
    },
    status_map={
        "hold": "pending",
        "confirmed": "approved",
        "reject": "rejected",
        "trash": "rejected",
        "cancelled": "rejected",
    },
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [ADCOMBO]
