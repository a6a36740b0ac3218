"""Outbound postbacks and their deliveries over the API (operators)."""

from __future__ import annotations

from datetime import timedelta

from flask import jsonify, request

from app.api import bp, json_object
from app.api.auth import require
from app.api.schemas import (
    DeliveryListSchema,
    DeliveryQuerySchema,
    DeliverySchema,
    OutboundInSchema,
    OutboundListSchema,
    OutboundOutSchema,
    OutboundPatchSchema,
    OutboundTestSchema,
    ReplayDeadSchema,
    RotateInSchema,
)
from app.jobs.deliveries import enqueue_sends
from app.runtime import delivery_settings, keyring
from app.services import outbound as service


def _with_secret(row, secret):  # type: ignore[no-untyped-def]
    """``OutboundWithSecretSchema``: the secret is added here, never read off the row."""
    body = OutboundOutSchema().dump(row)
    if secret:
        body["secret"] = secret
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/outbound-postbacks")
@require("operator")
def create_outbound():  # type: ignore[no-untyped-def]
    """Create an outbound postback (or one from the signed_webhook / keitaro preset).
    ---
    post:
      description: A signed postback's `secret` (whsec_...) is in this answer only.
      requestBody:
        content:
          application/json:
            schema: OutboundInSchema
      responses:
        201:
          content:
            application/json:
              schema: OutboundWithSecretSchema
        409:
          content:
            application/json:
              schema: ErrorSchema
        422:
          content:
            application/json:
              schema: ErrorSchema
    """
    schema = OutboundInSchema()
    created = service.create_outbound(schema.normalise(schema.load(json_object())), keyring())
    return _with_secret(created.postback, created.secret), 201


@bp.get("/outbound-postbacks")
@require("operator")
def list_outbound():  # type: ignore[no-untyped-def]
    """List outbound postbacks.
    ---
    get:
      responses:
        200:
          content:
            application/json:
              schema: OutboundListSchema
    """
    return jsonify(OutboundListSchema().dump({"items": service.list_outbound()}))


@bp.get("/outbound-postbacks/<id:postback_id>")
@require("operator")
def get_outbound(postback_id: int):  # type: ignore[no-untyped-def]
    """Get an outbound postback.
    ---
    get:
      responses:
        200:
          content:
            application/json:
              schema: OutboundOutSchema
        404:
          content:
            application/json:
              schema: ErrorSchema
    """
    return jsonify(OutboundOutSchema().dump(service.get_outbound(postback_id)))


@bp.patch("/outbound-postbacks/<id:postback_id>")
@require("operator")
def update_outbound(postback_id: int):  # type: ignore[no-untyped-def]
    """Change an outbound postback; `state: active` re-enables a disabled one.
    ---
    patch:
      requestBody:
        content:
          application/json:
            schema: OutboundPatchSchema
      responses:
        200:
          content:
            application/json:
              schema: OutboundOutSchema
        409:
          content:
            application/json:
              schema: ErrorSchema
        422:
          content:
            application/json:
              schema: ErrorSchema
    """
    row = service.get_outbound(postback_id)
    schema = OutboundPatchSchema()
    changes = schema.normalise(schema.load(json_object()))
    return jsonify(OutboundOutSchema().dump(service.update_outbound(row, changes)))


@bp.delete("/outbound-postbacks/<id:postback_id>")
@require("operator")
def delete_outbound(postback_id: int):  # type: ignore[no-untyped-def]
    """Delete an outbound postback with its deliveries.
    ---
    delete:
      responses:
        204:
          description: Deleted.
    """
    service.delete_outbound(service.get_outbound(postback_id))
    return "", 204


@bp.post("/outbound-postbacks/<id:postback_id>/test")
@require("operator")
def test_outbound(postback_id: int):  # type: ignore[no-untyped-def]
    """Fire a synthetic conversion now: the request we sent and the answer we got.
    ---
    post:
      responses:
        200:
          content:
            application/json:
              schema: OutboundTestSchema
    """
    result = service.test_outbound(service.get_outbound(postback_id), delivery_settings())
    return jsonify(OutboundTestSchema().dump(result))


@bp.post("/outbound-postbacks/<id:postback_id>/rotate-secret")
@require("operator")
def rotate_secret(postback_id: int):  # type: ignore[no-untyped-def]
    """A new signing secret, shown once; the old one also signs during the grace period.
    ---
    post:
      requestBody:
        content:
          application/json:
            schema: RotateInSchema
      responses:
        200:
          content:
            application/json:
              schema: OutboundWithSecretSchema
    """
    options = RotateInSchema().load(request.get_json(silent=True) or {})
    row = service.get_outbound(postback_id)
    now = delivery_settings().now()
    secret = service.rotate_secret(row, keyring(), now, timedelta(hours=options["grace_hours"]))
    return _with_secret(row, secret)


@bp.post("/outbound-postbacks/<id:postback_id>/end-grace")
@require("operator")
def end_grace(postback_id: int):  # type: ignore[no-untyped-def]
    """Stop signing with the previous secret now.
    ---
    post:
      responses:
        200:
          content:
            application/json:
              schema: OutboundOutSchema
    """
    return jsonify(OutboundOutSchema().dump(service.end_grace(service.get_outbound(postback_id))))


@bp.post("/outbound-postbacks/<id:postback_id>/probe")
@require("operator")
def probe(postback_id: int):  # type: ignore[no-untyped-def]
    """End an open circuit's pause now: the next delivery due goes as the probe, and an
    answer closes the circuit. 409 when the circuit is closed.
    ---
    post:
      responses:
        200:
          content:
            application/json:
              schema: OutboundOutSchema
        409:
          description: The circuit is closed; there is nothing to probe.
    """
    row = service.probe_now(service.get_outbound(postback_id), delivery_settings().now())
    return jsonify(OutboundOutSchema().dump(row))


@bp.get("/outbound-postbacks/<id:postback_id>/deliveries")
@require("operator")
def list_deliveries(postback_id: int):  # type: ignore[no-untyped-def]
    """The postback's deliveries, newest first, with every attempt.
    ---
    get:
      parameters:
      - in: query
        schema: DeliveryQuerySchema
      responses:
        200:
          content:
            application/json:
              schema: DeliveryListSchema
    """
    query = DeliveryQuerySchema().load(request.args)
    rows = service.list_deliveries(
        service.get_outbound(postback_id), query.get("state"), query["limit"]
    )
    return jsonify(DeliveryListSchema().dump({"items": rows}))


@bp.post("/outbound-postbacks/<id:postback_id>/replay-dead")
@require("operator")
def replay_dead(postback_id: int):  # type: ignore[no-untyped-def]
    """Send every dead delivery of this postback again.
    ---
    post:
      responses:
        200:
          content:
            application/json:
              schema: ReplayDeadSchema
    """
    done = service.replay_dead(service.get_outbound(postback_id), delivery_settings().now())
    enqueue_sends(done.ids)
    return jsonify(
        ReplayDeadSchema().dump({"replayed": len(done.ids), "superseded": done.superseded})
    )


@bp.post("/deliveries/<bigid:delivery_id>/replay")
@require("operator")
def replay_delivery(delivery_id: int):  # type: ignore[no-untyped-def]
    """Send one delivery again (same webhook-id: receivers deduplicate).
    ---
    post:
      responses:
        200:
          content:
            application/json:
              schema: DeliverySchema
        409:
          description: A later status of its conversion reached the receiver already.
    """
    delivery = service.get_delivery(delivery_id)
    service.replay_one(delivery, delivery_settings().now())
    enqueue_sends([delivery.id])
    return jsonify(DeliverySchema().dump(delivery))
