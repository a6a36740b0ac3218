"""Keitaro's receiving side: the parameters Keitaro's own postback URL reads.

Docs: https://docs.keitaro.io/en/conversions/postback.html

The parameter names are Keitaro's (``subid``, ``status``, ``payout``, ``currency``,
``tid``); the values are whatever macros the sending network fills in, so detection
goes by parameter names here. ``status`` carries the conversion type (lead, sale,
rejected, rebill), which is our event; ``sale -> cpa`` and ``rebill -> deposit`` are
the hub's convention.
"""

from plugins import Signature, hookimpl

KEITARO = Signature(
    id="keitaro",
    name="Keitaro",
    docs=("https://docs.keitaro.io/en/conversions/postback.html",),
    params={
        "click_id": ("subid",),
        "event_type": ("status",),
        "status": ("status",),
        "transaction_id": ("tid",),
        "payout_amount": ("payout", "revenue"),
        "payout_currency": ("currency",),
    },
    other_params=(
        "cost",
        "return",
        "lead_status",
        "sale_status",
        "rejected_status",
        "ignore_status",
        *(f"sub_id_{n}" for n in range(1, 16)),
    ),
    event_map={"sale": "cpa", "lead": "unknown", "rejected": "unknown", "rebill": "deposit"},
    status_map={
        "lead": "pending",
        "sale": "approved",
        "rejected": "rejected",
        "rebill": "approved",
    },
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [KEITARO]
