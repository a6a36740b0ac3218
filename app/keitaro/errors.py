"""Keitaro's uneven errors, each turned into a typed error with the message a human needs."""

from __future__ import annotations


class KeitaroError(Exception):
    """Anything the tracker refused or could not do; ``status`` is its HTTP status."""

    def __init__(self, message: str, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body
        #: What was sent, key masked, when the caller wants to show it.
        self.request: dict | None = None


class Unauthorized(KeitaroError):
    """401: the API key is wrong or revoked."""


class LicenceRequired(KeitaroError):
    """402: this Keitaro licence does not include the Admin API."""


class Forbidden(KeitaroError):
    """403: the key's user lacks the permission."""


class NotFound(KeitaroError):
    """404: no such object (Keitaro answers in plain text)."""


class FieldErrors(KeitaroError):
    """406/422: the tracker refused some fields; ``fields`` maps each to its messages."""

    def __init__(self, message: str, fields: dict[str, list[str]], status: int, body: str) -> None:
        super().__init__(message, status, body)
        self.fields = fields


class NotAnAdminApi(KeitaroError):
    """A 2xx HTML page: the URL reaches Keitaro's admin panel (or something else), not
    its Admin API."""


class Unavailable(KeitaroError):
    """The tracker could not be reached or kept failing (after the retries allowed)."""


class InvalidRequest(KeitaroError):
    """Refused here, before sending: a body or parameter the tracker would refuse."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}
