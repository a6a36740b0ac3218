"""A Keitaro postback as the hub's own outbound postback (``--as-hub-outbound``).

Keitaro's S2S postback keeps ``url``, ``method`` and ``statuses``; the fields the n8n
Keitaro node also offers (name, trigger, statuses per kind, timeout, retries, headers,
params...) have their home in the hub's outbound postbacks. Here a node-shaped body is
mapped onto one, field by field, and whatever has no home is refused by name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from app.core import field_errors
from app.core.keys import Keyring
from app.core.vocabulary import EVENTS
from app.keitaro.postbacks import HUB_FIELDS, KEITARO_FIELDS
from app.models import OutboundPostback
from app.outbound.templates import MACROS, TemplateError, validate
from app.services.errors import Invalid, NotFound
from app.services.keitaro import source_id
from app.services.outbound import create_outbound, get_outbound, update_outbound

#: The node's status fields -> the status map's keys each speaks for: a lead is a pending
#: conversion, a sale an approved FTD, QFTD, CPA or NGR, as the Keitaro preset counts them.
STATUS_FIELDS: dict[str, tuple[str, ...]] = {
    "lead_status": ("pending",),
    "sale_status": ("ftd", "qftd", "cpa", "ngr"),
    "rejected_status": ("rejected",),
    "registration_status": ("registration",),
    "deposit_status": ("deposit",),
}
#: Keitaro's conversion statuses -> the status fields that stand for them: to Keitaro a
#: registration is a lead and a deposit a rebill.
KEITARO_STATUSES: dict[str, tuple[str, ...]] = {
    "lead": ("lead_status", "registration_status"),
    "sale": ("sale_status",),
    "rejected": ("rejected_status",),
    "rebill": ("deposit_status",),
}
#: Keitaro's postback macros that have a hub macro of the same meaning.
KEITARO_MACROS = {
    "subid": "click_id",
    "sub_id": "click_id",
    "tid": "transaction_id",
    "payout": "payout_amount",
    "revenue": "payout_amount",
    "currency": "payout_currency",
}
#: Triggers that ask for nothing more than the hub does anyway: every accepted
#: conversion and each status change.
EVERY_CONVERSION = ("all", "any", "conversion", "conversions", "status_change")
STATES = {
    "active": "active",
    "enabled": "active",
    "inactive": "inactive",
    "disabled": "inactive",
    "paused": "inactive",
}
#: The hub's field each field of the body becomes; the checks of that field name it as
#: typed when they refuse a value.
HUB_FIELD = {
    "url": "url_template",
    "method": "method",
    "name": "name",
    "status": "state",
    "currency": "default_currency",
    "timeout": "timeout_seconds",
    "retries": "retry_count",
    "retry_delay": "retry_delay_seconds",
    "sources": "source_ids",
    "countries": "countries",
    "headers": "headers",
}
#: Where the other fields go, as ``mapped`` shows it.
DESTINATIONS = {
    **HUB_FIELD,
    "statuses": "events and status_map",
    "trigger": "events and status_map",
    "params": "url_template (query parameters)",
    "key": "the URL secret (encrypted; {key} in url)",
    **dict.fromkeys(STATUS_FIELDS, "events and status_map"),
}
NO_CAMPAIGNS = (
    "cannot filter the hub's outbound postbacks: they know the hub's sources, not Keitaro "
    "campaigns; give sources (names or ids of the hub's sources) instead"
)
_MACRO = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class HubPostback:
    """A Keitaro postback's fields as the hub's outbound postback takes them."""

    #: For the outbound postback's own checks (``OutboundInSchema``).
    fields: dict[str, Any]
    #: The key, when one was given: kept encrypted, filled in where the URL said {key}.
    url_secret: str | None
    #: Each field as typed -> where it went.
    mapped: dict[str, str]
    #: Keitaro macros written as the hub's.
    macros: dict[str, str]
    #: The hub's field -> how it was typed (the field errors of the checks name that).
    typed: dict[str, str]

    def label(self, field: str) -> str:
        return self.typed.get(field, field)


def hub_postback(
    data: Any, *, campaign_id: int, row: OutboundPostback | None = None
) -> HubPostback:
    """The hub's outbound postback made of a Keitaro postback's fields and the node's
    fields Keitaro does not store; ``row`` is the one being changed (an update).

    Everything given lands somewhere, or the whole body is refused naming what has no
    place: a campaign filter (the hub's postbacks know its sources, not Keitaro's
    campaigns), a field neither Keitaro nor the hub knows, a macro no delivery fills.
    """
    operation = "update" if row is not None else "create"
    if not isinstance(data, Mapping):
        raise Invalid(f"postback {operation}: --data must be a JSON object")
    given: dict[str, tuple[str, Any]] = {}
    problems: dict[str, list[str]] = {}
    for typed, value in data.items():
        if typed in ("id", "campaign_id"):
            continue
        name = typed if typed in KEITARO_FIELDS else HUB_FIELDS.get(typed)
        if name is None:
            problems[typed] = ["has no place in Keitaro's postbacks or the hub's outbound ones"]
        elif name in given:
            problems[typed] = [f"says again what {given[name][0]} says"]
        else:
            given[name] = (typed, value)
    mapping = _Mapping(given, problems, row)
    fields = mapping.build(campaign_id)
    if problems:
        by_field = field_errors.sentences(problems, data)
        raise Invalid(f"postback {operation}: {field_errors.summary(by_field)}", problems)
    return HubPostback(
        fields,
        mapping.url_secret,
        {typed: DESTINATIONS[name] for name, (typed, _) in given.items()},
        mapping.macros,
        {HUB_FIELD[name]: typed for name, (typed, _) in given.items() if name in HUB_FIELD},
    )


class _Mapping:
    """One body's fields, mapped one at a time; what cannot be mapped is collected in
    ``problems`` (field as typed -> what is wrong) so that all are said at once."""

    def __init__(
        self,
        given: dict[str, tuple[str, Any]],
        problems: dict[str, list[str]],
        row: OutboundPostback | None,
    ) -> None:
        self.given = given
        self.problems = problems
        self.row = row
        self.url_secret: str | None = None
        self.macros: dict[str, str] = {}

    def typed(self, name: str) -> str:
        return self.given[name][0]

    def value(self, name: str) -> Any:
        return self.given[name][1]

    def refuse(self, name: str, sentence: str) -> None:
        self.problems.setdefault(self.typed(name), []).append(sentence)

    def build(self, campaign_id: int) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if "name" in self.given:
            fields["name"] = self.value("name")
        elif self.row is None:
            from app.services.outbound import free_name

            fields["name"] = free_name(f"Keitaro campaign {campaign_id} postback")
        if "method" in self.given:
            method = self.value("method")
            fields["method"] = method.upper() if isinstance(method, str) else method
        if "status" in self.given:
            self._state(fields)
        for name, hub in (
            ("currency", "default_currency"),
            ("timeout", "timeout_seconds"),
            ("retries", "retry_count"),
            ("retry_delay", "retry_delay_seconds"),
        ):
            if name in self.given:
                fields[hub] = self.value(name)
        if "countries" in self.given:
            countries = self.value("countries")
            fields["countries"] = _csv(countries) if isinstance(countries, str) else countries
        if "campaigns" in self.given:
            self.refuse("campaigns", NO_CAMPAIGNS)
        if "sources" in self.given:
            self._sources(fields)
        if "headers" in self.given:
            self._headers(fields)
        self._url(fields)
        self._statuses(fields)
        return fields

    def _state(self, fields: dict[str, Any]) -> None:
        value = self.value("status")
        if isinstance(value, bool):
            fields["state"] = "active" if value else "inactive"
        elif isinstance(value, str) and value.strip().lower() in STATES:
            fields["state"] = STATES[value.strip().lower()]
        else:
            self.refuse(
                "status",
                f"is {field_errors.quoted(value)}; the hub's outbound postbacks are active or "
                "inactive (true or false)",
            )

    def _sources(self, fields: dict[str, Any]) -> None:
        value = self.value("sources")
        names = _csv(value) if isinstance(value, str) else value
        if not isinstance(names, list):
            self.refuse("sources", "must be a list of the hub's sources, names or ids")
            return
        ids = []
        for name in names:
            try:
                ids.append(source_id(name))
            except NotFound:
                self.refuse("sources", f"names {field_errors.quoted(name)}, no source of the hub")
        fields["source_ids"] = [i for i in ids if i is not None]

    def _headers(self, fields: dict[str, Any]) -> None:
        value = self.value("headers")
        pairs = _pairs(value)
        if pairs is None:
            self.refuse(
                "headers",
                'must be an object such as {"X-Api-Key": "k3y"} or a list of '
                '{"name": ..., "value": ...}',
            )
            return
        headers = {}
        for header, text in pairs.items():
            rendered = self._template("headers", text)
            if rendered is not None:
                headers[header] = rendered
        fields["headers"] = headers

    def _url(self, fields: dict[str, Any]) -> None:
        """The receiver URL with Keitaro's macros written as the hub's, ``params``
        appended as query parameters (macros allowed), and ``{key}`` made the URL secret
        kept encrypted."""
        has_url = "url" in self.given
        if "params" in self.given and not has_url:
            self.refuse("params", "needs url beside it: the parameters are added to the URL")
        if not has_url:
            if self.row is None:
                self.problems.setdefault("url", []).append("is required")
            elif "key" in self.given and "{url_secret}" not in self.row.url_template:
                self.refuse("key", "has no place in the URL: give url with {key} where it goes")
            else:
                self._key()
            return
        url = self.value("url")
        if not isinstance(url, str) or not url.strip():
            self.refuse("url", "must be the receiver's URL, such as https://network.example/pb")
            return
        template = self._template("url", url.strip(), key=True)
        if template is None:
            return
        if "params" in self.given:
            template = self._with_params(template)
        if template is None:
            return
        names_key = "{url_secret}" in template
        if "key" in self.given and not names_key:
            self.refuse("key", "has no place in the URL: write {key} in url where it goes")
        elif names_key and "key" not in self.given:
            kept = self.row is not None and self.row.url_secret_ciphertext
            if not kept:
                self.refuse("url", "uses {key}, but no key is given")
        self._key()
        fields["url_template"] = template

    def _key(self) -> None:
        if "key" not in self.given:
            return
        key = self.value("key")
        if not isinstance(key, str | int) or isinstance(key, bool) or not str(key).strip():
            self.refuse("key", "must be the key as text")
            return
        self.url_secret = str(key).strip()

    def _with_params(self, template: str) -> str | None:
        pairs = _pairs(self.value("params"))
        if pairs is None:
            self.refuse(
                "params",
                'must be an object such as {"aff_id": "42"} or a list of '
                '{"name": ..., "value": ...}',
            )
            return None
        pieces = []
        for name, text in pairs.items():
            rendered = self._template("params", text)
            if rendered is None:
                return None
            pieces.append(f"{quote(name, safe='')}={_quoted_around_macros(rendered)}")
        if not pieces:
            return template
        joiner = "&" if "?" in template else "?"
        return template + joiner + "&".join(pieces)

    def _template(self, name: str, text: Any, *, key: bool = False) -> str | None:
        """``text`` with Keitaro's macros written as the hub's, or ``None`` (and a
        problem) when a macro has no meaning here."""
        if isinstance(text, bool) or not isinstance(text, str | int | float):
            self.refuse(name, f"holds {field_errors.quoted(text)}, which is not text")
            return None

        def hub(found: re.Match[str]) -> str:
            macro = found.group(1)
            if key and macro == "key":
                return "{url_secret}"
            if macro not in MACROS and macro in KEITARO_MACROS:
                self.macros[f"{{{macro}}}"] = f"{{{KEITARO_MACROS[macro]}}}"
                return f"{{{KEITARO_MACROS[macro]}}}"
            return found.group(0)

        rendered = _MACRO.sub(hub, str(text))
        try:
            validate(rendered, url_secret=key)
        except TemplateError as exc:
            self.refuse(name, str(exc))
            return None
        return rendered

    def _statuses(self, fields: dict[str, Any]) -> None:
        """``statuses``, ``trigger`` and the five status fields as the events that
        trigger the postback and its status map: what ``{status}`` says for each
        conversion, "" where it is not sent. ``{status}`` speaks Keitaro's words (lead,
        sale, rejected, rebill), as the URL was written for Keitaro.

        Keitaro statuses (in ``statuses`` or ``trigger``) name what is sent; a status
        field set to a label or true is sent too, with that label, and one set to false
        is not. Status fields alone name all that is sent."""
        from app.services.outbound import KEITARO_STATUS_MAP

        named = [n for n in ("statuses", "trigger", *STATUS_FIELDS) if n in self.given]
        if not named:
            return
        chosen: set[str] | None = None
        if "statuses" in self.given:
            chosen = set(self._keitaro_statuses(self.value("statuses")))
        events: list[str] = []
        if "trigger" in self.given:
            events, by_status = self._trigger()
            if by_status:
                chosen = (chosen or set()) | by_status
        labels: dict[str, str | None] = {}
        off: set[str] = set()
        for name in STATUS_FIELDS:
            if name not in self.given:
                continue
            value = self.value(name)
            if value is True or (isinstance(value, str) and value.strip()):
                label = value.strip() if isinstance(value, str) else None
                if label and len(label) > 64:
                    self.refuse(name, "must be at most 64 characters long")
                labels[name] = label
            elif value is False or value in ("", None):
                off.add(name)
            else:
                self.refuse(name, "must be true, false or the status to send, such as sale")
        named_by_status = chosen | set(labels) if chosen is not None else None
        sending = (named_by_status or set(labels) or set(STATUS_FIELDS)) - off
        if not sending:
            self.refuse(named[0], "leaves no conversion to send")
            return
        left_out = set(STATUS_FIELDS) - sending
        status_map = dict(KEITARO_STATUS_MAP)
        for name in left_out:
            status_map.update(dict.fromkeys(STATUS_FIELDS[name], ""))
        for name in sending:
            if labels.get(name):
                status_map.update(dict.fromkeys(STATUS_FIELDS[name], labels[name]))
        fields["status_map"] = status_map
        if not events and left_out and not {"lead_status", "rejected_status"} & sending:
            keys = {key for name in sending for key in STATUS_FIELDS[name]}
            events = [event for event in EVENTS if event in keys]
        fields["events"] = events

    def _keitaro_statuses(self, value: Any) -> list[str]:
        items = _csv(value) if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            self.refuse(
                "statuses", "must be a list of Keitaro statuses: lead, sale, rejected, rebill"
            )
            return []
        for item in items:
            if item not in KEITARO_STATUSES:
                self.refuse(
                    "statuses",
                    f"holds {field_errors.quoted(item)}, which is not a Keitaro status (lead, "
                    "sale, rejected or rebill)",
                )
        return [field for i in items if i in KEITARO_STATUSES for field in KEITARO_STATUSES[i]]

    def _trigger(self) -> tuple[list[str], set[str]]:
        """The events a trigger names, and the status fields its Keitaro statuses do."""

        value = self.value("trigger")
        items = _csv(value) if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            self.refuse("trigger", "must be conversion events or Keitaro statuses")
            return [], set()
        events: set[str] = set()
        by_status: set[str] = set()
        for item in (i.strip().lower() for i in items):
            if item in EVERY_CONVERSION:
                continue
            if item in EVENTS and item != "unknown":
                events.add(item)
            elif item in KEITARO_STATUSES:
                by_status.update(KEITARO_STATUSES[item])
            else:
                self.refuse(
                    "trigger",
                    f"holds {field_errors.quoted(item)}; the hub's outbound postbacks go on "
                    "every conversion and each status change, limited by event (registration, "
                    "ftd, qftd, ngr, deposit, cpa) or Keitaro status (lead, sale, rejected, "
                    "rebill)",
                )
        return [event for event in EVENTS if event in events], by_status


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _pairs(value: Any) -> dict[str, Any] | None:
    """An object, or the node's list of ``{"name": ..., "value": ...}``, as a dict;
    ``None`` when it is neither."""
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list) and all(
        isinstance(item, Mapping) and isinstance(item.get("name"), str) for item in value
    ):
        return {item["name"]: item.get("value", "") for item in value}
    return None


def _quoted_around_macros(text: str) -> str:
    """A query value URL-encoded except for its macros, which delivery fills in (and
    encodes) itself."""
    pieces = []
    last = 0
    for found in _MACRO.finditer(text):
        pieces.append(quote(text[last : found.start()], safe=""))
        pieces.append(found.group(0))
        last = found.end()
    pieces.append(quote(text[last:], safe=""))
    return "".join(pieces)


def create_hub_postback(
    fields: Mapping[str, Any], url_secret: str | None, keyring: Keyring
) -> OutboundPostback:
    """The outbound postback of ``fields`` (checked by the caller), its key encrypted."""
    data = dict(fields)
    if url_secret:
        data["url_secret_ciphertext"] = keyring.encrypt(url_secret)
    return create_outbound(data, keyring).postback


def hub_postback_to_change(postback_id: int) -> OutboundPostback:
    """An outbound postback ``postback update --as-hub-outbound`` may change: not a
    preset, whose fields the hub keeps in step with a connection or a source."""
    row = get_outbound(postback_id)
    if row.preset:
        raise Invalid(
            f"outbound postback {row.id} is the hub's {row.preset} preset, not a postback of a "
            f"Keitaro campaign: change it with pbhub outbound update {row.id}"
        )
    return row


def update_hub_postback(
    row: OutboundPostback, changes: Mapping[str, Any], url_secret: str | None, keyring: Keyring
) -> OutboundPostback:
    data = dict(changes)
    if url_secret:
        data["url_secret_ciphertext"] = keyring.encrypt(url_secret)
    return update_outbound(row, data)
