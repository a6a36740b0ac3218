"""The request bodies of Keitaro's Admin API v1, loaded before the client sends them.

A body is loaded here for what a schema adds to the document's rules: conversions (a
number typed as text, a lower-case sort order, the older report dialect) and the checks the
document lacks (a password confirmation, a negative offset). The rules derived from the
document (``rules.py``) then judge the loaded body: they are the authority for required
fields, types and enums, and the client loads without the required flags. The flags stay,
equal to the document's, because the command line's examples send the required fields.
Only the documented fields are checked; any other field passes through untouched, because
Keitaro's objects carry many more fields than its document lists. ``load()`` returns a
plain JSON-ready dict holding only the keys given.
"""

from __future__ import annotations

from typing import Any

from marshmallow import (
    INCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)
from marshmallow.validate import OneOf

STATES = ["active", "disabled", "deleted"]
LIVE_OR_DELETED = ["active", "deleted"]
SHARE_STATES = ["active", "disabled"]
CONVERSION_STATUSES = ["lead", "sale", "rejected", "rebill"]
OLD_REPORT_DIALECT = {"dimensions": "grouping", "measures": "metrics"}


class Body(Schema):
    """A Keitaro body: known fields are checked, unknown ones pass through."""

    class Meta:
        unknown = INCLUDE


def _count() -> fields.Integer:
    return fields.Integer(validate=validate.Range(min=0))


