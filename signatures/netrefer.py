"""NetRefer (iGaming affiliate platform): postbacks not verifiable.

Docs: https://netrefer.com/faq

Verified: NetRefer offers "action tracking pixels" to affiliates (FAQ, tracking
methods). NetRefer's platform documentation is behind client logins.

Not verifiable: the pixel/postback placeholders (names, syntax), which one returns the
affiliate's click id, and any event, status, commission, currency, deposit or player-id
placeholder. Nothing is declared, so NetRefer is never recognised from a template. Add
the placeholders with a citation once a public page shows them.
"""

from plugins import Signature, hookimpl

DOCS = ("https://netrefer.com/faq",)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    """Nothing to register until the macros can be cited (see above)."""
    return []
