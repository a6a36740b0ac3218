"""Keitaro connections: the trackers the hub drives, their keys kept encrypted."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from sqlalchemy import func, select, update

from app.core import field_errors
from app.core.keys import Keyring, mask
from app.core.vocabulary import EVENTS
from app.extensions import db
from app.keitaro import errors as keitaro_errors
from app.keitaro.client import Keitaro
from app.keitaro.postbacks import HUB_FIELDS, KEITARO_FIELDS
from app.keitaro.transport import API_PATH, api_base, guard_error
from app.models import Click, KeitaroConnection, OutboundPostback, Source
from app.outbound import http as outbound_http
from app.outbound import ssrf
from app.outbound.templates import MACROS, TemplateError, validate
from app.services.errors import Conflict, Invalid, NotFound


@dataclass(frozen=True)
class ClientSettings:
    """How the hub talks to trackers (timeouts, which private hosts are allowed)."""

    #: Per attempt (connect, and each read).
    timeout: float = 30.0
    #: ``None`` turns the SSRF guard off (calls are still pinned to one resolution).
    allowed: ssrf.Allowed | None = None
    #: Sent instead of ours when a tracker's firewall wants a browser-like agent.
    user_agent: str | None = None
    #: Seconds one API call may take in all, retries and backoff included.
    deadline: float = outbound_http.DEFAULT_DEADLINE
    #: How tracker names are resolved (tests inject a fake DNS).
    resolve: ssrf.Resolver = ssrf.default_resolver


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(
            f"unknown timezone “{name}” (use a name like Europe/Moscow)",
            {
                "timezone": [
                    f"is “{name}”, which is not a time zone; use a name such as "
                    "Europe/Moscow or UTC"
                ]
            },
        ) from None
    return name


def add_connection(
    data: Mapping[str, Any], keyring: Keyring, settings: ClientSettings
) -> KeitaroConnection:
    """A new connection. The tracker URL is checked like outbound targets are: a private
    address needs PBHUB_OUTBOUND_ALLOWED_HOSTS."""
    name = data["name"].strip()
    if db.session.scalar(select(KeitaroConnection.id).where(KeitaroConnection.name == name)):
        raise Conflict(
            f"a Keitaro connection named “{name}” exists",
            {"name": ["is already taken by another Keitaro connection"]},
        )
    url = _checked_url(data["url"], settings)
    row = KeitaroConnection(
        name=name,
        url=url,
        api_key_ciphertext=keyring.encrypt(data["api_key"].strip()),
        postback_key_ciphertext=(
            keyring.encrypt(data["postback_key"].strip()) if data.get("postback_key") else None
        ),
        timezone=check_timezone(data.get("timezone") or "UTC"),
        verify_tls=data.get("verify_tls", True),
        source_id=_source_id(data.get("source")),
        source_map={},
        is_default=not db.session.scalar(select(func.count()).select_from(KeitaroConnection)),
    )
    db.session.add(row)
    db.session.commit()
    return row


def update_connection(
    row: KeitaroConnection, data: Mapping[str, Any], keyring: Keyring, settings: ClientSettings
) -> KeitaroConnection:
    """Change a connection.

    Pointing it at another host needs the API key again, and forgets the postback key
    unless a new one comes with it: a stolen admin session must not be able to send
    either stored key to a host of its choosing. The forwarding postback follows a new
    address or postback key, and waits, disabled, while there is no key.
    """
    retarget = "postback_key" in data
    if "url" in data:
        new_url = _checked_url(data["url"], settings)
        moved = urlsplit(api_base(new_url)).netloc != urlsplit(api_base(row.url)).netloc
        if moved and not data.get("api_key"):
            raise Invalid(
                "pointing the connection at another host needs its API key again",
                {"api_key": ["is required when the tracker's host changes"]},
            )
        if moved and "postback_key" not in data:
            row.postback_key_ciphertext = None
        row.url = new_url
        retarget = True
    if data.get("api_key"):
        row.api_key_ciphertext = keyring.encrypt(data["api_key"].strip())
    if "postback_key" in data:
        key = (data["postback_key"] or "").strip()
        row.postback_key_ciphertext = keyring.encrypt(key) if key else None
    if "timezone" in data:
        row.timezone = check_timezone(data["timezone"])
    if "verify_tls" in data:
        row.verify_tls = data["verify_tls"]
    if "sync_enabled" in data:
        row.sync_enabled = data["sync_enabled"]
    if "source" in data:
        row.source_id = _source_id(data["source"])
    if data.get("default"):
        db.session.execute(update(KeitaroConnection).values(is_default=False))
        row.is_default = True
    if retarget:
        _retarget_forwarding(row, keyring)
    db.session.commit()
    return row


def _no_key_reason(row: KeitaroConnection) -> str:
    return f"the Keitaro connection {row.name!r} has no postback key"


def _retarget_forwarding(row: KeitaroConnection, keyring: Keyring) -> None:
    """The preset's URL is the connection's to keep: it is rewritten from the
    connection's address and key, never edited by hand."""
    from app.services.outbound import keitaro_target

    postback = (
        db.session.get(OutboundPostback, row.outbound_postback_id)
        if row.outbound_postback_id
        else None
    )
    if postback is None:
        return
    key = keyring.decrypt(row.postback_key_ciphertext) if row.postback_key_ciphertext else None
    if not key:
        postback.state = "disabled"
        postback.disabled_reason = _no_key_reason(row)
        return
    for name, value in keitaro_target(row.url.removesuffix(API_PATH), key, keyring).items():
        setattr(postback, name, value)
    if postback.state == "disabled" and postback.disabled_reason == _no_key_reason(row):
        postback.state = "active"
        postback.disabled_reason = None


