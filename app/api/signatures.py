"""Detection, signatures and support tickets over the API.

Operators detect and create sources from a pasted URL; admins write signatures and
work the tickets that unknown URLs open.
"""

from __future__ import annotations

from flask import jsonify, request
from marshmallow import ValidationError

from app.api import bp, json_object
from app.api.auth import require
from app.api.schemas import (
    AdminSignatureListSchema,
    AdminSignaturePatchSchema,
    AdminSignatureSchema,
    DetectInSchema,
    DetectionSchema,
    FromDetectionInSchema,
    SignatureDraftSchema,
    SignatureListSchema,
    SourceOutSchema,
    SourceUrlsSchema,
    TicketListSchema,
    TicketQuerySchema,
    TicketSchema,
)
from app.runtime import base_url, keyring, signature_registry
from app.services import outbound
from app.services import signatures as service


@bp.post("/sources/detect")
@require("operator")
def detect_source():  # type: ignore[no-untyped-def]
    """Recognise a network from a sample postback URL.
    ---
    post:
      summary: Score every signature against a pasted URL (macros intact, or as arrived).
      description: Every answer carries the generic reader's map (`reader`), which is
        the whole answer for a network no signature knows; such a URL also opens a
        support ticket for the admins (repeats of the same parameter-name set count on
        the same open ticket). A `sample_postback` (the URL as it arrived, values in
        place of macros) decides between candidates by what its values look like.
      requestBody:
        content:
          application/json:
            schema: DetectInSchema
      responses:
        200:
          content:
            application/json:
              schema: DetectionSchema
        409:
          description: The support ticket could not be recorded; try again.
        422:
          content:
            application/json:
              schema: ErrorSchema
    """
    data = DetectInSchema().load(json_object())
    detection, ticket = service.detect_url(
        data["url"], signature_registry(), data.get("sample_postback")
    )
    return jsonify(DetectionSchema().dump(service.detection_answer(detection, ticket)))


@bp.post("/sources/from-detection")
@require("operator")
def create_source_from_detection():  # type: ignore[no-untyped-def]
    """Create a source with the maps a detection found.
    ---
    post:
      summary: Detect, then create the source with its field, event and status maps.
      description: Give `signature_id` to pick one of an ambiguous detection's
        candidates. An unknown network's source takes the generic reader's map. A
        `field_map` or `event_map` given here confirms or corrects the detected one,
        field by field; a map without a click id is refused.
      requestBody:
        content:
          application/json:
            schema: FromDetectionInSchema
      responses:
        201:
          content:
            application/json:
              schema: SourceFromDetectionSchema
        409:
          content:
            application/json:
              schema: ErrorSchema
        422:
          content:
            application/json:
              schema: ErrorSchema
    """
    schema = FromDetectionInSchema()
    data = schema.normalise(schema.load(json_object()))
    url, signature_id = data.pop("url"), data.pop("signature_id", None)
    sample_postback = data.pop("sample_postback", None)
    confirmed = {name: data.pop(name) for name in ("field_map", "event_map") if name in data}
    source, urls, detection = service.create_source_from_detection(
        url,
        signature_id,
        data,
        signature_registry(),
        keyring(),
        base_url(),
        sample_postback=sample_postback,
        confirmed=confirmed,
    )
    secret = outbound.sync_source_webhook(source, keyring())
    body = {
        **SourceOutSchema().dump(source),
        **SourceUrlsSchema().dump(urls),
        "detection": DetectionSchema().dump(detection.to_dict()),
    }
    if secret:
        body["outbound_secret"] = secret
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 201


@bp.get("/signatures")
@require("operator")
def list_signatures():  # type: ignore[no-untyped-def]
    """List every signature detection uses.
    ---
    get:
      summary: Built-in, plugin and admin-written signatures.
      responses:
        200:
          content:
            application/json:
              schema: SignatureListSchema
    """
    items = service.described(signature_registry())
    return jsonify(SignatureListSchema().dump({"items": items}))


@bp.get("/admin/signatures")
@require("admin")
def list_admin_signatures():  # type: ignore[no-untyped-def]
    """List admin-written signatures.
    ---
    get:
      responses:
        200:
          content:
            application/json:
              schema: AdminSignatureListSchema
    """
    items = service.list_admin_signatures()
    return jsonify(AdminSignatureListSchema().dump({"items": items}))


