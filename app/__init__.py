"""Postback Hub: the Flask application factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

# First of the package: every schema defined after it gets messages a person reads.
import app.core.field_messages  # noqa: F401
from app import config as settings
from app import (
    csrf,
    dashboard,
    errors,
    extensions,
    logs,
    paths,
    queue,
    ratelimit,
    request,
    runtime,
    sessions,
)
from app.ingest import clicks, writer
from app.request import BigIdConverter, IdConverter, JSONProvider, Request, SecretConverter


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from the environment; ``config`` overrides (tests)."""
    environment = settings.environment()
    app = Flask(__name__, instance_relative_config=True, instance_path=paths.data_dir(environment))
    app.request_class = Request
    app.json = JSONProvider(app)
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["bigid"] = BigIdConverter
    app.url_map.converters["secret"] = SecretConverter
    # No redirect for "//" in a path: networks do not follow one, and werkzeug would copy
    # the raw query string, control characters and all, into its Location header.
    app.url_map.merge_slashes = False
    app.config.from_mapping(settings.load(environment, app.instance_path))
    app.config["PBHUB_MIGRATIONS_DIR"] = paths.migrations_dir()
    if config:
        app.config.from_mapping(config)

    if app.config["PBHUB_TRUSTED_PROXIES"]:
        hops = app.config["PBHUB_TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    logs.init_app(app)
    extensions.init_app(app)
    runtime.init_app(app)
    queue.init_app(app)
    ratelimit.init_app(app)
    clicks.init_app(app)
    writer.init_app(app)
    errors.init_app(app)
    request.init_app(app)
    sessions.init_app(app)
    csrf.init_app(app)
    dashboard.init_app(app)

    from app import api_docs, home
    from app.api import bp as api_bp
    from app.auth import bp as auth_bp
    from app.ingest.routes import bp as ingest_bp

    app.register_blueprint(ingest_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(api_docs.bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(home.bp)

    from app.cli import register

    register(app)
    logs.mask_secret_routes(app)
    return app
