"""Outbound postbacks: create (also from presets), change, delete, test, rotate the
signing secret, list and replay deliveries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.core import field_errors
from app.core.keys import Keyring
from app.extensions import db
from app.models import Delivery, OutboundPostback
from app.outbound import circuit, dispatch, rules, signing
from app.outbound.templates import TemplateError, validate
from app.services.errors import Conflict, Invalid, NotFound
from app.services.sources import MAX_GRACE

KEITARO_STATUS_MAP = {
    "pending": "lead",
    "rejected": "rejected",
    "registration": "lead",
    "ftd": "sale",
    "qftd": "sale",
    "cpa": "sale",
    "ngr": "sale",
    "deposit": "rebill",
    "unknown": "",
}
NEEDED_BY_KEITARO = "is required by the Keitaro preset"
KEITARO_QUERY = (
    "subid={click_id}&status={status}&payout={payout_amount}"
    "&currency={payout_currency}&tid={transaction_id}"
)


@dataclass(frozen=True)
class Created:
    postback: OutboundPostback
    #: The signing secret, returned once (``None`` for unsigned postbacks).
    secret: str | None


def _preset_fields(data: dict[str, Any], keyring: Keyring) -> dict[str, Any]:
    preset = data.pop("preset", None)
    tracker_url, key = data.pop("tracker_url", None), data.pop("postback_key", None)
    target = data.pop("url", None)
    if preset == rules.KEITARO:
        if not tracker_url or not key:
            missing = {"tracker_url": tracker_url, "postback_key": key}
            raise Invalid(
                "the Keitaro preset needs tracker_url and postback_key",
                {name: [NEEDED_BY_KEITARO] for name, given in missing.items() if not given},
            )
        return {
            "preset": preset,
            "method": "GET",
            "status_map": {**KEITARO_STATUS_MAP, **(data.pop("status_map", None) or {})},
            **keitaro_target(tracker_url, key, keyring),
        }
    if preset == rules.SIGNED_WEBHOOK:
        if not target:
            raise Invalid(
                "the signed webhook preset needs a url",
                {"url": ["is required by the signed webhook preset"]},
            )
        data.setdefault("schedule", rules.SVIX_SCHEDULE)
        return {
            "preset": preset,
            "url_template": target,
            "method": "POST",
            "body_format": "json",
            "signing": True,
        }
    if target and "url_template" not in data:
        data["url_template"] = target
    return {}


def keitaro_target(tracker_url: str, postback_key: str, keyring: Keyring) -> dict[str, str]:
    """Where the Keitaro preset posts: the tracker's postback URL, its key encrypted."""
    parts = urlsplit(tracker_url.strip())
    base = urlunsplit(parts._replace(query="", fragment="")).rstrip("/")
    return {
        "url_template": f"{base}/{{url_secret}}/postback?{KEITARO_QUERY}",
        "url_secret_ciphertext": keyring.encrypt(postback_key.strip()),
    }


def _check_templates(row_or_data: Mapping[str, Any], url_secret: bool) -> None:
    """Refuse a template naming a macro no delivery can fill; the message names each
    unknown macro and where it is, the fields say it beside the field."""
    errors: dict[str, Any] = {}
    for name in ("url_template", "body_template"):
        template = row_or_data.get(name)
        if template:
            try:
                validate(template, url_secret=url_secret and name == "url_template")
            except TemplateError as exc:
                errors[name] = [str(exc)]
    for header, value in (row_or_data.get("headers") or {}).items():
        try:
            validate(value)
        except TemplateError as exc:
            errors.setdefault("headers", {})[header] = {"value": [str(exc)]}
    if errors:
        raise Invalid(field_errors.summary(field_errors.sentences(errors)), errors)


def create_outbound(data: Mapping[str, Any], keyring: Keyring) -> Created:
    fields = dict(data)
    fields.update(_preset_fields(fields, keyring))
    if not fields.get("url_template"):
        raise Invalid(
            "an outbound postback needs a url_template", {"url_template": ["is required"]}
        )
    # A URL secret is the Keitaro preset's postback key, or a key given with a postback
    # made from a Keitaro campaign's (``pbhub keitaro postback create --as-hub-outbound``).
    keyed = fields.get("preset") == rules.KEITARO or bool(fields.get("url_secret_ciphertext"))
    _check_templates(fields, url_secret=keyed)
    if _name_taken(fields["name"]):
        raise _name_conflict(fields["name"])
    secret = signing.new_secret() if fields.pop("signing", False) else None
    row = OutboundPostback(**fields)
    if secret:
        row.secret_ciphertext = keyring.encrypt(secret)
    db.session.add(row)
    db.session.commit()
    return Created(row, secret)