def url_guard(settings: ClientSettings) -> Callable[[str], None] | None:
    """The SSRF check of a tracker URL, as a Keitaro error the callers already handle:
    when it is saved, and before every call (its name may resolve elsewhere since).

    It only gives the friendly error early: what protects each call is the session of
    ``session_for``, which checks the addresses it connects to, on the one resolution
    it uses (a name answering differently the second time gets nowhere).
    """
    allowed = settings.allowed
    if allowed is None:
        return None

    def check(url: str) -> None:
        try:
            outbound_http.check_url(url, allowed, settings.resolve)
        except (ssrf.Refused, ssrf.Unresolvable) as exc:
            raise guard_error(exc) from None

    return check


def session_for(settings: ClientSettings) -> requests.Session:
    """A session to call trackers with: each call checked against the allow-list and
    connected to the addresses checked (``app.outbound.http``)."""
    return outbound_http.outbound_session(settings.allowed, settings.resolve)


def map_network(row: KeitaroConnection, network_id: int, source: str | None) -> None:
    """Count clicks of one Keitaro affiliate network's offers towards a hub source
    (``None`` removes the mapping)."""
    mapping = dict(row.source_map or {})
    if source is None:
        mapping.pop(str(network_id), None)
    else:
        mapping[str(network_id)] = _source_id(source)
    row.source_map = mapping
    db.session.commit()


def _checked_url(url: str, settings: ClientSettings) -> str:
    """The tracker URL as stored, refused here (a field error) by the same guard that
    checks every call."""
    try:
        base = api_base(url)
    except ValueError as exc:
        raise Invalid(str(exc), {"url": ["must start with http:// or https://"]}) from None
    guard = url_guard(settings)
    if guard is not None:
        try:
            guard(base)
        except keitaro_errors.KeitaroError as exc:
            raise Invalid(exc.message, {"url": [f"cannot be called: {exc.message}"]}) from None
    return url.strip().rstrip("/")


def _source_id(name_or_id: str | int | None) -> int | None:
    if name_or_id in (None, ""):
        return None
    text = str(name_or_id)
    condition = Source.id == int(text) if text.isdigit() else Source.name == text
    found = db.session.scalar(select(Source.id).where(condition))
    if found is None:
        raise NotFound(f"no source {text!r}")
    return found


def list_connections() -> list[KeitaroConnection]:
    return list(db.session.scalars(select(KeitaroConnection).order_by(KeitaroConnection.name)))


def get_connection(name: str | None = None) -> KeitaroConnection:
    """By name, or the default one (the first added, unless another was made default)."""
    if name:
        condition = (
            KeitaroConnection.id == int(name) if name.isdigit() else KeitaroConnection.name == name
        )
        row = db.session.scalar(select(KeitaroConnection).where(condition))
        if row is None:
            raise NotFound(f"no Keitaro connection {name!r}")
        return row
    rows = list_connections()
    if not rows:
        raise NotFound(
            "no Keitaro connection yet: add one with "
            "`pbhub keitaro connections add NAME --url URL --api-key KEY`"
        )
    return next((r for r in rows if r.is_default), rows[0])


def remove_connection(row: KeitaroConnection) -> int:
    """Remove it and the clicks imported through it; the number of those clicks."""
    clicks = db.session.scalar(
        select(func.count()).select_from(Click).where(Click.connection_id == row.id)
    )
    if row.outbound_postback_id:
        postback = db.session.get(OutboundPostback, row.outbound_postback_id)
        if postback is not None:
            postback.state = "disabled"
            postback.disabled_reason = f"its Keitaro connection {row.name!r} was removed"
    db.session.delete(row)
    db.session.commit()
    return int(clicks or 0)


def client_for(row: KeitaroConnection, keyring: Keyring, settings: ClientSettings) -> Keitaro:
    api_key = keyring.decrypt(row.api_key_ciphertext)
    if api_key is None:
        raise Invalid(
            f"the API key of {row.name!r} cannot be decrypted: SECRET_KEY changed since it "
            "was saved; add the key again with `pbhub keitaro connections update`"
        )
    return Keitaro(
        row.url,
        api_key,
        timezone=row.timezone,
        timeout=settings.timeout,
        deadline=settings.deadline,
        verify_tls=row.verify_tls,
        guard=url_guard(settings),
        session=session_for(settings),
        **({"user_agent": settings.user_agent} if settings.user_agent else {}),
    )


