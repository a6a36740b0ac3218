"""The OpenAPI document, generated from the marshmallow schemas and route docstrings."""

from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import current_app, jsonify

from app.api import bp, openapi_fill, schemas

SPEC_KEY = "pbhub.openapi"


def build_spec() -> dict:
    """The document: docstrings and marshmallow schemas give each operation its shapes,
    ``openapi_fill`` what the route itself tells (parameters, errors, links)."""
    spec = APISpec(
        title="Postback Hub API",
        version="1",
        openapi_version="3.0.3",
        info={
            "description": "Sources, conversions and live stats. "
            "Send `Authorization: Bearer <token>` (create one with `pbhub tokens create`)."
        },
        plugins=[FlaskPlugin(), MarshmallowPlugin()],
        servers=[{"url": current_app.config["PBHUB_BASE_URL"]}],
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for name in ("ErrorSchema",):
        spec.components.schema(name.removesuffix("Schema"), schema=getattr(schemas, name))
    for endpoint, view in current_app.view_functions.items():
        if endpoint.startswith("api.") and endpoint != "api.openapi":
            spec.path(view=view, app=current_app)
    document = spec.to_dict()
    document["security"] = [{"bearerAuth": []}]
    return openapi_fill.complete(document, openapi_fill.api_routes(current_app))


@bp.get("/openapi.json")
def openapi():  # type: ignore[no-untyped-def]
    """The OpenAPI 3 document of this API (public, like any API description)."""
    if SPEC_KEY not in current_app.extensions:
        current_app.extensions[SPEC_KEY] = build_spec()
    return jsonify(current_app.extensions[SPEC_KEY])
