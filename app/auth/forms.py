"""marshmallow schemas for the sign-in forms, and how every form's errors are shown:
beside each field, a sentence naming it by its label."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from app.core import field_errors
from app.services.errors import DomainError
from app.services.users import MIN_PASSWORD_LENGTH


class LoginForm(Schema):
    class Meta:
        unknown = EXCLUDE

    email = fields.String(
        required=True, validate=validate.Length(min=3, max=254), metadata={"label": "Email"}
    )
    password = fields.String(
        required=True, validate=validate.Length(min=1, max=1024), metadata={"label": "Password"}
    )
    next = fields.String(load_default=None, validate=validate.Length(max=2048))


class NewPasswordForm(Schema):
    class Meta:
        unknown = EXCLUDE

    password = fields.String(
        required=True,
        validate=validate.Length(min=MIN_PASSWORD_LENGTH, max=1024),
        metadata={"label": "The new password"},
    )
    confirm = fields.String(required=True, metadata={"label": "The repeated password"})

    @validates_schema
    def same_twice(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("password") != data.get("confirm"):
            raise ValidationError("The two passwords differ.", "confirm")


def labels(form: type[Schema] | None) -> Callable[[str], str]:
    """How a form names its fields: each field's ``label`` metadata, the same words as
    the page's label; a field without one by its name in words."""
    known = {
        name: field.metadata["label"]
        for name, field in (form().fields.items() if form else ())
        if "label" in field.metadata
    }
    return lambda name: known.get(name) or field_errors.humanised(name)


def domain_errors(exc: DomainError, form: type[Schema] | None = None) -> dict[str, str]:
    """A service's refusal as the form shows it: beside its fields, or on top."""
    if not exc.fields:
        return {"_schema": field_errors.sentences([exc.message])["_schema"][0]}
    return _joined(field_errors.sentences(exc.fields, label=labels(form)))


def errors_of(exc: ValidationError, form: type[Schema] | None = None) -> dict[str, str]:
    """The sentences about each field, as the form shows them beside it; ``form`` names
    the fields by their labels."""
    return _joined(field_errors.sentences(exc.messages, exc.data, labels(form)))


def _joined(by_field: dict[str, list[str]]) -> dict[str, str]:
    return {name: " ".join(found) for name, found in by_field.items()}
