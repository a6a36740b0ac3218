"""Keitaro connections, their sync and reconciliation over the API.

Connections hold API keys, so adding, changing and removing them is for admins;
operators read status and reports. Keys are write-only: answers show them masked.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from app.api import bp, json_object
from app.api.auth import require
from app.api.schemas import (
    KeitaroConnectionInSchema,
    KeitaroConnectionListSchema,
    KeitaroConnectionOutSchema,
    KeitaroConnectionPatchSchema,
    KeitaroRemovedSchema,
    KeitaroSyncStatusSchema,
    KeitaroTestSchema,
    OutboundOutSchema,
    ReconcileQuerySchema,
    ReconcileReportSchema,
    SyncQueuedSchema,
)
from app.jobs.keitaro import IMPORT_JOB, METADATA_JOB
from app.models import KeitaroConnection
from app.models.types import utcnow
from app.queue import enqueue
from app.runtime import keitaro_settings, keyring
from app.services import keitaro as service
from app.services import keitaro_reconcile, keitaro_sync


def _connection(connection_id: int) -> KeitaroConnection:
    return service.get_connection(str(connection_id))


def _out(row: KeitaroConnection) -> dict[str, Any]:
    return KeitaroConnectionOutSchema().dump(service.describe(row, keyring()))


@bp.get("/keitaro/connections")
@require("operator")
def list_keitaro_connections():  # type: ignore[no-untyped-def]
    """List Keitaro connections (keys masked).
    ---
    get:
      responses:
        200:
          content:
            application/json:
              schema: KeitaroConnectionListSchema
    """
    items = [service.describe(row, keyring()) for row in service.list_connections()]
    return jsonify(KeitaroConnectionListSchema().dump({"items": items}))


@bp.post("/keitaro/connections")
@require("admin")
def add_keitaro_connection():  # type: ignore[no-untyped-def]
    """Add a Keitaro connection; the API key is never shown again.
    ---
    post:
      requestBody:
        content:
          application/json:
            schema: KeitaroConnectionInSchema
      responses:
        201:
          content:
            application/json:
              schema: KeitaroConnectionOutSchema
        404:
          description: No source has the name or id given as `source`.
        409:
          content:
            application/json:
              schema: ErrorSchema
        422:
          content:
            application/json:
              schema: ErrorSchema
    """
    data = KeitaroConnectionInSchema().load(json_object())
    row = service.add_connection(data, keyring(), keitaro_settings())
    return jsonify(_out(row)), 201


@bp.patch("/keitaro/connections/<id:connection_id>")
@require("admin")
def update_keitaro_connection(connection_id: int):  # type: ignore[no-untyped-def]
    """Change a Keitaro connection (send only what changes).
    ---
    patch:
      requestBody:
        content:
          application/json:
            schema: KeitaroConnectionPatchSchema
      responses:
        200:
          content:
            application/json:
              schema: KeitaroConnectionOutSchema
        404:
          description: No such connection, or no source has the name or id given as `source`.
    """
    data = KeitaroConnectionPatchSchema().load(json_object())
    data.pop("name", None)
    row = service.update_connection(_connection(connection_id), data, keyring(), keitaro_settings())
    return jsonify(_out(row))


@bp.delete("/keitaro/connections/<id:connection_id>")
@require("admin")
def remove_keitaro_connection(connection_id: int):  # type: ignore[no-untyped-def]
    """Remove a Keitaro connection and the clicks imported through it.
    ---
    delete:
      responses:
        200:
          description: Removed, with how many imported clicks went with it.
          content:
            application/json:
              schema: KeitaroRemovedSchema
    """
    clicks = service.remove_connection(_connection(connection_id))
    return jsonify(
        KeitaroRemovedSchema().dump({"removed": True, "imported_clicks_removed": clicks})
    )


@bp.post("/keitaro/connections/<id:connection_id>/test")
@require("admin")
def test_keitaro_connection(connection_id: int):  # type: ignore[no-untyped-def]
    """Call the tracker with the stored key; a Keitaro error answers 502 with its reason.
    ---
    post:
      responses:
        200:
          content:
            application/json:
              schema: KeitaroTestSchema
        422:
          description: The stored API key cannot be decrypted (SECRET_KEY changed).
        502:
          content:
            application/json:
              schema: ErrorSchema
    """
    row = _connection(connection_id)
    client = service.client_for(row, keyring(), keitaro_settings())
    return jsonify(KeitaroTestSchema().dump(service.check_connection(client)))


@bp.get("/keitaro/connections/<id:connection_id>/sync")
@require("operator")
def keitaro_sync_status(connection_id: int):  # type: ignore[no-untyped-def]
    """Click import and catalogue status: cursor, last success, last error, counts.
    ---
    get:
      responses:
        200:
          content:
            application/json:
              schema: KeitaroSyncStatusSchema
    """
    status = keitaro_sync.status(_connection(connection_id), utcnow())
    return jsonify(KeitaroSyncStatusSchema().dump(status))


@bp.post("/keitaro/connections/<id:connection_id>/sync")
@require("operator")
def keitaro_sync_now(connection_id: int):  # type: ignore[no-untyped-def]
    """Queue a click import and a catalogue refresh now.
    ---
    post:
      responses:
        202:
          description: Queued; follow it with GET .../sync.
          content:
            application/json:
              schema: SyncQueuedSchema
    """
    row = _connection(connection_id)
    enqueue(METADATA_JOB, row.id)
    enqueue(IMPORT_JOB, row.id)
    return jsonify(SyncQueuedSchema().dump({"queued": ["metadata", "clicks"]})), 202


@bp.post("/keitaro/connections/<id:connection_id>/forwarding")
@require("admin")
def keitaro_forwarding(connection_id: int):  # type: ignore[no-untyped-def]
    """Set up the Keitaro outbound postback for this connection (idempotent).
    ---
    post:
      responses:
        201:
          content:
            application/json:
              schema: OutboundOutSchema
        200:
          content:
            application/json:
              schema: OutboundOutSchema
        409:
          description: An outbound postback already has this forwarding's name.
        422:
          description: The connection has no postback key to forward with.
    """
    postback, created = service.setup_forwarding(_connection(connection_id), keyring())
    return jsonify(OutboundOutSchema().dump(postback)), 201 if created else 200


@bp.get("/keitaro/connections/<id:connection_id>/reconcile")
@require("operator")
def keitaro_reconcile_report(connection_id: int):  # type: ignore[no-untyped-def]
    """Compare Keitaro's conversions log with what the hub forwarded, by subid + tid.
    ---
    get:
      parameters:
      - in: query
        schema: ReconcileQuerySchema
      responses:
        200:
          content:
            application/json:
              schema: ReconcileReportSchema
        502:
          content:
            application/json:
              schema: ErrorSchema
    """
    query = ReconcileQuerySchema().load(request.args.to_dict())
    row = _connection(connection_id)
    client = service.client_for(row, keyring(), keitaro_settings())
    start, end = keitaro_reconcile.window(query["since"], utcnow())
    report = keitaro_reconcile.reconcile(row, client, start, end)
    return jsonify(ReconcileReportSchema().dump(report.as_dict()))
