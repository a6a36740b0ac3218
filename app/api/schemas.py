"""Every JSON shape of the API, in and out. The OpenAPI document is generated from these."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from app.core.countries import is_country_code
from app.core.field_errors import or_list
from app.core.money import is_currency
from app.core.offer import UnusableOfferURL, offer_parts
from app.core.sample import find_macros, parse_sample
from app.core.vocabulary import ATTRIBUTIONS, EVENTS, MAPPABLE_FIELDS, SOURCE_STATES, STATUSES
from app.models.types import MAX_INTEGER
from app.services.outbound import source_webhook_id
from app.services.sources import track_url

MAX_MAP_ENTRIES = 200
TOO_MANY_ENTRIES = f"must have at most {MAX_MAP_ENTRIES} entries"
NOT_A_CURRENCY = "must be an ISO 4217 currency code, such as USD or EUR"


def _vocabulary(choices: tuple[str, ...], noun: str) -> validate.OneOf:
    """A word of the hub's vocabulary, named with the words to use instead."""
    return validate.OneOf(choices, error=f"is not {noun}; use one of {or_list(choices)}")


EVENT = _vocabulary(EVENTS, "an event")
STATUS = _vocabulary(STATUSES, "a status")
MAPPABLE_FIELD = _vocabulary(MAPPABLE_FIELDS, "a canonical field")


def _http_url(value: str | None) -> None:
    if value is None:
        return
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise ValidationError(
            "is not a URL whose host can be read; write it as https://host/path"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(
            "must be an absolute URL starting with http:// or https://, such as "
            "https://example.com/path"
        )
    if any(ch.isspace() for ch in value):
        raise ValidationError("must not contain spaces or line breaks")


def _offer_url(value: str | None) -> None:
    _http_url(value)
    if value is not None:
        try:
            offer_parts(value)
        except UnusableOfferURL as exc:
            raise ValidationError(f"cannot be redirected to: {exc}") from None


class ErrorBodySchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(
        keys=fields.String(),
        metadata={"description": "field (its JSON key) -> sentences, each naming it"},
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


class SourceInSchema(Schema):
    """Create a source (``SourcePatchSchema`` changes one, with no field required)."""

    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=120),
        metadata={"example": "Acme Network"},
    )
    platform = fields.String(
        allow_none=True, validate=validate.Length(max=80), metadata={"example": "adcombo"}
    )
    field_map = fields.Dict(
        keys=fields.String(validate=MAPPABLE_FIELD),
        values=fields.String(allow_none=True, validate=validate.Length(max=128)),
        metadata={
            "description": "canonical field (or `status`) -> network parameter name",
            "example": {"click_id": "clickid", "event_type": "goal", "payout_amount": "sum"},
        },
    )
    event_map = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=255)),
        values=fields.String(validate=EVENT),
        metadata={
            "description": "network event label -> canonical event",
            "example": {"reg": "registration", "dep": "ftd"},
        },
    )
    status_map = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=255)),
        values=fields.String(validate=STATUS),
        metadata={
            "description": "network status label -> canonical status",
            "example": {"1": "approved", "0": "rejected"},
        },
    )
    default_currency = fields.String(allow_none=True, metadata={"example": "USD"})
    attribution_window_days = fields.Integer(
        validate=validate.Range(min=1, max=365), metadata={"example": 30}
    )
    rate_limit_per_minute = fields.Integer(
        allow_none=True, validate=validate.Range(min=1, max=1_000_000), metadata={"example": 600}
    )
    offer_url = fields.String(
        allow_none=True,
        validate=[validate.Length(max=4096), _offer_url],
        metadata={"example": "https://offer.example/landing?click={cid}"},
    )
    outbound_target_url = fields.String(
        allow_none=True,
        validate=[validate.Length(max=4096), _http_url],
        metadata={"example": "https://crm.example/hooks/conversions"},
    )
    state = fields.String(validate=validate.OneOf(SOURCE_STATES))

    @validates("name")
    def _name(self, value: str, **_: object) -> None:
        if not value.strip():
            raise ValidationError("must not be blank")

    @validates("default_currency")
    def _currency(self, value: str | None, **_: object) -> None:
        if value is not None and not is_currency(value.strip().upper()):
            raise ValidationError(NOT_A_CURRENCY)

    @validates_schema
    def _sizes(self, data: dict, **_: object) -> None:
        for name in ("event_map", "status_map"):
            if len(data.get(name) or {}) > MAX_MAP_ENTRIES:
                raise ValidationError(TOO_MANY_ENTRIES, name)

    def normalise(self, data: dict) -> dict:
        """Trimmed names, upper-case currency, blank parameter names kept as skips."""
        if "name" in data:
            data["name"] = data["name"].strip()
        if data.get("default_currency"):
            data["default_currency"] = data["default_currency"].strip().upper()
        if "field_map" in data:
            data["field_map"] = {k: (v or "").strip() for k, v in data["field_map"].items()}
        return data


