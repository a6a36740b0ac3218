"""Sources over the API. Operators manage sources; deleting one takes an admin."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from flask import jsonify, request

from app.api import bp, json_object
from app.api.auth import require
from app.api.schemas import (
    RotatedTokenSchema,
    RotateTokenInSchema,
    SourceInSchema,
    SourceListSchema,
    SourceOutSchema,
    SourcePatchSchema,
    SourceUrlsSchema,
)
from app.models.types import utcnow
from app.runtime import base_url, keyring, source_cache
from app.services import outbound
from app.services import sources as service


@bp.post("/sources")
@require("operator")
def create_source():  # type: ignore[no-untyped-def]
    """Create a source.
    ---
    post:
      summary: Create a source; the answer holds its inbound token, shown this once.
      requestBody:
        content:
          application/json:
            schema: SourceInSchema
      responses:
        201:
          content:
            application/json:
              schema: SourceCreatedSchema
        409:
          content:
            application/json:
              schema: ErrorSchema
        422:
          content:
            application/json:
              schema: ErrorSchema
    """
    schema = SourceInSchema()
    data = schema.normalise(schema.load(json_object()))
    source, urls = service.create_source(data, keyring(), base_url())
    secret = outbound.sync_source_webhook(source, keyring())
    body = {**SourceOutSchema().dump(source), **SourceUrlsSchema().dump(urls)}
    if secret:
        body["outbound_secret"] = secret
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 201


@bp.get("/sources")
@require("operator")
def list_sources():  # type: ignore[no-untyped-def]
    """List sources.
    ---
    get:
      summary: Every source, by name.
      responses:
        200:
          content:
            application/json:
              schema: SourceListSchema
    """
    return jsonify(SourceListSchema().dump({"items": service.list_sources()}))


@bp.get("/sources/<id:source_id>")
@require("operator")
def get_source(source_id: int):  # type: ignore[no-untyped-def]
    """Get a source.
    ---
    get:
      responses:
        200:
          content:
            application/json:
              schema: SourceOutSchema
        404:
          content:
            application/json:
              schema: ErrorSchema
    """
    return jsonify(SourceOutSchema().dump(service.get_source(source_id)))


@bp.patch("/sources/<id:source_id>")
@require("operator")
def update_source(source_id: int):  # type: ignore[no-untyped-def]
    """Change some fields of a source.
    ---
    patch:
      requestBody:
        content:
          application/json:
            schema: SourcePatchSchema
      responses:
        200:
          content:
            application/json:
              schema: SourceWithSecretSchema
        409:
          content:
            application/json:
              schema: ErrorSchema
        422:
          content:
            application/json:
              schema: ErrorSchema
    """
    source = service.get_source(source_id)
    schema = SourcePatchSchema()
    changes = schema.normalise(schema.load(json_object()))
    service.update_source(source, changes)
    secret = outbound.sync_source_webhook(source, keyring())
    source_cache().clear()
    # A SourceWithSecretSchema: the secret is added here, never read off the row.
    body = SourceOutSchema().dump(source)
    if secret:
        body["outbound_secret"] = secret
    return jsonify(body)


@bp.post("/sources/<id:source_id>/pause")
@require("operator")
def pause_source(source_id: int):  # type: ignore[no-untyped-def]
    """Pause a source: its Postback URL answers 403 until resumed.
    ---
    post:
      responses:
        200:
          content:
            application/json:
              schema: SourceOutSchema
    """
    source = service.set_state(service.get_source(source_id), "paused")
    source_cache().clear()
    return jsonify(SourceOutSchema().dump(source))


@bp.post("/sources/<id:source_id>/resume")
@require("operator")
def resume_source(source_id: int):  # type: ignore[no-untyped-def]
    """Resume a paused or archived source.
    ---
    post:
      responses:
        200:
          content:
            application/json:
              schema: SourceOutSchema
    """
    source = service.set_state(service.get_source(source_id), "active")
    source_cache().clear()
    return jsonify(SourceOutSchema().dump(source))


@bp.delete("/sources/<id:source_id>")
@require("admin")
def delete_source(source_id: int):  # type: ignore[no-untyped-def]
    """Delete a source (refused while it has conversions, unless archived).
    ---
    delete:
      responses:
        204:
          description: Deleted.
        409:
          content:
            application/json:
              schema: ErrorSchema
    """
    service.delete_source(service.get_source(source_id))
    source_cache().clear()
    return "", 204


@bp.get("/sources/<id:source_id>/postback-url")
@require("operator")
def reveal_postback_url(source_id: int):  # type: ignore[no-untyped-def]
    """Show the Postback URL (with its token) and the Track URL again.
    ---
    get:
      responses:
        200:
          content:
            application/json:
              schema: SourceUrlsSchema
        409:
          description: The inbound token was encrypted under another SECRET_KEY.
    """
    urls = service.reveal_urls(service.get_source(source_id), keyring(), base_url())
    response = jsonify(SourceUrlsSchema().dump(urls))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/sources/<id:source_id>/rotate-token")
@require("operator")
def rotate_token(source_id: int):  # type: ignore[no-untyped-def]
    """A new inbound token (shown once); the old one works during the grace period.
    ---
    post:
      requestBody:
        content:
          application/json:
            schema: RotateTokenInSchema
      responses:
        200:
          content:
            application/json:
              schema: RotatedTokenSchema
    """
    options = RotateTokenInSchema().load(request.get_json(silent=True) or {})
    source = service.get_source(source_id)
    urls = service.rotate_token(
        source, keyring(), base_url(), utcnow(), timedelta(hours=options["grace_hours"])
    )
    source_cache().clear()
    response = jsonify(
        RotatedTokenSchema().dump(
            {**asdict(urls), "previous_token_until": source.previous_token_until}
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/sources/<id:source_id>/end-token-grace")
@require("operator")
def end_token_grace(source_id: int):  # type: ignore[no-untyped-def]
    """Refuse the previous inbound token from now on.
    ---
    post:
      responses:
        200:
          content:
            application/json:
              schema: SourceOutSchema
    """
    source = service.end_token_grace(service.get_source(source_id))
    source_cache().clear()
    return jsonify(SourceOutSchema().dump(source))
