"""The root page and the health check used by load balancers and process managers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, current_app, jsonify, redirect, request, url_for

from app.runtime import doctor_setup
from app.services import doctor
from app.version import VERSION

if TYPE_CHECKING:
    from redis import Redis

bp = Blueprint("home", __name__)


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    """Browsers go to the dashboard; programs get the map of the API."""
    if request.accept_mimetypes.best_match(("application/json", "text/html")) == "text/html":
        return redirect(url_for("dashboard.postbacks"))
    return jsonify(
        name="Postback Hub",
        version=VERSION,
        api="/api/v1",
        openapi="/api/v1/openapi.json",
        docs="/api/docs",
        health="/healthz",
    )


@bp.get("/favicon.ico")
def favicon():  # type: ignore[no-untyped-def]
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/healthz")
def health():  # type: ignore[no-untyped-def]
    """The cheap checks of ``pbhub doctor``, for monitors and load balancers.

    503 only when this process cannot store a conversion: its database does not
    answer, or is empty or behind this code's migrations. Any other failure (Redis
    down, no worker) answers 200 with ``status`` ``degraded``: a load balancer that took
    every web process out of rotation because the worker stopped would turn a delay in
    deliveries into refused postbacks. Warnings (stale country data, a clock a little
    off) are listed and leave ``status`` ``ok``. A database a newer version already
    migrated answers 200 too, so a rolling upgrade keeps the old processes serving.
    Monitors alert on ``status`` and ``checks``; load balancers need only the code.

    No outbound call, and nothing of the configuration (key, hosts, URLs) in the
    answer: anyone who can reach the hub can read it.
    """
    checks = doctor.run(doctor_setup(redis=_health_redis()), operator=False)
    database = next(check for check in checks if check.name == "database")
    stores = doctor.stores_data(checks)
    status = "degraded" if doctor.overall(checks) == "failing" else "ok"
    body = {
        "status": status if stores else "unavailable",
        "database": "down" if database.status == doctor.FAIL else "up",
        "version": VERSION,
        "checks": [check.as_dict() for check in checks],
    }
    return jsonify(body), 200 if stores else 503


#: Seconds /healthz gives Redis: a probe answers within the balancer's timeout.
HEALTH_REDIS_TIMEOUT = 0.5


def _health_redis() -> Redis | None:
    """One Redis client per process for /healthz, so a probe reuses its connection."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    key = "pbhub.health_redis"
    if key not in current_app.extensions:
        current_app.extensions[key] = doctor.redis_client(url, HEALTH_REDIS_TIMEOUT)
    return current_app.extensions[key]
