"""Dr.Cash: the only public Dr.Cash postback text, its advertiser-side postback shape.

Docs: none found. Source: https://pastebin.com/0iZRzFJ2 (an advertiser's Dr.Cash
postback templates, ``advertiser.drcash.me/v1/postback?access_token=...&status=new&
tracking_uuid=<bannerid>&transaction_id=<orderid>&payout=<payout>``, one URL per status
new / approved / rejected).

What could NOT be verified: Dr.Cash's webmaster (affiliate) postback macros. Dr.Cash's
help pages are not public; public webmaster integrations show only that its order API
takes ``sub1``-``sub5`` and returns a ``uuid``. No Dr.Cash outgoing macro is declared.

Declared instead are the keys of Dr.Cash's receiving side, which a hub can be given in
the same shape: ``tracking_uuid`` (the click, Dr.Cash's lead uuid), ``transaction_id``
(the advertiser's order id), ``payout`` and ``status`` (``new``, ``approved``,
``rejected``); ``access_token`` is the caller's secret. The status values are taken
from the same paste. Trap: ``transaction_id`` is TUNE's click key but the order here.
"""

from plugins import Signature, hookimpl

DRCASH = Signature(
    id="drcash",
    name="Dr.Cash",
    docs=("https://pastebin.com/0iZRzFJ2",),
    params={
        "click_id": ("tracking_uuid",),
        "transaction_id": ("transaction_id",),
        "payout_amount": ("payout",),
        "status": ("status",),
    },
    other_params=("access_token",),
    status_map={"new": "pending", "approved": "approved", "rejected": "rejected"},
    notes="Unofficial source: Dr.Cash's webmaster postback macros are not public.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [DRCASH]
