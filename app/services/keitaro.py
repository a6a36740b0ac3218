"""Keitaro connections: the trackers the hub drives, their keys kept encrypted."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from sqlalchemy import func, select, update

from app.core.keys import Keyring, mask
from app.extensions import db
from app.keitaro import errors as keitaro_errors
from app.keitaro.client import Keitaro
from app.keitaro.transport import API_PATH, api_base, guard_error
from app.models import Click, KeitaroConnection, OutboundPostback, Source
from app.outbound import http as outbound_http
from app.outbound import ssrf
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
        source_id=source_id(data.get("source")),
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
        row.source_id = source_id(data["source"])
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
        mapping[str(network_id)] = source_id(source)
    row.source_map = mapping
    db.session.commit()


def _checked_url(url: str, settings: ClientSettings) -> str:
    """The tracker URL as stored, refused here (a field error) by the same guard that
    checks every call."""
    try:
        base = api_base(url)
    except ValueError as exc:
        raise Invalid(str(exc), {"url": ["must start with http:// or https://"]}) from None
    parts = urlsplit(url.strip())
    if parts.query or parts.fragment:
        # The Admin API's path goes after the address: after a query it would join it.
        raise Invalid(
            "the Keitaro URL is the tracker's address, without a query or a fragment",
            {
                "url": [
                    "must be the tracker's address without a query or a fragment, such as "
                    "https://tracker.example"
                ]
            },
        )
    guard = url_guard(settings)
    if guard is not None:
        try:
            guard(base)
        except keitaro_errors.KeitaroError as exc:
            raise Invalid(exc.message, {"url": [f"cannot be called: {exc.message}"]}) from None
    return url.strip().rstrip("/")


def source_id(name_or_id: str | int | None) -> int | None:
    """The id of the source named (or numbered) so; NotFound when there is none."""
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
    from app.services.outbound import create_outbound, fitting_name

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
            "name": fitting_name(f"Keitaro: {row.name}"),
            "preset": "keitaro",
            "tracker_url": row.url.removesuffix(API_PATH),
            "postback_key": key,
        },
        keyring,
    )
    row.outbound_postback_id = created.postback.id
    db.session.commit()
    return created.postback, True