class SourcePatchSchema(SourceInSchema):
    """Change some fields of a source: any of them, none required."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(partial=True, **kwargs)


class SourceOutSchema(Schema):
    id = fields.Integer()
    public_id = fields.String()
    name = fields.String()
    platform = fields.String(allow_none=True)
    field_map = fields.Dict(keys=fields.String(), values=fields.String())
    event_map = fields.Dict(keys=fields.String(), values=fields.String())
    status_map = fields.Dict(keys=fields.String(), values=fields.String())
    default_currency = fields.String(allow_none=True)
    attribution_window_days = fields.Integer()
    rate_limit_per_minute = fields.Integer(allow_none=True)
    offer_url = fields.String(allow_none=True)
    outbound_target_url = fields.String(allow_none=True)
    state = fields.String()
    track_url = fields.Function(
        lambda source: track_url(current_app.config["PBHUB_BASE_URL"], source),
        metadata={"description": "where ads send visitors; redirects to the offer URL"},
    )
    webhook_id = fields.Function(
        source_webhook_id,
        allow_none=True,
        metadata={"description": "the signed webhook that delivers to outbound_target_url"},
    )
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class SourceUrlsSchema(Schema):
    inbound_token = fields.String(metadata={"description": "shown on create and reveal only"})
    postback_url = fields.String()
    track_url = fields.String()


class RotatedTokenSchema(SourceUrlsSchema):
    previous_token_until = fields.DateTime(
        allow_none=True,
        metadata={"description": "the previous token is accepted until then; null: no grace"},
    )


class SourceWithSecretSchema(SourceOutSchema):
    """A source as saved, with the secret of the webhook that saving it created."""

    outbound_secret = fields.String(
        metadata={
            "description": "the signing secret (whsec_...) of the webhook to "
            "outbound_target_url; only in the answer that created the webhook"
        }
    )


class SourceCreatedSchema(SourceWithSecretSchema, SourceUrlsSchema):
    """A new source with its URLs: the inbound token is in this answer only."""


class SourceListSchema(Schema):
    items = fields.List(fields.Nested(SourceOutSchema))


class ConversionSchema(Schema):
    id = fields.Integer()
    source_id = fields.Integer()
    source_name = fields.String(attribute="source.name")
    received_at = fields.DateTime()
    updated_at = fields.DateTime()
    clicked_at = fields.DateTime(allow_none=True)
    attribution = fields.String()
    event_type = fields.String()
    raw_event = fields.String(allow_none=True)
    status = fields.String()
    raw_status = fields.String(allow_none=True)
    click_id = fields.String(allow_none=True)
    transaction_id = fields.String(allow_none=True)
    gross_amount = fields.Decimal(as_string=True, allow_none=True)
    gross_currency = fields.String(allow_none=True)
    payout_amount = fields.Decimal(as_string=True, allow_none=True)
    payout_currency = fields.String(allow_none=True)
    external_user_id = fields.String(allow_none=True)
    country = fields.String(
        allow_none=True,
        metadata={
            "description": "ISO 3166 alpha-2: the network's own value, else its click's country"
        },
    )
    duplicate_of_id = fields.Integer(allow_none=True)
    parse_notes = fields.List(fields.String())
    tracker = fields.Dict(
        allow_none=True,
        metadata={
            "description": "Keitaro's campaign, offer, traffic source and country of the "
            "imported click behind this conversion"
        },
    )


class StatusChangeSchema(Schema):
    changed_at = fields.DateTime()
    from_status = fields.String()
    to_status = fields.String()
    raw_status = fields.String(allow_none=True)
    raw_request = fields.Dict()


class RemapSchema(Schema):
    changed_at = fields.DateTime()
    changes = fields.Dict(metadata={"description": "field -> [old, new]"})


class ConversionDetailSchema(ConversionSchema):
    raw_request = fields.Dict()
    history = fields.List(fields.Nested(StatusChangeSchema))
    remaps = fields.List(
        fields.Nested(RemapSchema), metadata={"description": "re-maps of history, oldest first"}
    )


def _country(value: str) -> None:
    if not is_country_code(value.upper()):
        raise ValidationError("is not an ISO 3166 country code, such as DE or US")


#: Sources are keyed by a 32-bit INTEGER: a larger id is a mistake to name, not to query.
SOURCE_ID = validate.Range(min=1, max=MAX_INTEGER)
#: Timestamps the database can hold in UTC whatever the offset they were written with.
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC)


class ConversionQuerySchema(Schema):
    attribution = fields.String(validate=validate.OneOf(ATTRIBUTIONS))
    event_type = fields.String(validate=validate.OneOf(EVENTS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    source_id = fields.Integer(validate=SOURCE_ID)
    country = fields.String(
        validate=_country,
        metadata={"description": "ISO 3166 alpha-2 code, such as DE"},
    )
    since = fields.AwareDateTime(
        default_timezone=None,
        validate=validate.Range(min=EARLIEST, max=LATEST),
        metadata={"description": "ISO 8601 with a UTC offset"},
    )
    until = fields.AwareDateTime(
        default_timezone=None,
        validate=validate.Range(min=EARLIEST, max=LATEST),
        metadata={"description": "ISO 8601 with a UTC offset"},
    )
    cursor = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ConversionPageSchema(Schema):
    items = fields.List(fields.Nested(ConversionSchema))
    next_cursor = fields.String(allow_none=True)
    prev_cursor = fields.String(allow_none=True)


class StatsQuerySchema(Schema):
    window = fields.String(load_default="24h", validate=validate.OneOf(("15m", "1h", "24h", "7d")))
    source_id = fields.Integer(validate=SOURCE_ID)
    group_by = fields.String(
        validate=validate.OneOf(
            ("country",),
            error="must be country, the one grouping the stats know; leave it out for the "
            "totals alone",
        ),
        metadata={"description": "country: the figures per country too, under groups"},
    )


class MoneyRowSchema(Schema):
    currency = fields.String(allow_none=True)
    approved = fields.Decimal(as_string=True)
    pending = fields.Decimal(as_string=True)
    total = fields.Decimal(as_string=True)


class PayoutRowSchema(MoneyRowSchema):
    epc = fields.Decimal(as_string=True, metadata={"description": "total payout / clicks"})


class StatsGroupSchema(Schema):
    country = fields.String(
        allow_none=True, metadata={"description": "ISO 3166 alpha-2; null: no country known"}
    )
    clicks = fields.Integer()
    conversions = fields.Integer()
    payout = fields.List(
        fields.Nested(PayoutRowSchema),
        metadata={"description": "EPC is on this country's clicks"},
    )


class StatsSchema(Schema):
    window = fields.String()
    start = fields.DateTime(data_key="from")
    end = fields.DateTime(data_key="to")
    source_id = fields.Integer(allow_none=True)
    clicks = fields.Integer()
    conversions = fields.Integer()
    payout = fields.List(fields.Nested(PayoutRowSchema))
    gross = fields.List(fields.Nested(MoneyRowSchema))
    events = fields.Dict(keys=fields.String(), values=fields.Integer())
    group_by = fields.String(allow_none=True, metadata={"description": "as asked; null: none"})
    groups = fields.List(
        fields.Nested(StatsGroupSchema),
        allow_none=True,
        metadata={
            "description": "null without group_by; else one per country with a click or a "
            "counted conversion, most conversions first, then most clicks, then by code, "
            "no country after codes. They add up to the totals."
        },
    )


# -- signatures, detection, tickets -------------------------------------------------

MAX_URL = 8192
SIGNATURE_ID = validate.Regexp(
    r"^[a-z][a-z0-9_]{1,39}$",
    error="must be 2 to 40 lower-case letters, digits and underscores, starting with a "
    "letter, such as my_network",
)
PARAM_NAME = validate.Length(min=1, max=120)


def _postback_url(url: str) -> None:
    """Detection reads parameters and macros: a text with neither (a word, a pasted JSON
    body) is a slip to point out, not an unknown network to open a ticket for."""
    sample = parse_sample(url.strip())
    if not sample.params and not find_macros(urlsplit(url.strip()).path):
        raise ValidationError(
            "has no parameters; paste the network's postback URL with its parameters, "
            "such as https://hub.example/pb?clickid={clickid}&payout={payout}"
        )


POSTBACK_URL = validate.And(validate.Length(min=1, max=MAX_URL), _postback_url)


SAMPLE_POSTBACK = fields.String(
    allow_none=True,
    validate=POSTBACK_URL,
    metadata={
        "description": "a postback that arrived from this URL (values in place of macros): "
        "its values decide between candidates that the template alone cannot"
    },
)


#: What the operator pastes: a network's postback URL with its macros.
POSTBACK_URL_EXAMPLE = "https://hub.example/pb?clickid={clickid}&payout={payout}&goal={goal}"


class DetectInSchema(Schema):
    url = fields.String(
        required=True, validate=POSTBACK_URL, metadata={"example": POSTBACK_URL_EXAMPLE}
    )
    sample_postback = SAMPLE_POSTBACK


class FromDetectionInSchema(SourceInSchema):
    """A source's fields, with the platform and maps coming from the detection; a
    ``field_map`` or ``event_map`` given here is the operator's confirmation or correction
    of the detected one, field by field."""

    class Meta:
        exclude = ("platform", "status_map", "state")

    url = fields.String(
        required=True, validate=POSTBACK_URL, metadata={"example": POSTBACK_URL_EXAMPLE}
    )
    sample_postback = SAMPLE_POSTBACK
    signature_id = fields.String(allow_none=True, validate=validate.Length(max=40))


class FieldReadingSchema(Schema):
    param = fields.String(metadata={"description": "the parameter that carries the field"})
    confidence = fields.Float(metadata={"description": "0 to 1"})
    reason = fields.String()
    by = fields.String(metadata={"description": "signature or reader (the generic reader)"})


def _readings() -> fields.Dict:
    """``fields`` in JSON (the attribute name would shadow marshmallow's module)."""
    return fields.Dict(
        keys=fields.String(),
        values=fields.Nested(FieldReadingSchema),
        attribute="fields",
        data_key="fields",
        metadata={"description": "per field: its parameter, confidence and reason"},
    )


class ReaderSchema(Schema):
    field_map = fields.Dict(keys=fields.String(), values=fields.String())
    readings = _readings()
    event_map = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "a literal event label of the template -> canonical event"},
    )


