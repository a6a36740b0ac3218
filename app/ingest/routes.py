"""Thin routes over the pipeline: read the request, call domain code, answer."""

from __future__ import annotations

import logging
from functools import partial

from flask import Blueprint, current_app, jsonify, request
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError

from app.core import cid
from app.core.countries import stored_code
from app.core.keys import mask, token_digest
from app.core.params import clean
from app.errors import error_response
from app.extensions import db
from app.ingest.clicks import get_recorder
from app.ingest.pipeline import record_postback
from app.ingest.redirect import OfferRedirect
from app.ingest.request_data import (
    TOKEN_HEADER,
    raw_request,
    read_params,
    rejection_excerpt,
    token_from,
)
from app.models import RejectedPostback
from app.models.types import utcnow
from app.queue import enqueue_follow_ups
from app.ratelimit import get_limiter
from app.runtime import country_lookup, keyring, source_cache
from app.services.captures import record_learn_request

log = logging.getLogger(__name__)
bp = Blueprint("ingest", __name__)

MAX_EXCERPT = 2048
REJECTION_LOG_PER_MINUTE = 30


@bp.route("/pb", methods=["GET", "POST"])
@bp.route("/pb/<secret:token>", methods=["GET", "POST"])
@bp.route("/pb/<secret:token>/<path:event_label>", methods=["GET", "POST"])
def postback(token: str | None = None, event_label: str | None = None):  # type: ignore[no-untyped-def]
    if request.method == "HEAD":
        return error_response(405, "send GET or POST; HEAD stores nothing")
    token = token_from(request, token)
    source = source_cache().by_token_digest(token_digest(token)) if token else None
    if source is None:
        _log_rejection("unknown token", token, None)
        return error_response(403, "unknown or revoked postback token", code="invalid_token")
    if source.state != "active":
        _log_rejection(f"source is {source.state}", token, source.id)
        return error_response(
            403, f"this source is {source.state}; its postbacks are refused", code="source_inactive"
        )
    limit = source.rate_limit_per_minute
    wait = _wait(f"source:{source.id}", limit) if limit else 0
    if wait:
        response, status = error_response(429, f"more than {limit} postbacks a minute")
        response.headers["Retry-After"] = str(wait)
        return response, status

    params, notes, body_text = read_params(request)
    if source.previous_token:
        notes.append("token: the source's previous token, accepted during its rotation grace")
    record = partial(
        record_postback,
        source,
        params,
        notes=notes,
        raw_request=raw_request(request, body_text, (token,)),
        path_event=clean(event_label) if event_label else None,
        token_key=keyring().click_token,
    )
    try:
        outcome = record()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        log.warning("database connection lost; retrying the postback once on a new one")
        outcome = record()
    if outcome.is_new_work:
        _enqueue(outcome.conversion_id, outcome.status)
    return jsonify(
        status=outcome.status,
        attribution=outcome.attribution,
        conversion_id=outcome.conversion_id,
    )


@bp.route("/learn/<secret:token>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def learn(token: str):  # type: ignore[no-untyped-def]
    """A capture's one-time URL: keep the first request, whatever its shape."""
    if request.method == "HEAD":
        return error_response(405, "send the test postback itself; HEAD captures nothing")
    params, notes, body_text = read_params(request)
    stored = raw_request(request, body_text, (token,))
    record_learn_request(token, params, {**stored, "notes": notes})
    return jsonify(status="captured", parameters=len(params))


@bp.route("/t/<public_id>")
def track(public_id: str):  # type: ignore[no-untyped-def]
    source = source_cache().by_public_id(public_id)
    if source is None or source.state == "archived":
        return error_response(404, "no such Track URL")
    if source.offer_parts is None:
        return error_response(404, "this source has no offer URL to send clicks to")
    now = utcnow()
    country = _visitor_country()
    token = cid.mint(keyring().click_token, source.id, now, country)
    if request.method != "HEAD":
        get_recorder(current_app).record(
            {
                "source_id": source.id,
                "click_id": token,
                "origin": "track",
                "clicked_at": now,
                "country": country,
                "ip_hash": keyring().hash_ip(request.remote_addr),
                "user_agent": clean(request.headers.get("User-Agent", ""))[:512] or None,
                "referrer": clean(request.headers.get("Referer", ""))[:1024] or None,
                "params": {clean(k): clean(v)[:512] for k, v in list(request.args.items())[:50]}
                or None,
            }
        )
    return OfferRedirect(token.join(source.offer_parts))


def _visitor_country() -> str | None:
    """The CDN's word when the operator trusts its header (``PBHUB_COUNTRY_HEADER``),
    else the country database's for the visitor's address (``X-Forwarded-For`` counts
    only as far as ``PBHUB_TRUSTED_PROXIES`` says, through ``ProxyFix``)."""
    header = current_app.config["PBHUB_COUNTRY_HEADER"]
    code = stored_code(request.headers.get(header)) if header else None
    if code:
        return code
    return country_lookup().country_of(request.remote_addr)


def _wait(key: str, limit: int) -> int:
    """0 when this call is within its limit (and counted), else the seconds to wait."""
    try:
        return get_limiter(current_app).take(key, limit)
    except RedisError:
        log.warning("rate limiter unavailable; letting the postback through")
        return 0


def _enqueue(conversion_id: int, kind: str) -> None:
    """Queue follow-up work; never fails the stored postback (the queue batches in the
    background and keeps jobs in memory while Redis is unreachable)."""
    enqueue_follow_ups([(conversion_id, kind)])


def _log_rejection(reason: str, token: str | None, source_id: int | None) -> None:
    """Keep a troubleshooting row, at most ``REJECTION_LOG_PER_MINUTE`` per address, so a
    flood of made-up tokens cannot turn into a flood of writes."""
    if _wait(f"rejected:{request.remote_addr}", REJECTION_LOG_PER_MINUTE):
        return
    excerpt = rejection_excerpt(request, (token, request.headers.get(TOKEN_HEADER)), MAX_EXCERPT)
    try:
        db.session.add(
            RejectedPostback(
                reason=reason,
                source_id=source_id,
                remote_addr=request.remote_addr,
                method=request.method[:8],
                token_hint=mask(token) if token else None,
                excerpt=excerpt,
            )
        )
        db.session.commit()
    except DBAPIError:
        db.session.rollback()
        log.warning("could not log a rejected postback (%s)", reason)
    log.info("postback refused: %s (token %s)", reason, mask(token) or "none")