def _name_taken(name: str, exclude: int | None = None) -> bool:
    """Like a source's name: case-insensitively, and the exact name whatever the
    database's ``lower`` folds."""
    same = or_(OutboundPostback.name == name, func.lower(OutboundPostback.name) == name.lower())
    query = select(OutboundPostback.id).where(same)
    if exclude is not None:
        query = query.where(OutboundPostback.id != exclude)
    return db.session.scalar(query) is not None


def _name_conflict(name: str) -> Conflict:
    return Conflict(
        f"an outbound postback named “{name}” exists",
        {"name": ["is already taken by another outbound postback"]},
    )


def get_outbound(postback_id: int) -> OutboundPostback:
    row = db.session.get(OutboundPostback, postback_id)
    if row is None:
        raise NotFound(f"no outbound postback {postback_id}")
    return row


def list_outbound() -> list[OutboundPostback]:
    return list(db.session.scalars(select(OutboundPostback).order_by(OutboundPostback.name)))


def update_outbound(row: OutboundPostback, changes: Mapping[str, Any]) -> OutboundPostback:
    changes = dict(changes)
    if "name" in changes and _name_taken(changes["name"], exclude=row.id):
        raise _name_conflict(changes["name"])
    merged = {
        "url_template": changes.get("url_template", row.url_template),
        "body_template": changes.get("body_template", row.body_template),
        "headers": changes.get("headers", row.headers),
    }
    keyed = row.preset == rules.KEITARO or bool(
        changes.get("url_secret_ciphertext", row.url_secret_ciphertext)
    )
    _check_templates(merged, url_secret=keyed)
    if changes.get("state") == "active" and row.state != "active":
        row.disabled_reason = None
        row.failing_since = None
        circuit.reset(row)
    for name, value in changes.items():
        setattr(row, name, value)
    db.session.commit()
    return row


def probe_now(row: OutboundPostback, now: datetime) -> OutboundPostback:
    """End an open circuit's pause now (the operator says the receiver is back): the next
    delivery due goes as the probe, and an answer closes the circuit."""
    if row.circuit_state == "closed":
        raise Conflict(f"the circuit of outbound postback {row.id} is closed: nothing to probe")
    if row.circuit_state == "open":
        row.circuit_next_probe_at = now
    db.session.commit()
    return row


def delete_outbound(row: OutboundPostback) -> None:
    db.session.delete(row)
    db.session.commit()


def rotate_secret(row: OutboundPostback, keyring: Keyring, now: datetime, grace: timedelta) -> str:
    """A new signing secret, returned once; the old one keeps signing (beside the new)
    until ``now + grace``."""
    if grace < timedelta(0) or grace > MAX_GRACE:
        raise Invalid(
            "the grace period is 0 to 7 days", {"grace_hours": ["must be 0 to 168 hours"]}
        )
    secret = signing.new_secret()
    if row.secret_ciphertext:
        row.previous_secret_ciphertext = row.secret_ciphertext
        row.previous_secret_until = now + grace
    row.secret_ciphertext = keyring.encrypt(secret)
    db.session.commit()
    return secret


def end_grace(row: OutboundPostback) -> OutboundPostback:
    row.previous_secret_ciphertext = None
    row.previous_secret_until = None
    db.session.commit()
    return row


def synthetic_conversion(row: OutboundPostback, now: datetime) -> SimpleNamespace:
    return SimpleNamespace(
        id=0,
        source_id=(row.source_ids or [0])[0],
        received_at=now,
        attribution="matched",
        event_type=(row.events or ["ftd"])[0],
        raw_event="test",
        status="approved",
        click_id="TEST-CLICK-ID",
        transaction_id="TEST-TRANSACTION",
        payout_amount=Decimal("1.00"),
        payout_currency=row.default_currency or "USD",
        gross_amount=None,
        gross_currency=None,
        external_user_id=None,
        country=(row.countries or ["US"])[0],
        revision=0,
        raw_request={"query": {}},
    )


def test_outbound(row: OutboundPostback, settings: dispatch.Settings) -> dict[str, Any]:
    """Fire a synthetic conversion now; the request we sent and the answer we got."""
    now = settings.now()
    ctx = dispatch.context_for(
        row,
        synthetic_conversion(row, now),
        source_name="test",
        message_id=signing.new_message_id(),
        now=now,
        keyring=settings.keyring,
    )
    prepared = rules.prepare(ctx)
    shown_headers = {
        k: ("…" if k.lower() in ("webhook-signature", "x-postback-hub-signature") else v)
        for k, v in prepared.headers.items()
    }
    request = {
        "method": prepared.method,
        "url": prepared.shown_url,
        "headers": shown_headers,
        "body": (prepared.body or b"").decode("utf-8", "replace"),
    }
    status, excerpt, error, _, latency = dispatch.perform(prepared, row, settings)
    response = None if status is None else {"status_code": status, "body": excerpt}
    return {"request": request, "response": response, "error": error, "latency_ms": latency}


