"""Income Access (Paysafe; iGaming affiliate platform): postbacks not verifiable.

Docs: http://incomeaccess.com/affiliate/affiliate-tracking-reporting-transparency/
(how Income Access tracks a player from the affiliate's link code to the reports).

Verified: player data reaches Income Access through the operator's data feed and
affiliates read it in the affiliate interface or its API reports. No public page in
reach shows Income Access's affiliate pixel or postback feature.

Not verifiable: the placeholder names and syntax of an Income Access postback, which one
returns the affiliate's click id, and any event, status, commission, currency, deposit or
player-id placeholder. Nothing is declared, so Income Access is never recognised from a
template. Add the placeholders with a citation once a public page shows them.
"""

from plugins import Signature, hookimpl

DOCS = ("http://incomeaccess.com/affiliate/affiliate-tracking-reporting-transparency/",)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    """Nothing to register until the macros can be cited (see above)."""
    return []
