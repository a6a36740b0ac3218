"""Per-app singletons that routes and services reach through ``current_app``."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import TYPE_CHECKING

from flask import Flask, current_app

from app.config import ConfigError
from app.core.countries import CountryLookup, GeoDatabaseError, open_lookup
from app.core.keys import Keyring
from app.ingest.sources_cache import SourceCache

if TYPE_CHECKING:
    from redis import Redis

    from app.outbound.dispatch import Settings
    from app.outbound.engine import Engine
    from app.services.doctor import Setup
    from app.services.keitaro import ClientSettings
    from app.services.signatures import SignatureRegistry
    from app.services.users import Invitations


def init_app(app: Flask) -> None:
    # Imported here: the plugin system imports app.core, and app.core's package
    # imports this module; at call time every module is complete.
    from app.models.types import utcnow
    from app.outbound.dispatch import Settings
    from app.outbound.engine import Engine
    from app.outbound.ssrf import parse_allowed
    from app.services.signatures import SignatureRegistry

    app.extensions["pbhub.keyring"] = Keyring(app.config["SECRET_KEY"])
    try:
        app.extensions["pbhub.countries"] = open_lookup(app.config["PBHUB_GEOIP_DB"])
    except GeoDatabaseError as exc:
        raise ConfigError(str(exc)) from None
    app.extensions["pbhub.sources"] = SourceCache(app.config["PBHUB_SOURCE_CACHE_SECONDS"])
    app.extensions["pbhub.signatures"] = SignatureRegistry(
        blocked=app.config["PBHUB_BLOCK_PLUGINS"]
    )
    allowed = parse_allowed(app.config["PBHUB_OUTBOUND_ALLOWED_HOSTS"])
    app.extensions["pbhub.delivery"] = Settings(
        keyring=app.extensions["pbhub.keyring"],
        allowed=allowed,
        now=utcnow,
        deadline=app.config["PBHUB_OUTBOUND_DEADLINE"],
    )
    app.extensions["pbhub.engine"] = Engine(app, threads=app.config["PBHUB_DELIVERY_THREADS"])


def keyring() -> Keyring:
    return current_app.extensions["pbhub.keyring"]


def country_lookup() -> CountryLookup:
    """This process's country database, loaded once when the app was created."""
    return current_app.extensions["pbhub.countries"]


def source_cache() -> SourceCache:
    return current_app.extensions["pbhub.sources"]


def signature_registry() -> SignatureRegistry:
    return current_app.extensions["pbhub.signatures"]


def delivery_settings() -> Settings:
    """Keys, the SSRF allow-list, the clock and the HTTP session deliveries use."""
    return current_app.extensions["pbhub.delivery"]


def delivery_engine() -> Engine:
    """This process's delivery engine (its threads start with its first delivery)."""
    return current_app.extensions["pbhub.engine"]


def keitaro_settings() -> ClientSettings:
    from app.services.keitaro import ClientSettings

    return ClientSettings(
        timeout=current_app.config["PBHUB_KEITARO_TIMEOUT"],
        allowed=delivery_settings().allowed,
        user_agent=current_app.config["PBHUB_KEITARO_USER_AGENT"],
        deadline=current_app.config["PBHUB_OUTBOUND_DEADLINE"],
    )


def invitations() -> Invitations:
    """Invitation and password-reset links, valid for ``PBHUB_INVITE_HOURS``."""
    from app.services.users import Invitations

    hours = current_app.config.get("PBHUB_INVITE_HOURS", 72)
    return Invitations(keyring().invitation, timedelta(hours=hours))


def base_url() -> str:
    return current_app.config["PBHUB_BASE_URL"]


def flush_buffers(app: Flask) -> None:
    """Write what background threads still hold (buffered clicks, batched enqueues)."""
    from app.ingest.clicks import get_recorder
    from app.queue import get_queue

    get_recorder(app).flush()
    get_queue(app).join()


def doctor_setup(redis: Redis | None = None) -> Setup:
    """What ``pbhub doctor`` and ``/healthz`` check: this app as configured."""
    from app.extensions import db
    from app.queue import QUEUE_NAME
    from app.services.doctor import Setup
    from app.version import VERSION

    return Setup(
        config=current_app.config,
        environ=os.environ,
        engine=db.engine,
        migrations=current_app.config["PBHUB_MIGRATIONS_DIR"],
        lookup=country_lookup(),
        queue_name=QUEUE_NAME,
        version=VERSION,
        redis=redis,
    )
