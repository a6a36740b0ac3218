"""Live stats over the API."""

from __future__ import annotations

from flask import jsonify, request

from app.api import bp
from app.api.auth import require
from app.api.schemas import StatsQuerySchema, StatsSchema
from app.services import stats as service


@bp.get("/stats")
@require("operator")
def stats():  # type: ignore[no-untyped-def]
    """Clicks, conversions, money per currency, EPC and events for a window; with
    ``group_by=country`` the same figures per country too, under ``groups``.
    ---
    get:
      parameters:
        - in: query
          schema: StatsQuerySchema
      responses:
        200:
          content:
            application/json:
              schema: StatsSchema
        422:
          content:
            application/json:
              schema: ErrorSchema
    """
    query = StatsQuerySchema().load(request.args)
    result = service.compute(
        query["window"], query.get("source_id"), group_by=query.get("group_by")
    )
    return jsonify(StatsSchema().dump(result))
