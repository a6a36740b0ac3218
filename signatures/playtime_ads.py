"""PlaytimeAds (offerwall): publisher postback macros.

Docs: https://docs.playtimeads.com/api-integration/setup-postback

Example: ``postback_file?clickId={clickId}&campaignId={campaignId}&campaignName=
{campaignName}&payout={payout}&signature={sig}&event={event}&sub1={sub1}...&sub10=
{sub10}&gaid={users_advertising_id}&clickIp={clickIpaddress}&clickDatetime=
{clickDatetime}&conversionDatetime={conversionDatetime}&timeZone={timeZone}``.
Macros: ``{clickId}`` ("the unique click ID you passed in the click URL"),
``{campaignId}``, ``{campaignName}``, ``{payout}`` ("total revenue earned from the
event"), ``{sig}`` (a hash to verify the call), ``{event}`` (the event or goal, e.g.
registration, level_completed), ``{sub1}``-``{sub10}``, ``{users_advertising_id}``,
``{clickIpaddress}``, ``{clickDatetime}``, ``{conversionDatetime}``, ``{timeZone}``.

Traps: there is no conversion-id macro, so repeated events of one click cannot be
de-duplicated by id; ``{event}`` tells them apart. Event names are per offer, so there is
no fixed event map. ``{sub1}``-``{sub10}`` are the publisher's own values.

Not verified: the currency of ``{payout}`` (the example shows 500, perhaps in the
publisher's currency) and any status or reversal macro; none is declared.
"""

from plugins import Signature, hookimpl

PLAYTIME_ADS = Signature(
    id="playtime_ads",
    name="PlaytimeAds",
    docs=("https://docs.playtimeads.com/api-integration/setup-postback",),
    macros={
        "click_id": ("clickId",),
        "event_type": ("event",),
        "payout_amount": ("payout",),
    },
    other_macros=(
        "campaignId",
        "campaignName",
        "sig",
        "users_advertising_id",
        "clickIpaddress",
        "clickDatetime",
        "conversionDatetime",
        "timeZone",
        *(f"sub{n}" for n in range(1, 11)),
    ),
    notes="No conversion id: events of one click are told apart by {event} only.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [PLAYTIME_ADS]
