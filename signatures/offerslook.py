"""Offerslook, affiliate side: the tracking parameters an Offerslook network fills in
its affiliates' postback URLs, ``{aff_sub1}``, ``{payout}``, ``{event_id}``.

Docs:
https://offerslook-api.gitbook.io/api-documentation/affiliate_api/offer_postbacks/create_postback_for_an_offer
http://support.offerslook.com/en/support/solutions/articles/14000014138-creating-an-offer
http://support.offerslook.com/en/support/solutions/articles/14000038808-adding-postback-url-s-on-affiliate-portal

The affiliate postback (global, per offer, per event) takes the "tracking parameters"
``{click_id}``, ``{offer_id}``, ``{event_id}``, ``{country_id}``, ``{aff_id}``,
``{adv_id}``, ``{adv_sub1}``-``{adv_sub3}``, ``{aff_sub1}``-``{aff_sub5}``,
``{source_id}``, ``{agent}``, ``{click_time}``, ``{payout}``, ``{referer}``,
``{accept_lan}``, ``{ip}``, ``{unique_click}``, ``{currency}``, ``{ios_idfa}``,
``{android_id}``, ``{google_aid}``, ``{conversion_ip}`` and ``{amount}``.

``{click_id}`` is Offerslook's own click id (generated when the user clicks), never the
hub's. The affiliate's click id travels in ``aff_sub1``-``aff_sub5`` ("we usually use
aff_sub1 as a parameter for affiliates/publishers collect clicks"). ``{payout}`` is "the
amount payable to publisher". ``{event_id}`` is the offer event's id (postbacks can be
set per event; event 1 is the default), mapped as the event.

``{country_id}`` is "the number the network assigned to which country the click comes
from": the network's own number, not an ISO code, so it is known but not mapped.

Not described on the pages: ``{currency}`` (mapped to the payout, the only documented
amount) and ``{amount}`` (kept unmapped). No status or conversion-id macro is listed.
"""

from plugins import Signature, hookimpl

AFF_SUBS = tuple(f"aff_sub{n}" for n in range(1, 6))

OFFERSLOOK = Signature(
    id="offerslook",
    name="Offerslook",
    docs=(
        "https://offerslook-api.gitbook.io/api-documentation/affiliate_api/offer_postbacks/"
        "create_postback_for_an_offer",
        "http://support.offerslook.com/en/support/solutions/articles/14000014138-creating-an-offer",
        "http://support.offerslook.com/en/support/solutions/articles/"
        "14000038808-adding-postback-url-s-on-affiliate-portal",
    ),
    macros={
        "click_id": AFF_SUBS,
        "event_type": ("event_id",),
        "payout_amount": ("payout",),
        "payout_currency": ("currency",),
    },
    other_macros=(
        "click_id",
        "offer_id",
        "country_id",
        "aff_id",
        "adv_id",
        "adv_sub1",
        "adv_sub2",
        "adv_sub3",
        "source_id",
        "agent",
        "click_time",
        "referer",
        "accept_lan",
        "ip",
        "unique_click",
        "ios_idfa",
        "android_id",
        "google_aid",
        "conversion_ip",
        "amount",
    ),
    notes=(
        "{click_id} is Offerslook's click id: pass the hub's click id as aff_sub1 on the "
        "tracking link and map it back from {aff_sub1}."
    ),
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [OFFERSLOOK]
