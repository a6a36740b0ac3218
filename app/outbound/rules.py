"""What an outbound postback owes a conversion, and what to send: plain functions.

No database and no HTTP here: the planner and the sender call these with loaded rows,
so every rule (triggers, filters, status labels, request shape, retry schedule, what an
answer means) is testable on its own.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from app.core.keys import mask
from app.ingest.request_data import stored_params
from app.outbound import signing
from app.outbound.templates import (
    URL_SECRET,
    Values,
    render_form,
    render_header,
    render_json,
    render_url,
)

SIGNED_WEBHOOK = "signed_webhook"
KEITARO = "keitaro"
#: Svix's schedule (seconds before each retry); the signed webhook preset uses it.
SVIX_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000]
JITTER = 0.2
AUTO_DISABLE_AFTER = timedelta(days=5)
EXCERPT_BYTES = 2048


def remote_status(status_map: dict[str, str], status: str, event_type: str) -> str | None:
    """The remote label for ``{status}``; ``None`` means this conversion is not sent.

    A key naming the conversion's status (``pending``, ``rejected``, ``approved``) wins
    over one naming its event; an empty label means "do not send". Without a matching
    key the canonical event name is sent.
    """
    for key in (status, event_type):
        if key in status_map:
            label = status_map[key]
            return label if label else None
    return event_type


def triggers(postback: Any, conversion: Any) -> bool:
    """Whether ``conversion`` is owed to ``postback`` (before the status map's say).

    A conversion whose country is unknown matches no country filter (rather than all):
    a filter is a promise about what is sent."""
    if postback.state != "active" or conversion.attribution == "duplicate":
        return False
    if postback.events and conversion.event_type not in postback.events:
        return False
    if conversion.attribution not in (postback.attributions or ["matched", "unmatched"]):
        return False
    if postback.source_ids and conversion.source_id not in postback.source_ids:
        return False
    return not postback.countries or conversion.country in postback.countries


@dataclass(frozen=True)
class Prepared:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None = None
    #: The URL as it may be logged (secrets masked).
    shown_url: str = ""
    #: Why this request must not be sent at all (a secret that no longer decrypts).
    problem: str | None = None


@dataclass(frozen=True)
class Context:
    """Everything a request is built from, decrypted and loaded by the caller."""

    postback: Any
    conversion: Any
    source_name: str
    message_id: str
    now: datetime
    signing_secrets: tuple[str, ...] = ()
    url_secret: str | None = None
    #: Set when a stored secret could not be decrypted: nothing is sent half-keyed.
    problem: str | None = None


def values_for(ctx: Context) -> Values:
    conversion, postback = ctx.conversion, ctx.postback
    currency_default = postback.default_currency
    status = remote_status(postback.status_map or {}, conversion.status, conversion.event_type)
    fields = {
        "click_id": conversion.click_id,
        "event_type": conversion.event_type,
        "raw_event": conversion.raw_event,
        "status": status,
        "transaction_id": conversion.transaction_id,
        "payout_amount": conversion.payout_amount,
        "payout_currency": conversion.payout_currency
        or (currency_default if conversion.payout_amount is not None else None),
        "gross_amount": conversion.gross_amount,
        "gross_currency": conversion.gross_currency
        or (currency_default if conversion.gross_amount is not None else None),
        "external_user_id": conversion.external_user_id,
        "source_id": conversion.source_id,
        "source_name": ctx.source_name,
        "conversion_id": conversion.id,
        "received_at": conversion.received_at,
        "country": conversion.country,
        URL_SECRET: ctx.url_secret,
    }
    params, _ = stored_params(conversion.raw_request or {})
    return Values(fields, params)


def canonical_payload(ctx: Context, values: Values) -> dict[str, Any]:
    """The signed webhook's body: the canonical conversion, in the Standard Webhooks
    envelope (``type``, ``timestamp``, ``data``)."""
    conversion = ctx.conversion
    data = {
        name: values.get(name) or None
        for name in (
            "conversion_id",
            "source_id",
            "source_name",
            "event_type",
            "raw_event",
            "transaction_id",
            "click_id",
            "payout_amount",
            "payout_currency",
            "gross_amount",
            "gross_currency",
            "external_user_id",
            "country",
            "received_at",
        )
    }
    data.update(
        conversion_id=conversion.id,
        source_id=conversion.source_id,
        status=conversion.status,
        attribution=conversion.attribution,
        revision=conversion.revision,
    )
    return {
        "type": "conversion.updated" if conversion.revision else "conversion.accepted",
        "timestamp": ctx.now.isoformat(),
        "data": data,
    }


def prepare(ctx: Context) -> Prepared:
    """The request for one attempt, signed afresh (new timestamp, same message id)."""
    postback = ctx.postback
    values = values_for(ctx)
    extra = postback.extra_params or {}
    url = _with_params(render_url(postback.url_template, values), extra)
    headers = {
        name: render_header(value, values) for name, value in (postback.headers or {}).items()
    }
    body: bytes | None = None
    if postback.method == "POST":
        if postback.preset == SIGNED_WEBHOOK or (
            postback.body_format == "json" and not postback.body_template
        ):
            body = json.dumps(canonical_payload(ctx, values), separators=(",", ":")).encode()
            headers.setdefault("Content-Type", "application/json")
        elif postback.body_format == "json":
            body = render_json(postback.body_template, values).encode()
            headers.setdefault("Content-Type", "application/json")
        elif postback.body_template:
            body = render_form(postback.body_template, values).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    if ctx.signing_secrets:
        timestamp = int(ctx.now.timestamp())
        headers.update(
            signing.headers(ctx.message_id, timestamp, body or b"", list(ctx.signing_secrets))
        )
    headers.setdefault("User-Agent", "PostbackHub/1.0")
    shown = url
    if ctx.url_secret:
        # Rendered again with the secret masked: the URL holds it percent-encoded, so
        # searching the URL for the raw secret would miss one with reserved characters.
        hidden = mask(ctx.url_secret, visible=2)
        masked = Values({**values.fields, URL_SECRET: hidden}, values.params)
        shown = _with_params(render_url(postback.url_template, masked), extra).replace(
            quote(hidden, safe=""), hidden
        )
    return Prepared(postback.method, url, headers, body, shown, ctx.problem)


def _with_params(url: str, extra: dict[str, Any]) -> str:
    if not extra:
        return url
    parts = urlsplit(url)
    query = "&".join(
        q for q in (parts.query, urlencode({k: str(v) for k, v in extra.items()})) if q
    )
    return urlunsplit(parts._replace(query=query))


# -- answers and retries ---------------------------------------------------------------


def outcome(status_code: int | None) -> str:
    """``delivered``, ``gone`` (410: disable the postback), ``failed`` (a 4xx the
    receiver will answer again: no retry) or ``retry`` (5xx, 408, 429, no answer)."""
    if status_code is None:
        return "retry"
    if 200 <= status_code < 300:
        return "delivered"
    if status_code == 410:
        return "gone"
    if 400 <= status_code < 500 and status_code not in (408, 429):
        return "failed"
    return "retry"


def retry_delays(postback: Any) -> list[float]:
    """Seconds before each retry, before jitter: the explicit schedule, or ``retry_count``
    delays growing from ``retry_delay_seconds`` by doubling, capped."""
    if postback.schedule:
        return [float(d) for d in postback.schedule]
    first, cap = postback.retry_delay_seconds, postback.retry_max_delay_seconds
    return [min(first * 2**n, cap) for n in range(postback.retry_count)]


def next_attempt(
    postback: Any,
    attempts: int,
    now: datetime,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> datetime | None:
    """When to try again after ``attempts`` attempts; ``None`` when retries are spent.
    A receiver's ``Retry-After`` is honoured when it asks for longer."""
    delays = retry_delays(postback)
    if attempts > len(delays):
        return None
    delay = delays[attempts - 1] * (1 + (rng or random).uniform(-JITTER, JITTER))
    if retry_after is not None:
        delay = max(delay, retry_after)
    return now + timedelta(seconds=delay)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), 86400.0)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, min((when - now).total_seconds(), 86400.0))
