"""Voluum's receiving side: ``cid=REPLACE&payout=OPTIONAL&txid=OPTIONAL``.

Docs: https://doc.voluum.com/en/submitting_postback_url.html

Voluum's keys: ``cid`` (required), ``payout``, ``txid``, ``currency``, ``et`` (custom
conversion event type, user-defined names), ``param1``-``param5``. Users copy the
template with the literal placeholders REPLACE and OPTIONAL before substituting the
network's macros. BeMob and PeerClick share ``cid``/``payout``/``txid``; ``et`` and
``currency`` tell Voluum apart.
"""

from plugins import Signature, hookimpl

VOLUUM = Signature(
    id="voluum",
    name="Voluum",
    docs=("https://doc.voluum.com/en/submitting_postback_url.html",),
    syntaxes=("WORD",),
    other_macros=("REPLACE", "OPTIONAL"),
    params={
        "click_id": ("cid",),
        "payout_amount": ("payout",),
        "transaction_id": ("txid",),
        "payout_currency": ("currency",),
        "event_type": ("et",),
    },
    other_params=tuple(f"param{n}" for n in range(1, 6)),
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [VOLUUM]
