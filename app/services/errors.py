"""Errors a use case raises; the API and CLI turn them into their own answers."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "invalid"
    status = 400

    def __init__(self, message: str, fields: dict[str, Any] | None = None) -> None:
        """``fields``: per field, predicates that read after its name ("is required"),
        nested like marshmallow's errors where the field is a map or a list."""
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    code = "conflict"
    status = 409


class Invalid(DomainError):
    code = "validation_error"
    status = 422


class Unavailable(DomainError):
    """Could not finish now; nothing half-done was kept, and a retry should succeed."""

    code = "unavailable"
    status = 503