class IdText(fields.String):
    """An id the document types as text (a campaign's or landing page's ``group_id``,
    though offers take an integer): 7 and "7" both load, and are sent as "7"."""

    def __init__(self, **kwargs: Any) -> None:
        digits = validate.Regexp(r"^[0-9]+$", error="must be a whole number (an id)")
        super().__init__(validate=digits, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        return super()._deserialize(value, attr, data, **kwargs)


# Nested shapes.


class Range(Body):
    """A report's period: ``from``/``to`` dates or a named ``interval`` such as "today"."""

    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String()
    timezone = fields.String()
    interval = fields.Raw()


class Filter(Body):
    """One condition of a report or log: ``{"name", "operator", "expression"}``."""

    name = fields.String(required=True)
    operator = fields.String(required=True)
    expression = fields.Raw()


class Sort(Body):
    """One sort key; the order may be given in any case and is sent upper-case."""

    name = fields.String(required=True)
    order = fields.String(required=True, validate=OneOf(["ASC", "DESC"]))

    @pre_load
    def _upper_order(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("order"), str):
            return {**data, "order": data["order"].upper()}
        return data


class S2SPostback(Body):
    """A campaign's server-to-server postback."""

    campaign_id = fields.Integer()
    id = fields.Integer()
    method = fields.String(validate=OneOf(["GET", "POST"]))
    statuses = fields.List(fields.String(validate=OneOf(CONVERSION_STATUSES)))
    url = fields.String()


class Placeholder(Body):
    """How a traffic source names one click parameter."""

    name = fields.String()
    placeholder = fields.String()
    alias = fields.String()


class SourceParameters(Body):
    """A traffic source's placeholder for each click parameter."""

    keyword = fields.Nested(Placeholder)
    cost = fields.Nested(Placeholder)
    currency = fields.Nested(Placeholder)
    external_id = fields.Nested(Placeholder)
    creative_id = fields.Nested(Placeholder)
    ad_campaign_id = fields.Nested(Placeholder)
    source = fields.Nested(Placeholder)
    sub_id_1 = fields.Nested(Placeholder)
    sub_id_2 = fields.Nested(Placeholder)
    sub_id_3 = fields.Nested(Placeholder)
    sub_id_4 = fields.Nested(Placeholder)
    sub_id_5 = fields.Nested(Placeholder)
    sub_id_6 = fields.Nested(Placeholder)
    sub_id_7 = fields.Nested(Placeholder)
    sub_id_8 = fields.Nested(Placeholder)
    sub_id_9 = fields.Nested(Placeholder)
    sub_id_10 = fields.Nested(Placeholder)
    sub_id_11 = fields.Nested(Placeholder)
    sub_id_12 = fields.Nested(Placeholder)
    sub_id_13 = fields.Nested(Placeholder)
    sub_id_14 = fields.Nested(Placeholder)
    sub_id_15 = fields.Nested(Placeholder)


class FilterCost(Body):
    """Which clicks new costs apply to, e.g. ``{"sub_id_1": "1,2,3", "source": "site.com"}``."""

    keyword = fields.String()
    cost = fields.String()
    currency = fields.String()
    external_id = fields.String()
    creative_id = fields.String()
    ad_campaign_id = fields.String()
    source = fields.String()
    sub_id_1 = fields.String()
    sub_id_2 = fields.String()
    sub_id_3 = fields.String()
    sub_id_4 = fields.String()
    sub_id_5 = fields.String()
    sub_id_6 = fields.String()
    sub_id_7 = fields.String()
    sub_id_8 = fields.String()
    sub_id_9 = fields.String()
    sub_id_10 = fields.String()
    sub_id_11 = fields.String()
    sub_id_12 = fields.String()
    sub_id_13 = fields.String()
    sub_id_14 = fields.String()
    sub_id_15 = fields.String()


class CostsPayload(Body):
    """One period of costs in ``clicks/update_costs``."""

    start_date = fields.String(required=True)
    end_date = fields.String(required=True)
    cost = fields.String(required=True)
    # Required by the document for each period, besides the body's own timezone and currency.
    timezone = fields.String(required=True)
    currency = fields.String(required=True)
    filters = fields.Nested(FilterCost)


class UserPreferences(Body):
    language = fields.String(validate=OneOf(["ru", "en"]))
    timezone = fields.String()


class StreamFilter(Body):
    """A flow's filter. Its ``payload`` is loaded as given; the document types it as a list
    of strings, and the rules hold a body to that."""

    id = fields.Integer()
    name = fields.String(required=True)
    mode = fields.String(required=True, validate=OneOf(["accept", "reject"]))
    payload = fields.Raw()


class StreamLanding(Body):
    landing_id = fields.Integer(required=True)
    share = fields.Integer(required=True)
    state = fields.String(validate=OneOf(SHARE_STATES))


class StreamOffer(Body):
    offer_id = fields.Integer(required=True)
    share = fields.Integer(required=True)
    state = fields.String(validate=OneOf(SHARE_STATES))


class StreamTrigger(Body):
    """A flow's trigger. The document requires ``stream_id``, so a new flow gets its
    triggers in an update, once it has an id."""

    id = fields.Integer()
    stream_id = fields.Integer(required=True)
    condition = fields.String(
        required=True, validate=OneOf(["not_respond", "always", "not_contains", "av_detected"])
    )
    target = fields.String(
        required=True, validate=OneOf(["stream", "landings", "offers", "selected_page"])
    )
    action = fields.String(
        required=True, validate=OneOf(["disable", "replace_url", "grab_from_page"])
    )
    selected_page = fields.String()
    pattern = fields.String()
    interval = fields.Integer()
    alternative_urls = fields.String()
    grab_from_page = fields.String()
    av_settings = fields.String()
    reverse = fields.Boolean()
    scan_page = fields.Boolean()


class FacebookProxy(Body):
    protocol = fields.String(validate=OneOf(["http", "https", "socks5"]))
    address = fields.String()
    port = fields.Integer()
    login = fields.String()
    password = fields.String()


# Bodies. Each create schema is its update schema with the document's required fields.


class AffiliateNetworkUpdate(Body):
    """PUT affiliate_networks/{id}."""

    name = fields.String()
    postback_url = fields.String()
    offer_param = fields.String()
    notes = fields.String()


class AffiliateNetworkCreate(AffiliateNetworkUpdate):
    """POST affiliate_networks."""

    name = fields.String(required=True)


class BotListValue(Body):
    """PUT botlist, POST botlist/add and botlist/exclude: IPs one a line."""

    value = fields.String(required=True)


class CampaignUpdate(Body):
    """PUT campaigns/{id}."""

    alias = fields.String()
    name = fields.String()
    type = fields.String(validate=OneOf(["position", "weight"]))
    state = fields.String(validate=OneOf(STATES))
    cookies_ttl = fields.Integer()
    cost_type = fields.String(validate=OneOf(["CPC", "CPUC", "CPM"]))
    cost_value = fields.Float()
    cost_currency = fields.String()
    cost_auto = fields.Boolean()
    group_id = IdText()
    bind_visitors = fields.String(allow_none=True)
    traffic_source_id = fields.Integer()
    parameters = fields.Nested(SourceParameters)
    token = fields.String()
    domain_id = fields.Integer()
    postbacks = fields.List(fields.Nested(S2SPostback))
    notes = fields.String()


class CampaignCreate(CampaignUpdate):
    """POST campaigns."""

    alias = fields.String(required=True)
    name = fields.String(required=True)


class CampaignCosts(Body):
    """POST campaigns/{id}/update_costs."""

    start_date = fields.String(required=True)
    end_date = fields.String(required=True)
    timezone = fields.String(required=True)
    cost = fields.String(required=True)
    currency = fields.String(required=True)
    only_campaign_uniques = fields.Boolean()
    filters = fields.Nested(FilterCost)


class CleanStats(Body):
    """POST clicks/clean."""

    start_date = fields.String(required=True)
    end_date = fields.String(required=True)
    campaign_id = fields.Integer()
    timezone = fields.String()


class LogQuery(Body):
    """The query of a click or conversion log."""

    range = fields.Nested(Range)
    limit = _count()
    offset = _count()
    columns = fields.List(fields.String())
    filters = fields.List(fields.Nested(Filter))
    sort = fields.List(fields.Nested(Sort))


class ClickLogQuery(LogQuery):
    """POST clicks/log."""


class ConversionLogQuery(LogQuery):
    """POST conversions/log."""


class ClickCosts(Body):
    """POST clicks/update_costs."""

    campaign_ids = fields.List(fields.Integer(), required=True)
    costs = fields.List(fields.Nested(CostsPayload), required=True)
    timezone = fields.String()
    currency = fields.String()
    only_campaign_uniques = fields.Integer(validate=OneOf([0, 1]))


class DomainUpdate(Body):
    """PUT domains/{id}."""

    name = fields.String()
    is_ssl = fields.Boolean()
    default_campaign_id = fields.Integer()
    state = fields.String(validate=OneOf(LIVE_OR_DELETED))
    wildcard = fields.Boolean()
    catch_not_found = fields.Boolean()
    ssl_redirect = fields.Boolean()
    allow_indexing = fields.Boolean()
    notes = fields.String()


class DomainCreate(DomainUpdate):
    """POST domains: the document requires ``is_ssl`` without describing it (a domain's
    update takes it as a boolean)."""

    name = fields.String(required=True)
    is_ssl = fields.Boolean(required=True)


class GroupUpdate(Body):
    """PUT groups/{id}."""

    name = fields.String()
    type = fields.String(validate=OneOf(["campaigns", "offers", "landings"]))


class GroupCreate(GroupUpdate):
    """POST groups."""

    name = fields.String(required=True)
    type = fields.String(required=True, validate=OneOf(["campaigns", "offers", "landings"]))


class FacebookIntegration(Body):
    """POST integrations/facebook and PUT integrations/facebook/{id}."""

    name = fields.String()
    ad_account_id = fields.String()
    token = fields.String()
    proxy_enabled = fields.Boolean()
    proxy = fields.Nested(FacebookProxy)


class FacebookCampaignLink(Body):
    """POST and DELETE integrations/facebook/{id}/campaign."""

    campaign_id = fields.Integer(required=True)


class LandingUpdate(Body):
    """PUT landing_pages/{id}."""

    name = fields.String()
    action_payload = fields.Raw()
    group_id = IdText()
    state = fields.String(validate=OneOf(STATES))
    landing_type = fields.String(validate=OneOf(["local", "external", "preloaded", "action"]))
    action_type = fields.String(
        validate=OneOf(["local_file", "http", "curl", "status404", "show_text", "show_html"])
    )
    url = fields.String()
    archive = fields.String()
    notes = fields.String()


class LandingCreate(LandingUpdate):
    """POST landing_pages."""

    name = fields.String(required=True)


class OfferUpdate(Body):
    """PUT offers/{id}."""

    name = fields.String()
    group_id = fields.Integer()
    offer_type = fields.String()
    action_type = fields.String()
    action_payload = fields.Raw()
    affiliate_network_id = fields.Integer()
    payout_value = fields.Float()
    payout_currency = fields.String()
    payout_type = fields.String(validate=OneOf(["CPA", "CPC"]))
    state = fields.String(validate=OneOf(LIVE_OR_DELETED))
    payout_auto = fields.Boolean()
    payout_upsell = fields.Boolean()
    country = fields.List(fields.String())
    notes = fields.String()
    archive = fields.String()
    conversion_cap_enabled = fields.Boolean()
    daily_cap = fields.Float()
    conversion_timezone = fields.String()
    alternative_offer_id = fields.Integer()


class OfferCreate(OfferUpdate):
    """POST offers."""

    name = fields.String(required=True)


class ReportQuery(Body):
    """POST report/build, in either dialect; loaded, it is always ``grouping``/``metrics``."""

    range = fields.Nested(Range)
    grouping = fields.List(fields.String())
    metrics = fields.List(fields.String())
    dimensions = fields.List(fields.String())
    measures = fields.List(fields.String())
    filters = fields.List(fields.Nested(Filter))
    sort = fields.List(fields.Nested(Sort))
    limit = _count()
    offset = _count()
    summary = fields.Boolean()

    @validates_schema
    def _one_dialect(self, data: dict[str, Any], **kwargs: Any) -> None:
        old = [key for key in OLD_REPORT_DIALECT if key in data]
        new = [key for key in OLD_REPORT_DIALECT.values() if key in data]
        if old and new:
            raise ValidationError(
                "Use either grouping/metrics (documented) or dimensions/measures (older "
                f"trackers), not both: got {', '.join(new + old)}."
            )

    @post_load
    def _documented_dialect(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        for old, new in OLD_REPORT_DIALECT.items():
            if old in data:
                data[new] = data.pop(old)
        return data


class LabelsUpdate(Body):
    """POST report/labels: ``items`` maps each value of ``ref_name`` to its label."""

    campaign_id = fields.Integer(required=True)
    ref_name = fields.String(required=True)
    items = fields.Dict(keys=fields.String(), required=True)


class StreamUpdate(Body):
    """PUT streams/{id}."""

    campaign_id = fields.Integer()
    type = fields.String(validate=OneOf(["forced", "regular", "default"]))
    name = fields.String()
    position = fields.Integer()
    weight = fields.Float()
    action_options = fields.Dict()
    comments = fields.String()
    state = fields.String(validate=OneOf(STATES))
    action_type = fields.String()
    schema = fields.String(validate=OneOf(["landings", "redirect", "action"]))
    collect_clicks = fields.Boolean()
    filter_or = fields.Boolean()
    filters = fields.List(fields.Nested(StreamFilter))
    triggers = fields.List(fields.Nested(StreamTrigger))
    landings = fields.List(fields.Nested(StreamLanding))
    offers = fields.List(fields.Nested(StreamOffer))


class StreamCreate(StreamUpdate):
    """POST streams."""

    campaign_id = fields.Integer(required=True)
    type = fields.String(required=True, validate=OneOf(["forced", "regular", "default"]))
    name = fields.String(required=True)
    action_type = fields.String(required=True)
    schema = fields.String(required=True, validate=OneOf(["landings", "redirect", "action"]))


class TrafficSourceUpdate(Body):
    """PUT traffic_sources/{id}."""

    name = fields.String()
    postback_url = fields.String()
    postback_statuses = fields.List(fields.String())
    template_name = fields.String()
    accept_parameters = fields.Boolean()
    parameters = fields.Nested(SourceParameters)
    notes = fields.String()
    state = fields.String()
    traffic_loss = fields.Float()


class TrafficSourceCreate(TrafficSourceUpdate):
    """POST traffic_sources: the document requires no field."""


class UserUpdate(Body):
    """PUT users/{id}."""

    login = fields.String()
    type = fields.String(validate=OneOf(["USER", "ADMIN"]))
    new_password = fields.String()
    new_password_confirmation = fields.String()
    keyCount = fields.Integer()
    preferences = fields.Nested(UserPreferences)

    @validates_schema
    def _passwords_match(self, data: dict[str, Any], **kwargs: Any) -> None:
        given = "new_password" in data and "new_password_confirmation" in data
        if given and data["new_password"] != data["new_password_confirmation"]:
            raise ValidationError("Does not match new_password.", "new_password_confirmation")


class UserCreate(UserUpdate):
    """POST users."""

    login = fields.String(required=True)
    type = fields.String(required=True, validate=OneOf(["USER", "ADMIN"]))
    new_password = fields.String(required=True)
    new_password_confirmation = fields.String(required=True)


class UserAccess(Body):
    """PUT users/{id}/access."""

    access_data = fields.Raw()


BODIES: dict[str, type[Body]] = {
    cls.__name__: cls
    for cls in (
        AffiliateNetworkCreate,
        AffiliateNetworkUpdate,
        BotListValue,
        CampaignCreate,
        CampaignUpdate,
        CampaignCosts,
        CleanStats,
        ClickLogQuery,
        ClickCosts,
        ConversionLogQuery,
        DomainCreate,
        DomainUpdate,
        GroupCreate,
        GroupUpdate,
        FacebookIntegration,
        FacebookCampaignLink,
        LandingCreate,
        LandingUpdate,
        OfferCreate,
        OfferUpdate,
        ReportQuery,
        LabelsUpdate,
        StreamCreate,
        StreamUpdate,
        TrafficSourceCreate,
        TrafficSourceUpdate,
        UserCreate,
        UserUpdate,
        UserAccess,
    )
}
