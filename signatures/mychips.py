"""MAF / myChips offerwall: publisher S2S webhook (postback) macros.

Docs:
https://docs.mychips.io/reward-handling/webhook-s2s-postback
https://docs.mychips.io/reward-handling/rejected-s2s-webhook-postback
https://docs.mychips.io/reward-handling/deduction-s2s-webhook-postback
https://docs.mychips.io/reward-handling/iap-s2s-webhook-postback

The full macro list is only shown as a screenshot; the macros named in the pages' text
are ``{user_id}``, ``{payout}``, ``{user_payout}``, ``{user_payout_in_vc}``,
``{click_id}``, ``{event_name}``, ``{postback_id}``, ``{aff_sub1}``, ``{aff_sub2}``,
``{conversion_country}``, ``{conversion_time}``, ``{rejected_reason_id}`` and, for
in-app purchases, ``{event_value}``, ``{event_value_currency}``, ``{event_value_usd}``.
Public integrations also use ``{campaign_id}``, ``{campaign_name}``, ``{session_ip}``,
``{adunit_id}`` and ``{configured_event_id}`` (not on the official pages' text).

Traps: ``{user_payout_in_vc}`` is virtual currency and MAF says not to reward from it;
``{payout}`` is 0 on non-paying events of CPI-bidding offers and on rejected
postbacks, and is positive on deduction postbacks (configure those as their own URL).
``{postback_id}`` is read as the conversion id (one per event); ``{click_id}`` is
shared by all events of one click. ``{user_id}`` is the publisher's user, not a click.
``{conversion_country}`` is the conversion's country.

Not verified: a status macro (rejections and deductions are separate postback URLs,
told apart by ``{rejected_reason_id}``), and the currency of ``{payout}`` (USD is
implied by ``{event_value_usd}`` but not stated).
"""

from plugins import Signature, hookimpl

MYCHIPS = Signature(
    id="mychips",
    name="MAF / myChips",
    docs=(
        "https://docs.mychips.io/reward-handling/webhook-s2s-postback",
        "https://docs.mychips.io/reward-handling/rejected-s2s-webhook-postback",
        "https://docs.mychips.io/reward-handling/deduction-s2s-webhook-postback",
        "https://docs.mychips.io/reward-handling/iap-s2s-webhook-postback",
    ),
    macros={
        "click_id": ("click_id", "aff_sub1", "aff_sub2"),
        "event_type": ("event_name",),
        "transaction_id": ("postback_id",),
        "payout_amount": ("payout",),
        "gross_amount": ("event_value",),
        "gross_currency": ("event_value_currency",),
        "external_user_id": ("user_id",),
        "country": ("conversion_country",),
    },
    other_macros=(
        "user_payout",
        "user_payout_in_vc",
        "conversion_time",
        "rejected_reason_id",
        "event_value_usd",
        "campaign_id",
        "campaign_name",
        "session_ip",
        "adunit_id",
        "configured_event_id",
    ),
    notes="Rejected and deduction postbacks are separate URLs; payout is 0 on rejections.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [MYCHIPS]
