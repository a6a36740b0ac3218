"""TUNE / HasOffers, affiliate side: the macros a TUNE network fills in its partners'
(affiliates') conversion URLs, ``{aff_sub}``, ``{transaction_id}``, ``{payout}``...

Docs:
https://support.tune.com/hc/en-us/articles/1500008248741-Passing-Values-to-a-Partner-Conversion-URL
https://support.tune.com/hc/en-us/articles/1500008230302-Partner-Sub-IDs-and-Macros
https://support.tune.com/hc/en-us/articles/17974300453143-Conversion-URL-s-for-Partners
https://support.appsflyer.com/hc/en-us/articles/207034806-TUNE-formerly-HasOffers-integration-with-AppsFlyer

Distinct from ``tune`` (TUNE's receiving side, where ``transaction_id`` is a parameter
*name*). The affiliate's click id comes back through ``{aff_click_id}`` (TUNE's
"partner click ID", meant for unique values) or, as most affiliates do, the partner
sub ids ``{aff_sub}``-``{aff_sub5}``; ``{aff_sub}`` is TUNE's own dialect and points at
it. ``{transaction_id}`` is the network's id of the click session ("don't get confused
with an ID an affiliate passes into aff_sub"): never the hub's click id, mapped as the
conversion id (one conversion per session and goal, so keep ``{goal_id}`` in the URL).

Verified on TUNE's pages: ``{aff_sub}``-``{aff_sub5}``, ``{aff_click_id}``, ``{source}``,
``{transaction_id}``, ``{affiliate_id}``, ``{offer_id}``, ``{offer_file_id}``,
``{ios_ifa}``, ``{google_aid}``. The macro table at the bottom of TUNE's page was not
readable; ``{payout}`` (amount paid to the affiliate), ``{sale_amount}`` (the
advertiser's sale), ``{currency}`` (3-letter), ``{goal_id}``, ``{adv_sub}``, ``{ip}``,
``{session_ip}``, ``{date}``, ``{time}``, ``{datetime}``, ``{ran}``, ``{device_id}`` and the
offer/affiliate name macros come from the HasOffers affiliate panel's variable list as
published in public code, and are less certain. Whether ``{currency}`` is the payout's
or the sale's currency is not stated; it is mapped to the payout. No status or user
macro is known (TUNE fires partner URLs for approved conversions).
"""

from plugins import Signature, hookimpl

AFF_SUBS = ("aff_sub", "aff_sub2", "aff_sub3", "aff_sub4", "aff_sub5")

TUNE_AFFILIATE = Signature(
    id="tune_affiliate",
    name="TUNE / HasOffers (affiliate postback)",
    docs=(
        "https://support.tune.com/hc/en-us/articles/"
        "1500008248741-Passing-Values-to-a-Partner-Conversion-URL",
        "https://support.tune.com/hc/en-us/articles/1500008230302-Partner-Sub-IDs-and-Macros",
        "https://support.tune.com/hc/en-us/articles/17974300453143-Conversion-URL-s-for-Partners",
        "https://support.appsflyer.com/hc/en-us/articles/"
        "207034806-TUNE-formerly-HasOffers-integration-with-AppsFlyer",
    ),
    macros={
        "click_id": ("aff_click_id", *AFF_SUBS),
        "event_type": ("goal_id",),
        "transaction_id": ("transaction_id",),
        "payout_amount": ("payout",),
        "payout_currency": ("currency",),
        "gross_amount": ("sale_amount",),
    },
    other_macros=(
        "source",
        "offer_id",
        "offer_name",
        "offer_ref",
        "offer_url_id",
        "offer_file_id",
        "file_name",
        "affiliate_id",
        "affiliate_name",
        "affiliate_ref",
        "advertiser_id",
        "advertiser_ref",
        "adv_sub",
        "session_ip",
        "ip",
        "date",
        "time",
        "datetime",
        "ran",
        "device_id",
        "ios_ifa",
        "google_aid",
    ),
    distinctive=("aff_sub",),
    notes=(
        "{transaction_id} is the network's click session, not the hub's click: pass the "
        "hub's click id as aff_click_id or aff_sub and map it back from there."
    ),
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [TUNE_AFFILIATE]
