"""GeoSpot Media (GSM360) receiving side: the Events API ``v1/ev?tp=direct&bid_id=..``.

Docs: https://docs.geospotmedia.com/events-api-postback-url-integration/
Also: https://docs.geospot.media/en/articles/10006436-postback-url-post-install-events-integration
and https://docs.geospot.media/en/articles/10006437-tracking-macros-supported

GeoSpot Media is a DSP; advertisers send in-app/in-web events to
``https://api-events.geospotmedia.com/v1/ev`` with the documented query
``tp=direct&api_key={api_key}&idfa={IDFA}&gaid={GAID}&os={OS}&activity_kind=
{activity_kind}&package_name={app_package_name}&app_event={app_event}&event_items=
{event_items_JSON}&can_claim={0/1}&view_through={0/1}&bid_id={CLICK_ID}&ip=&
country_code=&city=&is_reengagement={0/1}&revenue_USD=&c0=&c1=&c2=``. ``bid_id``
("pass the click_id that was recorded when the user clicked on the ad") returns the
value of GeoSpot's ``{CONVERSION_ID}`` click macro (its sample click URL is
``...?bid_id={CONVERSION_ID}``); ``app_event`` is the event name (app_open,
registration, purchase...), ``revenue_USD`` the revenue amount in USD "for revenue
events only", ``api_key`` the account's key. Detection goes by these names.

Traps: ``activity_kind`` is the kind of record (event, install, impression), not the
event name; ``revenue_USD`` is the purchase revenue an event reports, read as the gross
amount (its currency is USD by name, with no currency key); ``country_code`` is the
event's country (``city`` is not); ``idfa``/``gaid`` are device ids, not the
advertiser's user id, and ``c0``-``c2`` are free pass-through values.

Not verified: a transaction-id key (none is listed), so none is declared.
"""

from plugins import Signature, hookimpl

GEOSPOT_MEDIA = Signature(
    id="geospot_media",
    name="GeoSpot Media (GSM360)",
    docs=(
        "https://docs.geospotmedia.com/events-api-postback-url-integration/",
        "https://docs.geospot.media/en/articles/10006436-postback-url-post-install-events-integration",
        "https://docs.geospot.media/en/articles/10006437-tracking-macros-supported",
    ),
    params={
        "click_id": ("bid_id",),
        "event_type": ("app_event",),
        "gross_amount": ("revenue_USD",),
        "country": ("country_code",),
    },
    other_params=(
        "tp",
        "api_key",
        "idfa",
        "gaid",
        "os",
        "activity_kind",
        "package_name",
        "event_items",
        "can_claim",
        "view_through",
        "ip",
        "city",
        "is_reengagement",
        "c0",
        "c1",
        "c2",
    ),
    notes="revenue_USD is in USD; bid_id returns GeoSpot's {CONVERSION_ID} click macro.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [GEOSPOT_MEDIA]