class CandidateSchema(Schema):
    id = fields.String()
    name = fields.String()
    score = fields.Float()
    reasons = fields.List(fields.String())
    field_map = fields.Dict(keys=fields.String(), values=fields.String())
    readings = _readings()
    agreeing = fields.List(
        fields.String(), metadata={"description": "signatures that read this URL the same way"}
    )
    event_map = fields.Dict(keys=fields.String(), values=fields.String())
    status_map = fields.Dict(keys=fields.String(), values=fields.String())
    per_event_urls = fields.Boolean()


class SourcePreviewSchema(Schema):
    platform = fields.String(allow_none=True, metadata={"description": "null: no network known"})
    field_map = fields.Dict(keys=fields.String(), values=fields.String())
    event_map = fields.Dict(keys=fields.String(), values=fields.String())
    status_map = fields.Dict(keys=fields.String(), values=fields.String())


class DetectionSchema(Schema):
    outcome = fields.String(metadata={"description": "recognised, ambiguous or unknown"})
    confidence = fields.Float()
    template = fields.Boolean(metadata={"description": "the URL carries macros"})
    keys = fields.List(fields.String())
    candidates = fields.List(fields.Nested(CandidateSchema))
    differences = fields.List(fields.String())
    reader = fields.Nested(
        ReaderSchema,
        metadata={"description": "the generic reader's map: the answer for an unknown network"},
    )
    decided_by_sample = fields.String(
        allow_none=True,
        metadata={"description": "why the sample postback's values chose the candidate"},
    )
    suggested_field_map = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "for an arrived URL: what its names and values suggest"},
    )
    ticket_id = fields.Integer(allow_none=True)
    previews = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(SourcePreviewSchema),
        metadata={"description": "per candidate: the platform and maps a source would get"},
    )


