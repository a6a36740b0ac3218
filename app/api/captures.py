"""Teaching a source its maps over the API: capture a test postback, finalize the
maps, re-map the history with them."""

from __future__ import annotations

from flask import jsonify

from app.api import bp, json_object
from app.api.auth import require
from app.api.schemas import (
    CaptureSchema,
    FinalizeInSchema,
    LearnUrlSchema,
    ReprocessInSchema,
    ReprocessReportSchema,
    SourceOutSchema,
)
from app.queue import enqueue_follow_ups
from app.runtime import base_url, keyring, signature_registry, source_cache
from app.services import captures as service
from app.services import reprocess as remapping
from app.services.sources import get_source


@bp.post("/sources/<id:source_id>/capture")
@require("operator")
def start_capture(source_id: int):  # type: ignore[no-untyped-def]
    """Issue a one-time learn URL for the source.
    ---
    post:
      summary: The first request to the URL (any method, query, form or JSON) is kept.
      responses:
        201:
          content:
            application/json:
              schema: LearnUrlSchema
        404:
          content:
            application/json:
              schema: ErrorSchema
    """
    learn = service.start_capture(get_source(source_id), base_url())
    response = jsonify(LearnUrlSchema().dump(learn))
    response.headers["Cache-Control"] = "no-store"
    return response, 201


@bp.get("/sources/<id:source_id>/capture")
@require("operator")
def show_capture(source_id: int):  # type: ignore[no-untyped-def]
    """What the learn URL caught, with a suggested field map.
    ---
    get:
      responses:
        200:
          content:
            application/json:
              schema: CaptureSchema
        404:
          content:
            application/json:
              schema: ErrorSchema
    """
    _, capture = service.get_source_capture(source_id)
    return jsonify(CaptureSchema().dump(service.describe(capture, signature_registry().all())))


@bp.post("/sources/<id:source_id>/capture/finalize")
@require("operator")
def finalize_capture(source_id: int):  # type: ignore[no-untyped-def]
    """Save the chosen maps on the source: the field map merges like PATCH (a field named
    takes its parameter, "" unmaps it, a field not named keeps its own).
    ---
    post:
      requestBody:
        content:
          application/json:
            schema: FinalizeInSchema
      responses:
        200:
          content:
            application/json:
              schema: SourceOutSchema
        409:
          content:
            application/json:
              schema: ErrorSchema
    """
    schema = FinalizeInSchema()
    changes = schema.normalise(schema.load(json_object()))
    source = service.finalize(get_source(source_id), changes)
    source_cache().clear()
    return jsonify(SourceOutSchema().dump(source))


@bp.post("/sources/<id:source_id>/reprocess")
@require("operator")
def reprocess_source(source_id: int):  # type: ignore[no-untyped-def]
    """Re-apply the source's current maps to its stored postbacks.
    ---
    post:
      summary: Re-translate, re-attribute and re-deduplicate stored postbacks.
      description: >-
        Each changed conversion keeps a history entry. The report counts every transition
        of attribution, event type and status (demotions from matched included) and lists
        the first 100 changed conversions with their old and new values; `dry_run` reports
        the same and writes nothing.
      requestBody:
        content:
          application/json:
            schema: ReprocessInSchema
      responses:
        200:
          content:
            application/json:
              schema: ReprocessReportSchema
        409:
          description: postbacks changed some of the conversions meanwhile; run it again
          content:
            application/json:
              schema: ErrorSchema
        422:
          content:
            application/json:
              schema: ErrorSchema
    """
    options = remapping.window(ReprocessInSchema().load(json_object()))
    report = remapping.reprocess(get_source(source_id), token_key=keyring().click_token, **options)
    enqueue_follow_ups(report.follow_ups)
    return jsonify(ReprocessReportSchema().dump(report.as_dict()))