#: The documented call that proves a connection when no campaign count is wanted: the
#: cheapest list of the Admin API (campaign groups are few), answered only to a valid key
#: of a licence with the API, and only by the Admin API itself.
PROOF = "GET /groups?type=campaigns"


def check_connection(client: Keitaro, *, count_campaigns: bool = True) -> dict[str, Any]:
    """A call of Keitaro's published API proves the URL, the key and the licence: 401
    says the key is wrong, 402 that the licence lacks the Admin API, a web page that the
    URL is not the Admin API's; each raises its KeitaroError.

    ``count_campaigns`` lists the campaigns for their count (the dashboard shows it);
    without it the proof is the cheapest list there is, which a tracker with thousands
    of campaigns answers as fast as an empty one. The tracker's own timezone is read
    from ``GET /settings`` where it answers (newer trackers; outside the published API,
    so nothing depends on it)."""
    warnings = []
    if count_campaigns:
        campaigns = client.campaigns.list()
        result: dict[str, Any] = {"ok": True, "campaigns": len(campaigns or [])}
    else:
        result = {"ok": True, "checked": PROOF}
        try:
            groups = client.groups.list("campaigns")
        except keitaro_errors.Forbidden:
            # Refused for want of a permission, not for the key: the key works.
            groups = []
            warnings.append(
                "the API key works, but its user may not read campaign groups: some "
                "commands will be refused (Maintenance > Users sets what it may do)"
            )
        if not isinstance(groups, list):
            raise keitaro_errors.NotAnAdminApi(
                f"{client.transport.base} answered {PROOF} with something other than a "
                "list: this URL is not a Keitaro Admin API"
            )
    try:
        settings = client.settings.get() or {}
    except keitaro_errors.KeitaroError:
        settings = {}
    tracker_zone = settings.get("timezone") if isinstance(settings, dict) else None
    if tracker_zone:
        result["tracker_timezone"] = tracker_zone
        configured = client.timezone.key
        if tracker_zone != configured:
            warnings.append(
                f"the tracker says its timezone is {tracker_zone}, the connection says "
                f"{configured}: click times would be off; update the connection"
            )
    if warnings:
        result["warning"] = "; ".join(warnings)
    return result


def describe(row: KeitaroConnection, keyring: Keyring) -> dict[str, Any]:
    """What may be shown: keys masked, never whole."""
    postback_key = (
        keyring.decrypt(row.postback_key_ciphertext) if row.postback_key_ciphertext else None
    )
    return {
        "id": row.id,
        "name": row.name,
        "url": row.url,
        "api_key": mask(keyring.decrypt(row.api_key_ciphertext) or "?"),
        "postback_key": mask(postback_key) if postback_key else None,
        "timezone": row.timezone,
        "verify_tls": row.verify_tls,
        "default": row.is_default,
        "source_id": row.source_id,
        "source_map": row.source_map or {},
        "sync_enabled": row.sync_enabled,
        "outbound_postback_id": row.outbound_postback_id,
        "created_at": row.created_at,
    }


def setup_forwarding(row: KeitaroConnection, keyring: Keyring) -> tuple[OutboundPostback, bool]:
    """The Keitaro outbound preset for this connection: every accepted conversion is
    posted to the tracker's postback URL. Returns (postback, created); a second call
    returns the existing one."""
    from app.services.outbound import create_outbound

    if row.outbound_postback_id:
        existing = db.session.get(OutboundPostback, row.outbound_postback_id)
        if existing is not None:
            return existing, False
    key = keyring.decrypt(row.postback_key_ciphertext) if row.postback_key_ciphertext else None
    if not key:
        raise Invalid(
            f"{row.name!r} has no postback key: find it in Keitaro (Maintenance > Settings > "
            "Postback URL) and run `pbhub keitaro connections update "
            f"{row.name} --postback-key KEY`",
            {"postback_key": ["is required to forward conversions to Keitaro"]},
        )
    created = create_outbound(
        {
            "name": f"Keitaro: {row.name}",
            "preset": "keitaro",
            "tracker_url": row.url.removesuffix(API_PATH),
            "postback_key": key,
        },
        keyring,
    )
    row.outbound_postback_id = created.postback.id
    db.session.commit()
    return created.postback, True


# -- a Keitaro postback as the hub's own outbound postback ------------------------------

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
                ids.append(_source_id(name))
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
    from app.services.outbound import create_outbound

    data = dict(fields)
    if url_secret:
        data["url_secret_ciphertext"] = keyring.encrypt(url_secret)
    return create_outbound(data, keyring).postback


def hub_postback_to_change(postback_id: int) -> OutboundPostback:
    """An outbound postback ``postback update --as-hub-outbound`` may change: not a
    preset, whose fields the hub keeps in step with a connection or a source."""
    from app.services.outbound import get_outbound

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
    from app.services.outbound import update_outbound

    data = dict(changes)
    if url_secret:
        data["url_secret_ciphertext"] = keyring.encrypt(url_secret)
    return update_outbound(row, data)