class SourceFromDetectionSchema(SourceCreatedSchema):
    detection = fields.Nested(DetectionSchema)


class SignatureSchema(Schema):
    id = fields.String()
    name = fields.String()
    origin = fields.String(metadata={"description": "built-in, a plugin's name, or admin"})
    docs = fields.List(fields.String())
    syntaxes = fields.List(fields.String())
    macros = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    params = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    event_map = fields.Dict(keys=fields.String(), values=fields.String())
    status_map = fields.Dict(keys=fields.String(), values=fields.String())
    per_event_urls = fields.Boolean()
    notes = fields.String()


class SignatureListSchema(Schema):
    items = fields.List(fields.Nested(SignatureSchema))


class AdminSignatureSchema(Schema):
    """An admin-written signature: which parameters carry what. Create one with it
    (``AdminSignaturePatchSchema`` changes one); ``id`` cannot change."""

    id = fields.String(required=True, validate=SIGNATURE_ID, metadata={"example": "my_network"})
    name = fields.String(
        required=True, validate=validate.Length(min=1, max=120), metadata={"example": "My Network"}
    )
    click_id_params = fields.List(
        fields.String(validate=PARAM_NAME),
        required=True,
        validate=validate.Length(min=1, max=20, error="must list 1 to 20 parameter names"),
        metadata={"example": ["clickid", "sub1"]},
    )
    event_param = fields.String(allow_none=True, validate=PARAM_NAME, metadata={"example": "goal"})
    amount_param = fields.String(allow_none=True, validate=PARAM_NAME, metadata={"example": "sum"})
    currency_param = fields.String(
        allow_none=True, validate=PARAM_NAME, metadata={"example": "currency"}
    )
    field_map = fields.Dict(
        keys=fields.String(validate=MAPPABLE_FIELD),
        values=fields.String(validate=PARAM_NAME),
        load_default=dict,
    )
    event_map = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=255)),
        values=fields.String(validate=EVENT),
        load_default=dict,
    )
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)

    @validates_schema
    def _sizes(self, data: dict, **_: object) -> None:
        for name in ("field_map", "event_map"):
            if len(data.get(name) or {}) > MAX_MAP_ENTRIES:
                raise ValidationError(TOO_MANY_ENTRIES, name)


