"""BeMob's receiving side: ``cid=REPLACE&payout=OPTIONAL&txid=OPTIONAL&status=OPTIONAL``.

Docs: https://help.bemob.com/docs/creating-affiliate-network-manually

Same keys as Voluum (``cid``, ``payout``, ``txid``) plus ``status``, which carries the
conversion type; ``status`` without ``et`` or ``currency`` tells BeMob apart.
"""

from plugins import Signature, hookimpl

BEMOB = Signature(
    id="bemob",
    name="BeMob",
    docs=("https://help.bemob.com/docs/creating-affiliate-network-manually",),
    syntaxes=("WORD",),
    other_macros=("REPLACE", "OPTIONAL"),
    params={
        "click_id": ("cid",),
        "payout_amount": ("payout",),
        "transaction_id": ("txid",),
        "event_type": ("status",),
    },
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [BEMOB]
