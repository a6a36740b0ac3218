"""PeerClick's receiving side: ``pstb.peerclick.com/postback?cid={offer-source-macro}``.

Docs: https://help-center.peerclick.com/en/articles/10512589
Also: https://help.peerclick.com/docs/postback-url-secure-postback-url

PeerClick's keys: ``cid`` (the PeerClick click id, required), ``payout``, ``status``
(conversion types, including custom ones), ``txid`` (a unique transaction id per
conversion), ``currency``, ``conversion_id`` (a custom value "in any format", not an
id PeerClick relies on, so not mapped), ``paramN`` (custom values) and ``eventN``
(custom numeric event values).

Trap: ``cid``/``payout``/``txid`` are Voluum's and BeMob's keys too, ``status`` is
BeMob's and ``currency`` Voluum's. A URL with only those keys is genuinely ambiguous;
``conversion_id`` and ``eventN`` are PeerClick's own. PeerClick is not given Voluum's
and BeMob's REPLACE/OPTIONAL placeholders: its public pages do not show them.

Not verified: the range of N in ``paramN``/``eventN`` (the pages write "N"); 1-10 are
listed as the likely instances. No fixed event map: conversion types are user-defined.
"""

from plugins import Signature, hookimpl

PEERCLICK = Signature(
    id="peerclick",
    name="PeerClick",
    docs=(
        "https://help-center.peerclick.com/en/articles/10512589",
        "https://help.peerclick.com/docs/postback-url-secure-postback-url",
    ),
    params={
        "click_id": ("cid",),
        "event_type": ("status",),
        "payout_amount": ("payout",),
        "payout_currency": ("currency",),
        "transaction_id": ("txid",),
    },
    other_params=(
        "conversion_id",
        *(f"param{n}" for n in range(1, 11)),
        *(f"event{n}" for n in range(1, 11)),
    ),
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [PEERCLICK]