class AdminSignaturePatchSchema(AdminSignatureSchema):
    """Change some fields of an admin-written signature; its ``id`` cannot change."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(partial=True, **kwargs)


class SignatureDraftSchema(Schema):
    """An admin signature pre-filled from a ticket's URL, to check, complete and save as
    an ``AdminSignature``. It holds what the URL showed, which may not be enough to save
    yet: no parameter may look like a click id, and names are the URL's own."""

    id = fields.String(metadata={"example": "ticket_7"})
    name = fields.String(metadata={"description": "guessed from the URL's host"})
    click_id_params = fields.List(
        fields.String(),
        metadata={
            "description": "empty when no parameter of the URL looks like a click id: "
            "name one before saving"
        },
    )
    event_param = fields.String(allow_none=True)
    amount_param = fields.String(allow_none=True)
    currency_param = fields.String(allow_none=True)
    field_map = fields.Dict(keys=fields.String(), values=fields.String())
    event_map = fields.Dict(keys=fields.String(), values=fields.String())


class AdminSignatureListSchema(Schema):
    items = fields.List(fields.Nested(AdminSignatureSchema))


class TicketSchema(Schema):
    id = fields.Integer()
    state = fields.String()
    url = fields.String()
    keys = fields.List(fields.String())
    repeats = fields.Integer()
    created_at = fields.DateTime()
    last_seen_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)


class TicketListSchema(Schema):
    items = fields.List(fields.Nested(TicketSchema))


class TicketQuerySchema(Schema):
    state = fields.String(validate=validate.OneOf(("open", "resolved")))


class LearnUrlSchema(Schema):
    learn_url = fields.String(attribute="url", metadata={"description": "shown once; 24 h"})
    expires_at = fields.DateTime()


class CapturedParamSchema(Schema):
    name = fields.String()
    value = fields.String()
    shape = fields.String(metadata={"description": "click_token, decimal, currency, ..."})


class CaptureSchema(Schema):
    state = fields.String(metadata={"description": "waiting, captured, finalized or expired"})
    expires_at = fields.DateTime()
    captured_at = fields.DateTime(allow_none=True)
    params = fields.List(fields.Nested(CapturedParamSchema))
    suggested_field_map = fields.Dict(keys=fields.String(), values=fields.String())
    platform = fields.String(allow_none=True)


class FinalizeInSchema(SourceInSchema):
    """The maps chosen after a capture: a source's own map fields and their checks."""

    class Meta:
        fields = ("field_map", "event_map", "status_map")

    @validates_schema
    def _field_map_given(self, data: dict, **_: object) -> None:
        if "field_map" not in data:
            raise ValidationError("is required", "field_map")


class ReprocessInSchema(Schema):
    """Which stored postbacks to re-map: a time range (or the last ``days``) and filters."""

    since = fields.AwareDateTime(
        default_timezone=None, validate=validate.Range(min=EARLIEST, max=LATEST)
    )
    until = fields.AwareDateTime(
        default_timezone=None, validate=validate.Range(min=EARLIEST, max=LATEST)
    )
    days = fields.Integer(validate=validate.Range(min=1, max=3660), metadata={"example": 7})
    attribution = fields.String(validate=validate.OneOf(ATTRIBUTIONS))
    event_type = fields.String(validate=validate.OneOf(EVENTS))
    dry_run = fields.Boolean(load_default=False)

    @validates_schema
    def _range(self, data: dict, **_: object) -> None:
        if ("since" in data) == ("days" in data):
            raise ValidationError("Give either since or days.", "since")
        if "since" in data and "until" in data and data["until"] <= data["since"]:
            raise ValidationError("must be after since", "until")


class RemapTransitionSchema(Schema):
    """How many conversions one field moved from one value to another."""

    field = fields.String(metadata={"description": "attribution, event_type or status"})
    from_ = fields.String(data_key="from", attribute="from", allow_none=True)
    to = fields.String(allow_none=True)
    count = fields.Integer()
    demotion = fields.Boolean(metadata={"description": "matched before, no longer matched"})


class RemapFieldChangeSchema(Schema):
    field = fields.String()
    from_ = fields.Raw(data_key="from", attribute="from", allow_none=True)
    to = fields.Raw(allow_none=True)


class RemapChangeSchema(Schema):
    """One conversion the re-map changes, recognisable by its ids as stored before."""

    conversion_id = fields.Integer()
    transaction_id = fields.String(allow_none=True)
    click_id = fields.String(allow_none=True)
    received_at = fields.String()
    fields_ = fields.List(
        fields.Nested(RemapFieldChangeSchema),
        data_key="fields",
        attribute="fields",
        metadata={"description": "every changed field with its old and new value"},
    )


