"""Conversions over the API: filtered keyset pages, a CSV export, one conversion in full."""

from __future__ import annotations

from itertools import chain

from flask import Response, jsonify, request, stream_with_context

from app.api import bp
from app.api.auth import require
from app.api.schemas import ConversionDetailSchema, ConversionPageSchema, ConversionQuerySchema
from app.core.csv_export import csv_text
from app.models import Conversion
from app.models.types import utcnow
from app.services import conversions as service
from app.services import keitaro_catalogue


class ConversionExportQuerySchema(ConversionQuerySchema):
    """The list's filters without its paging: an export holds every matching row."""

    class Meta:
        exclude = ("cursor", "limit")


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


@bp.get("/conversions.csv")
@require("operator")
def export_conversions():  # type: ignore[no-untyped-def]
    """Every conversion matching the filters, as a CSV file, newest first.
    ---
    get:
      summary: The conversions list as CSV, every matching row, streamed.
      description: >
        Takes the filters of GET /conversions (without cursor and limit). One header row,
        then one row per conversion with every canonical field, times in ISO 8601 UTC and
        amounts as stored; RFC 4180 quoting, UTF-8, CRLF line ends. A text cell that starts
        with =, +, -, @, a tab or a carriage return is prefixed with ' so a spreadsheet
        shows it rather than runs it. Sent as an attachment named
        conversions-YYYYMMDD-HHMM.csv (UTC).
      parameters:
        - in: query
          schema: ConversionExportQuerySchema
      responses:
        200:
          description: The CSV file.
          content:
            text/csv:
              schema: {type: string}
        422:
          content:
            application/json:
              schema: ErrorSchema
    """
    filters = ConversionExportQuerySchema().load(request.args)
    chunks = service.export(filters)
    # The first page is read before answering: a database that cannot be read is then a
    # 503 like anywhere else, not a file cut off after its header.
    first = next(chunks, [])
    body = csv_text(service.EXPORT_COLUMNS, chain([first], chunks))
    response = Response(stream_with_context(body), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="conversions-{utcnow():%Y%m%d-%H%M}.csv"'
    )
    return response


@bp.get("/conversions/<bigid:conversion_id>")
@require("operator")
def get_conversion(conversion_id: int):  # type: ignore[no-untyped-def]
    """One conversion with its raw request and status history.
    ---
    get:
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
