"""AdsBridge's receiving side: ``/trackpixel/track?tid={clickid}&amt={payout}&txid=...``.

Docs:
https://www.adsbridge.com/how-to-track-registrations-and-deposits-in-adsbridge-using-the-txid-parameter/
https://www.adsbridge.com/guide/user-menu/ (S2S postback template, ``tid=YOUR_NE...``)
https://www.adsbridge.com/guide/create-offer/ (``txid``: several conversions per click)

AdsBridge's keys: ``tid`` carries the click id, ``amt`` the payout, ``txid`` what
AdsBridge calls the "transaction type": several conversions under one click id are
told apart by it. AdsBridge's own example fills it with the network's event macro
(``txid={event_type}``, values such as ``reg``/``dep``), or hard-codes ``txid=reg`` and
``txid=dep`` in two postbacks.

Trap: ``txid`` is Voluum's, BeMob's and PeerClick's *transaction id*, but AdsBridge's
conversion *type*. It is mapped as the event: used as a transaction id, every
``txid=reg`` of a source would collapse into one conversion. ``tid`` is Keitaro's
transaction key; here it is the click.

Not verified: a currency or status key (the user-menu page is cut off after ``tid``).
"""

from plugins import Signature, hookimpl

ADSBRIDGE = Signature(
    id="adsbridge",
    name="AdsBridge",
    docs=(
        "https://www.adsbridge.com/"
        "how-to-track-registrations-and-deposits-in-adsbridge-using-the-txid-parameter/",
        "https://www.adsbridge.com/guide/user-menu/",
        "https://www.adsbridge.com/guide/create-offer/",
    ),
    params={
        "click_id": ("tid",),
        "payout_amount": ("amt",),
        "event_type": ("txid",),
    },
    event_map={"reg": "registration", "dep": "deposit"},
    notes="txid is a conversion type here (reg/dep), not a transaction id.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [ADSBRIDGE]