class ReprocessReportSchema(Schema):
    examined = fields.Integer()
    changed = fields.Integer()
    unchanged = fields.Integer()
    now_matched = fields.Integer(metadata={"description": "became matched"})
    now_duplicate = fields.Integer(metadata={"description": "became duplicates"})
    no_longer_matched = fields.Integer(
        metadata={"description": "demotions: were matched, are unmatched, duplicate or expired"}
    )
    no_longer_duplicate = fields.Integer(metadata={"description": "were duplicates, are not"})
    skipped = fields.Integer(metadata={"description": "not re-mappable, or changed meanwhile"})
    dry_run = fields.Boolean()
    fields_changed = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "field -> how many changed conversions it changed on"},
    )
    transitions = fields.List(
        fields.Nested(RemapTransitionSchema),
        metadata={
            "description": "every from -> to of attribution, event_type and status; a "
            "field's counts add up to its fields_changed"
        },
    )
    changes = fields.List(
        fields.Nested(RemapChangeSchema),
        metadata={"description": "the changed conversions, oldest first, at most 100"},
    )
    changes_listed = fields.Integer()
    changes_more = fields.Integer(metadata={"description": "changed conversions not listed"})


# -- outbound postbacks and deliveries ------------------------------------------------

OUTBOUND_ATTRIBUTIONS = ("matched", "unmatched", "expired")
HEADER_NAME = validate.Regexp(
    r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$",
    error="is not an HTTP header name; use up to 100 letters, digits and hyphens, such as "
    "X-Api-Key",
)


class OutboundInSchema(Schema):
    """Create an outbound postback, also from a preset (``OutboundPatchSchema`` changes
    one)."""

    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=120),
        metadata={"example": "Partner postback"},
    )
    preset = fields.String(validate=validate.OneOf(("signed_webhook", "keitaro")), load_only=True)
    url = fields.String(validate=[validate.Length(max=4096), _http_url], load_only=True)
    tracker_url = fields.String(validate=[validate.Length(max=4096), _http_url], load_only=True)
    postback_key = fields.String(validate=validate.Length(min=1, max=200), load_only=True)
    signing = fields.Boolean(load_only=True, metadata={"description": "sign with a new secret"})
    url_template = fields.String(
        validate=[validate.Length(min=1, max=4096), _http_url],
        metadata={
            "example": "https://partner.example/pb?click={click_id}&sum={payout_amount}"
            "&status={status}"
        },
    )
    method = fields.String(validate=validate.OneOf(("GET", "POST")), metadata={"example": "GET"})
    body_format = fields.String(allow_none=True, validate=validate.OneOf(("form", "json")))
    body_template = fields.String(allow_none=True, validate=validate.Length(max=16384))
    state = fields.String(validate=validate.OneOf(("active", "inactive")))
    events = fields.List(fields.String(validate=EVENT), metadata={"example": ["ftd"]})
    attributions = fields.List(
        fields.String(validate=_vocabulary(OUTBOUND_ATTRIBUTIONS, "an attribution")),
        metadata={"example": ["matched"]},
    )
    status_map = fields.Dict(
        keys=fields.String(validate=validate.OneOf((*EVENTS, *STATUSES))),
        values=fields.String(validate=validate.Length(max=64)),
        metadata={"description": "event or status -> remote label; empty = do not send"},
    )
    default_currency = fields.String(allow_none=True)
    timeout_seconds = fields.Float(validate=validate.Range(min=0.5, max=60))
    concurrency = fields.Integer(
        validate=validate.Range(min=1, max=64),
        metadata={"description": "most attempts to this receiver one worker makes at once"},
    )
    retry_count = fields.Integer(validate=validate.Range(min=0, max=20))
    retry_delay_seconds = fields.Float(validate=validate.Range(min=1, max=86400))
    retry_max_delay_seconds = fields.Float(validate=validate.Range(min=1, max=7 * 86400))
    schedule = fields.List(
        fields.Float(validate=validate.Range(min=0, max=7 * 86400)),
        allow_none=True,
        validate=validate.Length(max=20, error="must have at most 20 waits"),
    )
    source_ids = fields.List(fields.Integer(validate=SOURCE_ID))
    countries = fields.List(fields.String(validate=_country))
    headers = fields.Dict(
        keys=fields.String(validate=HEADER_NAME),
        values=fields.String(validate=validate.Length(max=2048)),
    )
    extra_params = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=128)),
        values=fields.String(validate=validate.Length(max=1024)),
    )

    @validates("default_currency")
    def _currency(self, value: str | None, **_: object) -> None:
        if value is not None and not is_currency(value.strip().upper()):
            raise ValidationError(NOT_A_CURRENCY)

    def normalise(self, data: dict) -> dict:
        if data.get("default_currency"):
            data["default_currency"] = data["default_currency"].strip().upper()
        if "countries" in data:
            data["countries"] = sorted({c.upper() for c in data["countries"]})
        for name, value in (data.get("headers") or {}).items():
            if "\r" in value or "\n" in value:
                raise ValidationError(
                    {"headers": {name: {"value": ["must not contain line breaks"]}}}
                )
        return data