def list_deliveries(row: OutboundPostback, state: str | None, limit: int) -> list[Delivery]:
    query = (
        select(Delivery)
        .options(selectinload(Delivery.attempt_log))
        .where(Delivery.outbound_postback_id == row.id)
        .order_by(Delivery.id.desc())
        .limit(limit)
    )
    if state:
        query = query.where(Delivery.state == state)
    return list(db.session.scalars(query))


def delivery_counts(postback_id: int | None = None) -> dict[int, dict[str, int]]:
    """Per outbound postback (or only the one given): how many deliveries are in each
    state."""
    counts: dict[int, dict[str, int]] = {}
    query = select(Delivery.outbound_postback_id, Delivery.state, func.count()).group_by(
        Delivery.outbound_postback_id, Delivery.state
    )
    if postback_id is not None:
        query = query.where(Delivery.outbound_postback_id == postback_id)
    rows = db.session.execute(query)
    for postback_id, state, number in rows:
        counts.setdefault(postback_id, {})[state] = number
    return counts


def get_delivery(delivery_id: int) -> Delivery:
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound(f"no delivery {delivery_id}")
    return delivery


@dataclass(frozen=True)
class Replayed:
    """What a replay of dead deliveries did: the ids queued again, and how many were left
    dead because a later status of their conversion already reached the receiver."""

    ids: list[int]
    superseded: int


def replay_dead(row: OutboundPostback, now: datetime) -> Replayed:
    dead = list(
        db.session.scalars(
            select(Delivery).where(
                Delivery.outbound_postback_id == row.id, Delivery.state == "dead"
            )
        )
    )
    skipped = dispatch.superseded([d.id for d in dead])
    replayable = [d for d in dead if d.id not in skipped]
    dispatch.replay(replayable, now)
    return Replayed([d.id for d in replayable], len(skipped))


def replay_one(delivery: Delivery, now: datetime) -> None:
    """Send one delivery again, unless a later status already reached its receiver: the
    receiver would end on the older one, so the operator is told instead."""
    if dispatch.superseded([delivery.id]):
        raise Conflict(
            f"delivery {delivery.id} carries an earlier status of conversion "
            f"{delivery.conversion_id} than one already delivered to this postback; sent "
            "again, it would leave the receiver on the older status"
        )
    dispatch.replay([delivery], now)


def source_webhook_id(source: Any) -> int | None:
    return db.session.scalar(
        select(OutboundPostback.id).where(OutboundPostback.owner_source_id == source.id)
    )


def sync_source_webhook(source: Any, keyring: Keyring) -> str | None:
    """Keep the signed webhook of a source's ``outbound_target_url`` in step with it.

    Setting the URL creates the webhook (its secret is returned, once), changing it moves
    the webhook, clearing it deactivates the webhook (its deliveries stay visible)."""
    row = db.session.scalar(
        select(OutboundPostback).where(OutboundPostback.owner_source_id == source.id)
    )
    target = source.outbound_target_url
    if row is None:
        if not target:
            return None
        created = create_outbound(
            {
                "name": free_name(source.name, " webhook"),
                "preset": rules.SIGNED_WEBHOOK,
                "url": target,
                "source_ids": [source.id],
                "owner_source_id": source.id,
            },
            keyring,
        )
        return created.secret
    if target and row.url_template != target:
        row.url_template = target
    if not target and row.state == "active":
        row.state = "inactive"
    elif target and row.state == "inactive":
        row.state = "active"
    db.session.commit()
    return None


def fitting_name(name: str, suffix: str = "") -> str:
    """``name`` and ``suffix``, ``name`` cut so that both fit an outbound postback's name
    column: a name derived from a source's or a connection's, which may be as long as the
    column, would not fit with anything added."""
    length = OutboundPostback.__table__.c.name.type.length
    return name[: length - len(suffix)] + suffix


def free_name(name: str, suffix: str = "") -> str:
    """``name`` and ``suffix`` (fitted), or with `` 2``, `` 3``... after them: the first no
    outbound postback has."""
    candidate, n = fitting_name(name, suffix), 1
    while _name_taken(candidate):
        n += 1
        candidate = fitting_name(name, f"{suffix} {n}")
    return candidate
