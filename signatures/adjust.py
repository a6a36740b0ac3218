"""Adjust (app attribution): real-time callback placeholders, ``{curly}``.

Docs: https://help.adjust.com/en/article/event-callbacks
Also: https://help.adjust.com/en/article/ad-revenue-callbacks
and https://help.adjust.com/en/article/ad-spend-callbacks

Adjust calls the app owner's callback URLs with placeholders filled in. Recommended in
every callback: ``{gps_adid}``, ``{idfa}``, ``{idfv}``, ``{adid}`` (Adjust device id),
``{tracker}`` and ``{tracker_name}`` (the link; the examples write ``{link_token}`` and
``{link_name}``), ``{app_name}``, ``{activity_kind}`` (impression, click, install,
session, event, ...) and ``{created_at}``. Event callbacks: ``{event}`` (event token) and
``{event_name}``. Revenue: ``{revenue}`` (in cents), ``{currency}`` (original ISO 4217
code) and ``{revenue_float}`` (whole currency units), plus the ad revenue placeholders
``{ad_impressions_count}``, ``{ad_mediation_platform}``, ``{ad_revenue_placement}``,
``{ad_revenue_network}``, ``{ad_revenue_unit}``, ``{ad_revenue_payload}``. Ad spend:
``{cost_type}``, ``{cost_amount}``, ``{cost_currency}``, ``{reporting_cost}``,
``{cost_id_md5}``.

Traps: ``{revenue}`` is in cents, so only ``{revenue_float}`` is mapped as the amount;
it is the app's own revenue (a purchase, or ad revenue), hence the gross amount: there
is no affiliate payout in an Adjust callback. Event names can be renamed in the
dashboard while tokens cannot, so ``{event}`` is the fallback event field. There is no
network click id: ``{adid}`` identifies the device.

Not verified: a transaction-id placeholder for events, so none is declared.
"""

from plugins import Signature, hookimpl

ADJUST = Signature(
    id="adjust",
    name="Adjust",
    docs=(
        "https://help.adjust.com/en/article/event-callbacks",
        "https://help.adjust.com/en/article/ad-revenue-callbacks",
        "https://help.adjust.com/en/article/ad-spend-callbacks",
    ),
    macros={
        "event_type": ("event_name", "event"),
        "gross_amount": ("revenue_float",),
        "gross_currency": ("currency",),
    },
    other_macros=(
        "gps_adid",
        "idfa",
        "idfv",
        "adid",
        "tracker",
        "tracker_name",
        "link_token",
        "link_name",
        "app_name",
        "activity_kind",
        "created_at",
        "revenue",
        "ad_impressions_count",
        "ad_mediation_platform",
        "ad_revenue_placement",
        "ad_revenue_network",
        "ad_revenue_unit",
        "ad_revenue_payload",
        "cost_type",
        "cost_amount",
        "cost_currency",
        "reporting_cost",
        "cost_id_md5",
    ),
    notes="{revenue} is in cents: map {revenue_float} instead. No click id in callbacks.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [ADJUST]