class OutboundPatchSchema(OutboundInSchema):
    """Change some fields of an outbound postback. Where it sends is its URL template:
    the create-only shortcuts (a preset, its URLs and key, new signing) are not taken."""

    class Meta:
        exclude = ("preset", "url", "tracker_url", "postback_key", "signing")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(partial=True, **kwargs)


class CircuitSchema(Schema):
    state = fields.String(
        metadata={
            "description": "closed (sending), open (paused until next_probe_at) or "
            "half_open (one probe in flight)"
        }
    )
    failures_in_a_row = fields.Integer()
    open_since = fields.DateTime(allow_none=True)
    next_probe_at = fields.DateTime(allow_none=True)


class OutboundOutSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    preset = fields.String(allow_none=True)
    url_template = fields.String()
    method = fields.String()
    body_format = fields.String(allow_none=True)
    body_template = fields.String(allow_none=True)
    state = fields.String(metadata={"description": "active, inactive or disabled"})
    disabled_reason = fields.String(allow_none=True)
    events = fields.List(fields.String())
    attributions = fields.List(fields.String())
    status_map = fields.Dict(keys=fields.String(), values=fields.String())
    default_currency = fields.String(allow_none=True)
    timeout_seconds = fields.Float()
    concurrency = fields.Integer()
    circuit = fields.Nested(CircuitSchema)
    retry_count = fields.Integer()
    retry_delay_seconds = fields.Float()
    retry_max_delay_seconds = fields.Float()
    schedule = fields.List(fields.Float(), allow_none=True)
    source_ids = fields.List(fields.Integer())
    countries = fields.List(fields.String())
    headers = fields.Dict(keys=fields.String(), values=fields.String())
    extra_params = fields.Dict(keys=fields.String(), values=fields.String())
    signed = fields.Function(lambda row: bool(row.secret_ciphertext))
    secret_grace_until = fields.DateTime(attribute="previous_secret_until", allow_none=True)
    failing_since = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class OutboundWithSecretSchema(OutboundOutSchema):
    secret = fields.String(
        metadata={"description": "the signing secret (whsec_...): in this answer only"}
    )


class SentRequestSchema(Schema):
    method = fields.String()
    url = fields.String()
    headers = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "as sent, signatures shown as …"},
    )
    body = fields.String()


class ReceivedAnswerSchema(Schema):
    status_code = fields.Integer()
    body = fields.String(metadata={"description": "the first 2 KiB of the answer"})


class OutboundTestSchema(Schema):
    request = fields.Nested(SentRequestSchema)
    response = fields.Nested(
        ReceivedAnswerSchema, allow_none=True, metadata={"description": "null: no answer"}
    )
    error = fields.String(allow_none=True, metadata={"description": "why there was no answer"})
    latency_ms = fields.Float(allow_none=True)


class ReplayDeadSchema(Schema):
    replayed = fields.Integer()
    superseded = fields.Integer(
        metadata={
            "description": "stay dead: a later status of their conversion reached the "
            "receiver already"
        }
    )


class OutboundListSchema(Schema):
    items = fields.List(fields.Nested(OutboundOutSchema))


class RotateInSchema(Schema):
    grace_hours = fields.Float(load_default=24, validate=validate.Range(min=0, max=168))


class AttemptSchema(Schema):
    started_at = fields.DateTime()
    method = fields.String()
    url = fields.String()
    status_code = fields.Integer(allow_none=True)
    latency_ms = fields.Float(allow_none=True)
    response_excerpt = fields.String(allow_none=True)
    error = fields.String(allow_none=True)
    outcome = fields.String()


class DeliverySchema(Schema):
    id = fields.Integer()
    conversion_id = fields.Integer()
    outbound_postback_id = fields.Integer()
    revision = fields.Integer()
    message_id = fields.String()
    state = fields.String(metadata={"description": "pending, retrying, delivered, failed, dead"})
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    attempt_log = fields.List(fields.Nested(AttemptSchema), data_key="attempts_log")


class DeliveryListSchema(Schema):
    items = fields.List(fields.Nested(DeliverySchema))


