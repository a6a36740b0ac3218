"""marshmallow schemas for the sign-in forms; their messages are shown beside the fields."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from app.services.errors import DomainError
from app.services.users import MIN_PASSWORD_LENGTH


class LoginForm(Schema):
    class Meta:
        unknown = EXCLUDE

    email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    next = fields.String(load_default=None, validate=validate.Length(max=2048))


class NewPasswordForm(Schema):
    class Meta:
        unknown = EXCLUDE

    password = fields.String(
        required=True, validate=validate.Length(min=MIN_PASSWORD_LENGTH, max=1024)
    )
    confirm = fields.String(required=True)

    @validates_schema
    def same_twice(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("password") != data.get("confirm"):
            raise ValidationError("The two passwords differ.", "confirm")


def domain_errors(exc: DomainError) -> dict[str, str]:
    """A service's refusal as the form shows it: beside its fields, or on top."""
    return {name: messages[0] for name, messages in exc.fields.items()} or {"_schema": exc.message}


def errors_of(exc: ValidationError) -> dict[str, str]:
    """One message per field, as the form shows them."""
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    return {
        name: (value[0] if isinstance(value, list) and value else str(value))
        for name, value in messages.items()
    }