@bp.post("/admin/signatures")
@require("admin")
def create_admin_signature():  # type: ignore[no-untyped-def]
    """Write a signature; detection uses it at once, in every process.
    ---
    post:
      requestBody:
        content:
          application/json:
            schema: AdminSignatureSchema
      responses:
        201:
          content:
            application/json:
              schema: AdminSignatureSchema
        409:
          content:
            application/json:
              schema: ErrorSchema
        422:
          content:
            application/json:
              schema: ErrorSchema
    """
    data = AdminSignatureSchema().load(json_object())
    row = service.create_admin_signature(data, signature_registry())
    return jsonify(AdminSignatureSchema().dump(row)), 201


@bp.get("/admin/signatures/<signature_id>")
@require("admin")
def get_admin_signature(signature_id: str):  # type: ignore[no-untyped-def]
    """Get an admin-written signature.
    ---
    get:
      responses:
        200:
          content:
            application/json:
              schema: AdminSignatureSchema
        404:
          content:
            application/json:
              schema: ErrorSchema
    """
    return jsonify(AdminSignatureSchema().dump(service.get_admin_signature(signature_id)))


@bp.patch("/admin/signatures/<signature_id>")
@require("admin")
def update_admin_signature(signature_id: str):  # type: ignore[no-untyped-def]
    """Change an admin-written signature (its id stays).
    ---
    patch:
      requestBody:
        content:
          application/json:
            schema: AdminSignaturePatchSchema
      responses:
        200:
          content:
            application/json:
              schema: AdminSignatureSchema
        422:
          content:
            application/json:
              schema: ErrorSchema
    """
    row = service.get_admin_signature(signature_id)
    changes = AdminSignaturePatchSchema().load(json_object())
    if "id" in changes and changes.pop("id") != row.id:
        raise ValidationError({"id": ["The id of a signature cannot change."]})
    return jsonify(AdminSignatureSchema().dump(service.update_admin_signature(row, changes)))


@bp.delete("/admin/signatures/<signature_id>")
@require("admin")
def delete_admin_signature(signature_id: str):  # type: ignore[no-untyped-def]
    """Delete an admin-written signature.
    ---
    delete:
      responses:
        204:
          description: Deleted.
        404:
          content:
            application/json:
              schema: ErrorSchema
    """
    service.delete_admin_signature(service.get_admin_signature(signature_id))
    return "", 204


@bp.get("/admin/tickets")
@require("admin")
def list_tickets():  # type: ignore[no-untyped-def]
    """Support tickets opened by URLs no signature recognised.
    ---
    get:
      parameters:
      - in: query
        schema: TicketQuerySchema
      responses:
        200:
          content:
            application/json:
              schema: TicketListSchema
    """
    query = TicketQuerySchema().load(request.args)
    return jsonify(TicketListSchema().dump({"items": service.list_tickets(query.get("state"))}))


@bp.post("/admin/tickets/<id:ticket_id>/resolve")
@require("admin")
def resolve_ticket(ticket_id: int):  # type: ignore[no-untyped-def]
    """Mark a ticket resolved; the same URL shape opens a new one if it comes back.
    ---
    post:
      responses:
        200:
          content:
            application/json:
              schema: TicketSchema
        404:
          content:
            application/json:
              schema: ErrorSchema
    """
    ticket = service.resolve_ticket(service.get_ticket(ticket_id))
    return jsonify(TicketSchema().dump(ticket))


@bp.get("/admin/tickets/<id:ticket_id>/draft-signature")
@require("admin")
def draft_signature(ticket_id: int):  # type: ignore[no-untyped-def]
    """A pre-filled admin signature for a ticket's URL, to check and save.
    ---
    get:
      responses:
        200:
          content:
            application/json:
              schema: SignatureDraftSchema
        404:
          content:
            application/json:
              schema: ErrorSchema
    """
    draft = service.draft_signature(service.get_ticket(ticket_id))
    return jsonify(SignatureDraftSchema().dump(draft))