class DeliveryQuerySchema(Schema):
    state = fields.String(
        validate=validate.OneOf(("pending", "retrying", "delivered", "failed", "dead"))
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class RotateTokenInSchema(Schema):
    grace_hours = fields.Float(load_default=72, validate=validate.Range(min=0, max=168))


class KeitaroConnectionInSchema(Schema):
    """Add a Keitaro connection (``KeitaroConnectionPatchSchema`` changes one); keys are
    write-only."""

    name = fields.String(
        required=True, validate=validate.Length(min=1, max=120), metadata={"example": "main"}
    )
    url = fields.String(
        required=True,
        validate=[validate.Length(max=500), _http_url],
        metadata={"example": "https://tracker.example"},
    )
    api_key = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=500))
    postback_key = fields.String(load_only=True, allow_none=True, validate=validate.Length(max=200))
    timezone = fields.String(
        load_default="UTC",
        validate=validate.Length(min=1, max=64),
        metadata={"example": "Europe/Moscow"},
    )
    verify_tls = fields.Boolean(load_default=True)
    source = fields.String(
        allow_none=True, metadata={"description": "hub source (name or id) for imported clicks"}
    )
    sync_enabled = fields.Boolean()
    default = fields.Boolean()


class KeitaroConnectionPatchSchema(KeitaroConnectionInSchema):
    """Change some fields of a Keitaro connection (its name stays: one given is ignored)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(partial=True, **kwargs)


class KeitaroConnectionOutSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    url = fields.String()
    api_key = fields.String(metadata={"description": "masked"})
    postback_key = fields.String(allow_none=True, metadata={"description": "masked"})
    timezone = fields.String()
    verify_tls = fields.Boolean()
    default = fields.Boolean()
    source_id = fields.Integer(allow_none=True)
    source_map = fields.Dict(keys=fields.String(), values=fields.Integer())
    sync_enabled = fields.Boolean()
    outbound_postback_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class KeitaroRemovedSchema(Schema):
    removed = fields.Boolean()
    imported_clicks_removed = fields.Integer()


class SyncQueuedSchema(Schema):
    queued = fields.List(fields.String(), metadata={"example": ["metadata", "clicks"]})


class KeitaroConnectionListSchema(Schema):
    items = fields.List(fields.Nested(KeitaroConnectionOutSchema))


class KeitaroRunSchema(Schema):
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    from_ = fields.DateTime(data_key="from", attribute="from", allow_none=True)
    to = fields.DateTime(allow_none=True)
    rows = fields.Integer()
    error = fields.String(allow_none=True)


class KeitaroClickSyncSchema(Schema):
    cursor = fields.DateTime(allow_none=True)
    last_success_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    last_error_at = fields.DateTime(allow_none=True)
    next_run_at = fields.DateTime(allow_none=True)
    running = fields.Boolean()
    imported_total = fields.Integer()
    clicks_today = fields.Integer()
    last_run = fields.Nested(KeitaroRunSchema, allow_none=True)


class KeitaroMetadataSyncSchema(Schema):
    refreshed_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    next_run_at = fields.DateTime(allow_none=True)


class KeitaroSyncStatusSchema(Schema):
    connection = fields.String()
    sync_enabled = fields.Boolean()
    clicks = fields.Nested(KeitaroClickSyncSchema)
    metadata = fields.Nested(KeitaroMetadataSyncSchema)


class KeitaroTestSchema(Schema):
    ok = fields.Boolean()
    campaigns = fields.Integer()
    tracker_timezone = fields.String()
    warning = fields.String()


class ReconcileQuerySchema(Schema):
    since = fields.String(
        load_default="24h",
        validate=validate.Regexp(
            r"^[1-9][0-9]{0,4}[mhd]$",
            error="must be a number of minutes, hours or days, such as 90m, 24h or 7d",
        ),
        metadata={"description": "90m, 24h, 7d ..."},
    )


class ReconcileItemSchema(Schema):
    conversion_id = fields.Integer()
    sub_id = fields.String(allow_none=True)
    tid = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    payout = fields.Decimal(as_string=True, allow_none=True)
    payout_currency = fields.String(allow_none=True)
    received_at = fields.DateTime()
    delivery_state = fields.String()
    keitaro_status = fields.String(allow_none=True)
    keitaro_payout = fields.Decimal(as_string=True, allow_none=True)
    at = fields.DateTime(allow_none=True, metadata={"description": "Keitaro's postback time"})
    delivery_id = fields.Integer(
        allow_none=True, metadata={"description": "the forwarding's delivery, when not done"}
    )
    attempts = fields.Integer(allow_none=True)
    last_error = fields.String(
        allow_none=True, metadata={"description": "why the last attempt failed, in a sentence"}
    )


class ReconcileReportSchema(Schema):
    since = fields.DateTime()
    until = fields.DateTime()
    hub_forwarded = fields.Integer()
    keitaro_conversions = fields.Integer()
    matches = fields.Boolean()
    missing_in_keitaro = fields.List(fields.Nested(ReconcileItemSchema))
    missing_in_hub = fields.List(fields.Nested(ReconcileItemSchema))
    status_differs = fields.List(fields.Nested(ReconcileItemSchema))
    payout_differs = fields.List(fields.Nested(ReconcileItemSchema))
    not_yet_delivered = fields.List(fields.Nested(ReconcileItemSchema))
