"""impact.com: partner Event Notification (postback) values, ``{PascalCase}``.

Docs:
https://help.impact.com/en/support/solutions/articles/155000000882-enable-action-clearing-events-notifications
https://integrations.impact.com/partner-api-reference/reference/webhooks
https://www.mrpostback.com/impact (third-party macro list)

Partners set an Event Notification URL (Settings > Technical > Event Notifications);
impact.com fills ``{Name}`` values: ``{ActionId}`` the action (conversion) id,
``{Status}`` its status (APPROVED / PENDING / REVERSED), ``{Payout}`` the partner's
payout, ``{Amount}`` the sale amount, ``{Currency}`` the currency,
``{ActionTrackerName}``/``{ActionType}`` the event type (program-defined names), plus
campaign, partner, date and delta/intended/original amount values. ``{SubId1}`` returns
the partner's ``subId1`` from the tracking link: pass the hub's click id there.

Traps: Action Lifecycle notifications fire when an action is tracked, modified or
reversed, so one ``{ActionId}`` arrives several times with a new ``{Status}``: status
changes of one conversion. The value names are PascalCase and treated as case
sensitive (``{SubId1}``, not ``{subid1}``).

Not verified from impact.com's own pages: ``{SubId1}`` and the case sensitivity (both
from the third-party list and tracker guides; the official sample shows only
campaign, action, status and amount values), ``{SubId2}``/``{SubId3}`` and
``{SharedId}`` (not declared), a customer-id value, and the literal values of
``{ActionType}`` (no event map).
"""

from plugins import Signature, hookimpl

IMPACT = Signature(
    id="impact",
    name="impact.com",
    docs=(
        "https://help.impact.com/en/support/solutions/articles/"
        "155000000882-enable-action-clearing-events-notifications",
        "https://integrations.impact.com/partner-api-reference/reference/webhooks",
        "https://www.mrpostback.com/impact",
    ),
    case_sensitive=True,
    macros={
        "click_id": ("SubId1",),
        "event_type": ("ActionTrackerName", "ActionType"),
        "status": ("Status",),
        "transaction_id": ("ActionId",),
        "payout_amount": ("Payout",),
        "payout_currency": ("Currency",),
        "gross_amount": ("Amount",),
    },
    other_macros=(
        "CampaignId",
        "CampaignName",
        "ActionTrackerId",
        "MediaPartnerId",
        "MediaPartnerName",
        "ReferringType",
        "StatusDetail",
        "AdId",
        "DeltaPayout",
        "IntendedPayout",
        "DeltaAmount",
        "IntendedAmount",
        "OriginalCurrency",
        "OriginalAmount",
        "EventDate",
        "CreationDate",
    ),
    status_map={"APPROVED": "approved", "PENDING": "pending", "REVERSED": "rejected"},
    notes="Values are case sensitive. One {ActionId} is re-sent on every status change.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [IMPACT]
