"""Outbound URL, body and header templates: which macros exist, and filling them in.

Macros are ``{name}``, plus ``{param:NAME}`` for any parameter of the inbound postback.
Unknown macros are refused when a template is saved, so a typo fails in the operator's
face rather than silently sending an empty value for months.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

MACROS = (
    "click_id",
    "event_type",
    "raw_event",
    "status",
    "transaction_id",
    "payout_amount",
    "payout_currency",
    "gross_amount",
    "gross_currency",
    "external_user_id",
    "source_id",
    "source_name",
    "conversion_id",
    "received_at",
    "country",
)
PARAM_PREFIX = "param:"
#: Filled from the postback's encrypted URL secret (presets only; masked in logs).
URL_SECRET = "url_secret"
_MACRO = re.compile(r"\{([^{}]*)\}")


class TemplateError(ValueError):
    """A template names a macro no delivery can fill."""


def unknown_macros(template: str, *, url_secret: bool = False) -> list[str]:
    """The macros in ``template`` we cannot fill (empty when the template is fine)."""
    unknown = []
    for name in _MACRO.findall(template):
        if name in MACROS or (url_secret and name == URL_SECRET):
            continue
        if name.startswith(PARAM_PREFIX) and name[len(PARAM_PREFIX) :].strip():
            continue
        unknown.append(f"{{{name}}}")
    return unknown


def validate(template: str, *, url_secret: bool = False) -> None:
    """Raise ``TemplateError`` naming each unknown macro (with the known one it was
    probably meant to be) and the macros there are; its message reads after the name of
    the field that holds the template."""
    unknown = unknown_macros(template, url_secret=url_secret)
    if unknown:
        named = ", ".join(_with_guess(macro) for macro in unknown)
        noun = "macro" if len(unknown) == 1 else "macros"
        known = ", ".join("{" + m + "}" for m in MACROS)
        raise TemplateError(
            f"uses the unknown {noun} {named}; the macros are {known} and {{param:NAME}} "
            "for any parameter of the postback"
        )


def _with_guess(macro: str) -> str:
    close = difflib.get_close_matches(macro[1:-1], MACROS, n=1)
    return f"{macro} (did you mean {{{close[0]}}}?)" if close else macro


@dataclass(frozen=True)
class Values:
    """What the macros of one delivery stand for (``status`` already mapped)."""

    fields: Mapping[str, object]
    params: Mapping[str, str]

    def get(self, name: str) -> str:
        if name.startswith(PARAM_PREFIX):
            return self.params.get(name[len(PARAM_PREFIX) :], "")
        return _text(self.fields.get(name))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[no-any-return]
    return str(value)


def _render(template: str, escape: Callable[[str], str], values: Values) -> str:
    return _MACRO.sub(lambda m: escape(values.get(m.group(1))), template)


def render_url(template: str, values: Values) -> str:
    """Values percent-encoded, so a ``&`` in a click id cannot add a parameter."""
    return _render(template, lambda v: quote(v, safe=""), values)


#: Form fields are percent-encoded exactly like URL values.
render_form = render_url


def render_json(template: str, values: Values) -> str:
    """Values escaped as JSON string content: write ``"id": "{click_id}"``."""
    return _render(template, lambda v: json.dumps(v)[1:-1], values)


def render_header(template: str, values: Values) -> str:
    """No line breaks may reach a header, whatever a network sent."""
    return _render(template, lambda v: re.sub(r"[\r\n]+", " ", v), values)
