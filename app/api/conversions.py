"""Conversions over the API: filtered keyset pages and one conversion in full."""

from __future__ import annotations

from flask import jsonify, request

from app.api import bp
from app.api.auth import require
from app.api.schemas import ConversionDetailSchema, ConversionPageSchema, ConversionQuerySchema
from app.models import Conversion
from app.services import conversions as service
from app.services import keitaro_catalogue


@bp.get("/conversions")
@require("operator")
def list_conversions():  # type: ignore[no-untyped-def]
    """List conversions, newest first.
    ---
    get:
      summary: Newest first, 50 a page; follow next_cursor / prev_cursor.
      parameters:
        - in: query
          schema: ConversionQuerySchema
      responses:
        200:
          content:
            application/json:
              schema: ConversionPageSchema
        422:
          content:
            application/json:
              schema: ErrorSchema
    """
    query = ConversionQuerySchema().load(request.args)
    page = service.list_conversions(query, limit=query["limit"])
    _label(page.items)
    return jsonify(ConversionPageSchema().dump(page))


@bp.get("/conversions/<bigid:conversion_id>")
@require("operator")
def get_conversion(conversion_id: int):  # type: ignore[no-untyped-def]
    """One conversion with its raw request and status history.
    ---
    get:
      parameters:
        - in: path
          name: conversion_id
          schema: {type: integer}
          required: true
      responses:
        200:
          content:
            application/json:
              schema: ConversionDetailSchema
        404:
          content:
            application/json:
              schema: ErrorSchema
    """
    conversion = service.get_conversion(conversion_id)
    _label([conversion])
    return jsonify(ConversionDetailSchema().dump(conversion))


def _label(conversions: list[Conversion]) -> None:
    """Attach Keitaro's names of each conversion's imported click, if it has one."""
    labels = keitaro_catalogue.click_labels(c.click_id for c in conversions)
    for conversion in conversions:
        conversion.tracker = labels.get(conversion.click_id)
