"""Smartico / The Affiliate Platform (TAP): ``{{macro}}`` pixels.

Docs: https://help.theaffiliateplatform.com/affiliate-platform/pixel-tool-postbacks-callbacks

``{{afp}}`` carries the affiliate's click id and ``{{registration_id}}`` the lead (the
player's registration, the same on every later event of that player, so it is not
mapped as a transaction id). The
official page shows only those two; ``{{customer_id}}``, ``{{first_deposit_amount}}``,
``{{deposit}}``, ``{{payout_currency}}``, ``{{campaign_id}}`` and ``{{brand_id}}`` come
from a third-party integration and are less certain. The trigger (Lead, Qualified Lead,
FTD, QFTD) is chosen per pixel: one Postback URL per event.
"""

from plugins import Signature, hookimpl

SMARTICO = Signature(
    id="smartico",
    name="Smartico / TAP",
    docs=(
        "https://help.theaffiliateplatform.com/affiliate-platform/pixel-tool-postbacks-callbacks",
    ),
    syntaxes=("{{x}}",),
    macros={
        "click_id": ("afp",),
        "external_user_id": ("customer_id",),
        "gross_amount": ("first_deposit_amount", "deposit"),
        "payout_currency": ("payout_currency",),
    },
    other_macros=("registration_id", "campaign_id", "brand_id"),
    event_map={"Lead": "registration", "Qualified Lead": "cpa", "FTD": "ftd", "QFTD": "qftd"},
    per_event_urls=True,
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [SMARTICO]
