"""Terraleads (nutra CPA): postback macros ``{sub_id_1}``, ``{payment}``, ``{status}``.

Docs: https://docs.bemob.com/en/terraleads-settings

Terraleads' own postback documentation sits behind its affiliate login; BeMob's preset
for it shows the macros it fills: ``postback?cid={sub_id_1}&payout={payment}&
txid=OPTIONAL&status={status}``. ``{sub_id_1}`` returns the tracker's click id passed as
the first sub id, ``{payment}`` the webmaster's payment and ``{status}`` the lead's
status (BeMob ships status values for it in its template).

Traps: a lead posts again when its status changes (nutra COD leads are confirmed or
rejected after the call centre), so ``{status}`` is the status field; no lead-id macro
is shown, so the hub de-duplicates by fingerprint.

Not verified: the status values themselves, a lead or transaction id macro, a currency
macro, and the other sub ids (``{sub_id_2}``...), so none is declared.
"""

from plugins import Signature, hookimpl

TERRALEADS = Signature(
    id="terraleads",
    name="Terraleads",
    docs=("https://docs.bemob.com/en/terraleads-settings",),
    macros={
        "click_id": ("sub_id_1",),
        "payout_amount": ("payment",),
        "status": ("status",),
    },
    notes="Status values are Terraleads' own: map them per source.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [TERRALEADS]
