"""Torox (formerly OfferToro) offer wall: "custom parameter" postback macros, ``{curly}``.

Docs: https://www.offertoro.com/docs/postback

Two forms: the "minimal parameter postback" appends ``OID=..&user_id=..&Amount=..`` to
the publisher's URL by itself; the "custom parameter postback" lets the publisher place
the data under their own names with macros, e.g. ``?YourParmater1={id}&
YourParamater2={oid}``. Parameters passed on every postback: ``id`` (the ID of the
conversion), ``oid`` (the converted offer, recommended for fraud checks), ``amount``
(what the user should receive, in the app's own currency), ``currency_name`` and
``user_id`` (the publisher's user from the wall integration; Torox also calls it its
main click id parameter), plus an MD5 signature of oid, user_id and the placement key.

Traps: ``{amount}`` is virtual currency, not money. ``{user_id}`` identifies the wall's
user, so it is read as the external user id, not the hub's click. Only the custom form
can be recognised: the minimal one has no macros and generic names.

Not verified: a USD payout macro and the signature parameter's name (the stored copy of
the list stops after ``user_id``), and how ``subid1``-``subid3`` come back; none is
declared.
"""

from plugins import Signature, hookimpl

TOROX = Signature(
    id="torox",
    name="Torox (OfferToro)",
    docs=("https://www.offertoro.com/docs/postback",),
    macros={
        "transaction_id": ("id",),
        "external_user_id": ("user_id",),
    },
    other_macros=("oid", "amount", "currency_name"),
    notes="{amount} is the user's virtual currency; add {oid} to check the converted offer.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [TOROX]
