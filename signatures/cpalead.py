"""CPAlead: publisher postback macros (offerwall and offers).

Docs: https://www.cpalead.com/en/postback/documentation
Also: https://www.cpalead.com/documentation/postback/index.php
and https://www.cpalead.com/blog/tutorials/how-to-setup-postback-for-cpalead-offerwall

Tracking links take ``subid``, ``subid2`` and ``subid3`` ("your own user ID, wallet ID,
transaction ID, or click reference"), which come back as ``{subid}``, ``{subid2}`` and
``{subid3}``. The recommended starter macros are ``{subid}``, ``{lead_id}`` (unique per
conversion: "store {lead_id} for idempotency"), ``{campaign_id}``, ``{campaign_name}``,
``{payout}`` and ``{password}`` (the postback password, to authenticate the call); for
event-based offers ``{event_name}`` and ``{event_payout}``.

Traps: ``{subid}`` is whatever the publisher passed; the hub's click id travels there.
``{password}`` is a secret. ``{event_payout}`` is the payout of the one event,
``{payout}`` the conversion's.

Not verified: the rest of the macro table (country, IP, device ids and virtual currency
are mentioned as "optional values" but their macro names could not be read), a status
or reversal macro and the payout currency, so none is declared.
"""

from plugins import Signature, hookimpl

CPALEAD = Signature(
    id="cpalead",
    name="CPAlead",
    docs=(
        "https://www.cpalead.com/en/postback/documentation",
        "https://www.cpalead.com/documentation/postback/index.php",
        "https://www.cpalead.com/blog/tutorials/how-to-setup-postback-for-cpalead-offerwall",
    ),
    macros={
        "click_id": ("subid", "subid2", "subid3"),
        "transaction_id": ("lead_id",),
        "event_type": ("event_name",),
        "payout_amount": ("payout",),
    },
    other_macros=("campaign_id", "campaign_name", "password", "event_payout"),
    distinctive=("lead_id",),
    notes="{password} authenticates the call; the payout currency is not stated.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [CPALEAD]
