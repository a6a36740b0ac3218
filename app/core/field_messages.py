"""marshmallow's default error messages, replaced once by predicates a person reads.

Every message here reads after the field's name ("name" + " is required"), so
``app.core.field_errors`` can put the name in front as the reader typed it: the JSON key,
the command-line option, the form label. Fields copy their messages when their schema
class is defined, so this runs when the ``app`` package is imported, before any schema.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

EXAMPLE_TIME = "2026-01-31T12:00:00+00:00"

FIELD_MESSAGES: dict[type[fields.Field], dict[str, str]] = {
    fields.Field: {
        "required": "is required",
        "null": "must not be null",
        "validator_failed": "is not valid",
    },
    fields.String: {"invalid": "must be text", "invalid_utf8": "must be UTF-8 text"},
    fields.Number: {"invalid": "must be a number", "too_large": "is too large"},
    fields.Integer: {"invalid": "must be a whole number"},
    fields.Float: {"special": "must be a finite number"},
    fields.Decimal: {"special": "must be a finite number"},
    fields.Boolean: {"invalid": "must be true or false"},
    fields.DateTime: {
        "invalid": f"must be a date and time in ISO 8601, such as {EXAMPLE_TIME}",
        "invalid_awareness": f"must be a date and time with a UTC offset, such as {EXAMPLE_TIME}",
        "format": "cannot be written as a date and time",
    },
    fields.AwareDateTime: {
        "invalid_awareness": f"must include a UTC offset, such as {EXAMPLE_TIME}",
    },
    fields.NaiveDateTime: {
        "invalid_awareness": "must not include a UTC offset, such as 2026-01-31T12:00:00",
    },
    fields.Date: {
        "invalid": "must be a date in ISO 8601, such as 2026-01-31",
        "format": "cannot be written as a date",
    },
    fields.Time: {
        "invalid": "must be a time of day, such as 12:30:00",
        "format": "cannot be written as a time of day",
    },
    fields.TimeDelta: {
        "invalid": "must be a length of time",
        "format": "cannot be written as a length of time",
    },
    fields.Mapping: {"invalid": "must be a JSON object"},
    fields.List: {"invalid": "must be a list"},
    fields.Tuple: {"invalid": "must be a list"},
    fields.Nested: {"type": "must be a JSON object"},
    fields.Email: {"invalid": "must be an email address, such as ana@example.com"},
    fields.URL: {"invalid": "must be a URL, such as https://example.com/path"},
    fields.UUID: {"invalid_uuid": "must be a UUID, such as 123e4567-e89b-12d3-a456-426614174000"},
    fields.IP: {"invalid_ip": "must be an IP address, such as 192.0.2.1"},
    fields.IPv4: {"invalid_ip": "must be an IPv4 address, such as 192.0.2.1"},
    fields.IPv6: {"invalid_ip": "must be an IPv6 address, such as 2001:db8::1"},
    fields.IPInterface: {
        "invalid_ip_interface": "must be an address with a prefix length, such as 192.0.2.0/24"
    },
    fields.IPv4Interface: {
        "invalid_ip_interface": "must be an IPv4 address with a prefix length, such as 192.0.2.0/24"
    },
    fields.IPv6Interface: {
        "invalid_ip_interface": "must be an IPv6 address with a prefix length, such as "
        "2001:db8::/32"
    },
    fields.Enum: {"unknown": "must be one of {choices}"},
}

#: Class attributes of marshmallow's validators. Length speaks of characters: a list's
#: length check names its items with an ``error=`` of its own.
VALIDATOR_MESSAGES: dict[type[validate.Validator], dict[str, str]] = {
    validate.Length: {
        "message_min": "must be at least {min} characters long",
        "message_max": "must be at most {max} characters long",
        "message_all": "must be {min} to {max} characters long",
        "message_equal": "must be exactly {equal} characters long",
    },
    validate.Range: {
        "message_min": "must be {min_op} {{min}}",
        "message_max": "must be {max_op} {{max}}",
        "message_all": "must be {min_op} {{min}} and {max_op} {{max}}",
        "message_gte": "at least",
        "message_gt": "more than",
        "message_lte": "at most",
        "message_lt": "less than",
    },
    validate.OneOf: {"default_message": "must be one of {choices}"},
    validate.NoneOf: {"default_message": "is not allowed"},
    validate.ContainsOnly: {"default_message": "may only contain {choices}"},
    validate.ContainsNoneOf: {"default_message": "must not contain {values}"},
    validate.Equal: {"default_message": "must be {other}"},
    validate.Regexp: {"default_message": "is not in the expected format"},
    validate.Predicate: {"default_message": "is not valid"},
    validate.Email: {"default_message": "must be an email address, such as ana@example.com"},
    validate.URL: {"default_message": "must be a URL, such as https://example.com/path"},
}

SCHEMA_MESSAGES = {
    "type": "Send a JSON object of named fields.",
    "unknown": "is not a field this accepts; leave it out or check its spelling",
}


def install() -> None:
    """Put the predicates in place of marshmallow's sentences, for every schema defined
    from now on (each field copies its class's messages when it is created)."""
    for field_class, messages in FIELD_MESSAGES.items():
        own = field_class.__dict__.get("default_error_messages", {})
        field_class.default_error_messages = {**own, **messages}
    for validator_class, attributes in VALIDATOR_MESSAGES.items():
        for name, text in attributes.items():
            setattr(validator_class, name, text)
    Schema.error_messages = {**Schema.error_messages, **SCHEMA_MESSAGES}


install()
