"""Affonso: affiliate postback URL placeholders.

Docs: https://affonso.io/help/for-affiliates/postback-urls
Also: https://affonso.io/changelog/postback-urls-for-affiliates

Affiliates pick events (``referral.lead``, ``referral.converted``, ``sale.created``,
``commission.created``) and a GET URL with placeholders: ``{event_type}``,
``{referral_id}`` (ref_abc123), ``{tracking_id}`` (the affiliate's link code, "john"),
``{affiliate_id}``, ``{status}`` (CONVERTED), ``{sale_amount}``, ``{sale_currency}``,
``{commission_amount}``, ``{commission_currency}``, ``{transaction_id}`` and
``{timestamp}`` (ISO 8601).

Traps: there is no click-id or sub-id placeholder; ``{referral_id}`` identifies the
referred customer and is read as the external user. ``{status}`` is the referral's
state (CONVERTED), not an approval, so it is not mapped as a status.
``{commission_amount}`` is the affiliate's payout, ``{sale_amount}`` the gross. The
event map is the hub's convention: a lead is a registration, a conversion a CPA.

Not verified: the full list of ``{status}`` values and whether ``{transaction_id}`` is
set on referral events, so neither is relied on.
"""

from plugins import Signature, hookimpl

AFFONSO = Signature(
    id="affonso",
    name="Affonso",
    docs=(
        "https://affonso.io/help/for-affiliates/postback-urls",
        "https://affonso.io/changelog/postback-urls-for-affiliates",
    ),
    macros={
        "event_type": ("event_type",),
        "transaction_id": ("transaction_id",),
        "payout_amount": ("commission_amount",),
        "payout_currency": ("commission_currency",),
        "gross_amount": ("sale_amount",),
        "gross_currency": ("sale_currency",),
        "external_user_id": ("referral_id",),
    },
    other_macros=("tracking_id", "affiliate_id", "status", "timestamp"),
    event_map={
        "referral.lead": "registration",
        "referral.converted": "cpa",
        "sale.created": "unknown",
        "commission.created": "unknown",
    },
    notes="No click-id placeholder: match conversions by referral_id.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [AFFONSO]
