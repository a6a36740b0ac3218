"""Skro's receiving side: ``postback?clickId=REQUIRED&payout=OPTIONAL&...``.

Docs: https://www.skro.eu (help centre page "Parameters in Postback URLs")

Default S2S postback URL: ``https://skrotrack.com/postback?clickId=REQUIRED&
payout=OPTIONAL&status=OPTINAL&transactionId=OPTIONAL`` (the misspelt ``OPTINAL`` is
Skro's own). Keys: ``clickId`` (Skro's click id, required), ``payout``, ``status`` and
``transactionId``. Users replace the REQUIRED/OPTIONAL placeholders with the network's
macros. ``transactionId`` and the REQUIRED placeholder tell Skro apart from Voluum,
BeMob and ClickFlare.

Not verified: what ``status`` carries (an approval state or a conversion type: the
stored copy of the page stops after ``clickId``), so it is declared as the status only
and no event field is mapped; no currency key is known.
"""

from plugins import Signature, hookimpl

SKRO = Signature(
    id="skro",
    name="Skro",
    docs=("https://www.skro.eu",),
    syntaxes=("WORD",),
    other_macros=("REQUIRED", "OPTIONAL"),
    params={
        "click_id": ("clickId",),
        "payout_amount": ("payout",),
        "transaction_id": ("transactionId",),
        "status": ("status",),
    },
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [SKRO]
