"""Admin pages: users and invitations, platform signatures, support tickets."""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from app.api.schemas import AdminSignatureSchema
from app.auth.forms import domain_errors, errors_of
from app.auth.session import login_required, safe_next
from app.core import json_limits
from app.dashboard import bp
from app.runtime import base_url, invitations, signature_registry
from app.services import signatures as signature_service
from app.services import users as service
from app.services.errors import DomainError, NotFound

# -- users ----------------------------------------------------------------------------------


class InviteForm(Schema):
    class Meta:
        unknown = EXCLUDE

    email = fields.Email(
        required=True, validate=validate.Length(max=254), metadata={"label": "Email"}
    )
    role = fields.String(
        load_default="operator",
        validate=validate.OneOf(("operator", "admin")),
        metadata={"label": "Role"},
    )


def _invite_link(user: Any) -> str:
    return base_url() + url_for("auth.accept_invitation", token=invitations().token(user))


def _users_page(status: int = 200, **context: Any):  # type: ignore[no-untyped-def]
    context.setdefault("link", None)
    context.setdefault("errors", {})
    context.setdefault("form", {})
    page = render_template(
        "dashboard/users.html",
        users=service.list_users(),
        invite_hours=int(invitations().max_age.total_seconds() // 3600),
        **context,
    )
    return page, status, {"Cache-Control": "no-store"}


@bp.get("/admin/users")
@login_required("admin")
def users():  # type: ignore[no-untyped-def]
    return _users_page()


@bp.post("/admin/users")
@login_required("admin")
def invite_user():  # type: ignore[no-untyped-def]
    try:
        form = InviteForm().load(request.form)
        user = service.invite_user(form["email"], admin=form["role"] == "admin")
    except ValidationError as exc:
        return _users_page(422, errors=errors_of(exc, InviteForm), form=request.form)
    except DomainError as exc:
        return _users_page(exc.status, errors=domain_errors(exc, InviteForm), form=request.form)
    return _users_page(
        201, link={"email": user.email, "url": _invite_link(user), "kind": "invitation"}
    )


@bp.post("/admin/users/<id:user_id>/<any(disable, enable, reset, role):action>")
@login_required("admin")
def change_user(user_id: int, action: str):  # type: ignore[no-untyped-def]
    try:
        user = service.get_user(user_id)
        if action in ("disable", "enable"):
            service.set_active(user, action == "enable", by=g.user)
            flash(f"{user.email} is {action}d.", "success")
        elif action == "role":
            service.set_role(user, request.form.get("role", ""), by=g.user)
            flash(f"{user.email} is now {user.role}.", "success")
        elif not user.active:
            flash(f"Enable {user.email} first: a disabled user cannot use a reset link.", "error")
        else:
            service.reset_password(user)
            link = {"email": user.email, "url": _invite_link(user), "kind": "password reset"}
            return _users_page(200, link=link)
    except NotFound:
        abort(404, f"No user {user_id}.")
    except DomainError as exc:
        flash(exc.message[0].upper() + exc.message[1:] + ".", "error")
    return redirect(url_for("dashboard.users"))


# -- signatures -----------------------------------------------------------------------------

LIST_SPLIT = re.compile(r"[\s,]+")
JSON_EXAMPLES = {"field_map": '{"transaction_id": "txid"}', "event_map": '{"dep": "ftd"}'}


class SignatureForm(Schema):
    """The Add signature drawer's text fields, before they become an admin signature:
    parameter lists are comma-separated, maps are JSON objects."""

    class Meta:
        unknown = EXCLUDE

    id = fields.String(load_default="", metadata={"label": "ID"})
    name = fields.String(load_default="", metadata={"label": "Display name"})
    click_id_params = fields.String(load_default="", metadata={"label": "Click-ID parameters"})
    event_param = fields.String(load_default="", metadata={"label": "Event parameter"})
    amount_param = fields.String(load_default="", metadata={"label": "Amount parameter"})
    currency_param = fields.String(load_default="", metadata={"label": "Currency parameter"})
    field_map = fields.String(load_default="", metadata={"label": "Default field map"})
    event_map = fields.String(load_default="", metadata={"label": "Default event map"})


def signature_data(form: dict[str, str]) -> dict[str, Any]:
    """The admin signature a form describes, validated by the API's own schema; raises
    ``ValidationError`` naming each field, JSON syntax errors with their place."""
    data: dict[str, Any] = {
        "id": form["id"].strip(),
        "name": form["name"].strip(),
        "click_id_params": [p for p in LIST_SPLIT.split(form["click_id_params"]) if p],
    }
    for name in ("event_param", "amount_param", "currency_param"):
        data[name] = form[name].strip() or None
    errors: dict[str, list[str]] = {}
    for name in ("field_map", "event_map"):
        text = form[name].strip()
        try:
            value = json_limits.loads(text) if text else {}
        except json.JSONDecodeError as exc:
            errors[name] = [
                f"is not valid JSON: check line {exc.lineno}, column {exc.colno}; write an "
                f"object such as {JSON_EXAMPLES[name]}"
            ]
            continue
        except json_limits.NestingTooDeep:
            errors[name] = [f"is nested deeper than {json_limits.MAX_JSON_DEPTH} levels"]
            continue
        if not isinstance(value, dict):
            errors[name] = [f"must be a JSON object, such as {JSON_EXAMPLES[name]}"]
            continue
        data[name] = value
    try:
        loaded = AdminSignatureSchema().load(data)
    except ValidationError as exc:
        errors = {**exc.messages, **errors} if isinstance(exc.messages, dict) else errors
        raise ValidationError(errors, data=data) from None
    if errors:
        raise ValidationError(errors, data=data)
    return loaded


def _signature_form(row: Any) -> dict[str, str]:
    return {
        "id": row["id"],
        "name": row["name"],
        "click_id_params": ", ".join(row["click_id_params"] or []),
        "event_param": row["event_param"] or "",
        "amount_param": row["amount_param"] or "",
        "currency_param": row["currency_param"] or "",
        "field_map": json.dumps(row["field_map"] or {}, indent=2),
        "event_map": json.dumps(row["event_map"] or {}, indent=2),
    }


def _signatures_page(status: int = 200, **context: Any):  # type: ignore[no-untyped-def]
    context.setdefault("form", None)
    context.setdefault("errors", {})
    context.setdefault("editing", None)
    signatures = sorted(
        (s.describe() for s in signature_registry().all()),
        key=lambda s: (s["origin"] != "admin", s["name"].lower()),
    )
    page = render_template(
        "dashboard/signatures.html",
        signatures=signatures,
        admin_rows={row.id: row for row in signature_service.list_admin_signatures()},
        **context,
    )
    return page, status


@bp.get("/admin/signatures")
@login_required("admin")
def signatures():  # type: ignore[no-untyped-def]
    """The list; ``?draft=<ticket>`` opens the drawer pre-filled from a ticket's URL,
    ``?edit=<id>`` with an admin signature to change, ``?new=1`` empty."""
    if "new" in request.args:
        return _signatures_page(form={})
    if "draft" in request.args:
        try:
            ticket = signature_service.get_ticket(int(request.args["draft"]))
        except (ValueError, NotFound):
            abort(404, "No such ticket.")
        draft = signature_service.draft_signature(ticket)
        return _signatures_page(form=_signature_form(draft), ticket=ticket)
    if "edit" in request.args:
        try:
            row = signature_service.get_admin_signature(request.args["edit"])
        except NotFound:
            abort(404, "No such admin signature.")
        form = _signature_form(AdminSignatureSchema().dump(row))
        return _signatures_page(form=form, editing=row.id)
    return _signatures_page()


@bp.post("/admin/signatures")
@login_required("admin")
def save_signature():  # type: ignore[no-untyped-def]
    form = SignatureForm().load(request.form)
    editing = request.form.get("editing") or None
    # A draft keeps its ticket through a failed save, so the next save still resolves it.
    ticket = _draft_ticket(request.form.get("ticket", ""))
    again = {"form": form, "editing": editing, "ticket": ticket}
    try:
        data = signature_data(form)
        if editing:
            row = signature_service.get_admin_signature(editing)
            data.pop("id")
            signature_service.update_admin_signature(row, data)
        else:
            row = signature_service.create_admin_signature(data, signature_registry())
    except ValidationError as exc:
        return _signatures_page(422, errors=errors_of(exc, SignatureForm), **again)
    except DomainError as exc:
        return _signatures_page(exc.status, errors=domain_errors(exc, SignatureForm), **again)
    message = f"Signature {row.name} is saved; detection uses it from now on."
    if ticket is not None:
        signature_service.resolve_ticket(ticket)
        message += f" Ticket #{ticket.id} is resolved."
    flash(message, "success")
    return redirect(url_for("dashboard.signatures"))


def _draft_ticket(ticket_id: str) -> Any:
    """The ticket a signature draft came from, or ``None`` if it is gone or never was."""
    if not ticket_id.isdigit():
        return None
    with contextlib.suppress(NotFound):
        return signature_service.get_ticket(int(ticket_id))
    return None


@bp.post("/admin/signatures/<signature_id>/delete")
@login_required("admin")
def delete_signature(signature_id: str):  # type: ignore[no-untyped-def]
    try:
        row = signature_service.get_admin_signature(signature_id)
    except NotFound:
        abort(404, "No such admin signature.")
    signature_service.delete_admin_signature(row)
    flash(f"Signature {row.name} is deleted.", "success")
    return redirect(url_for("dashboard.signatures"))


# -- tickets --------------------------------------------------------------------------------


@bp.get("/admin/tickets")
@login_required("admin")
def tickets():  # type: ignore[no-untyped-def]
    state = request.args.get("state", "open")
    if state not in ("open", "resolved", "all"):
        state = "open"
    rows = signature_service.list_tickets(None if state == "all" else state)
    return render_template("dashboard/tickets.html", tickets=rows, state=state)


@bp.post("/admin/tickets/<id:ticket_id>/resolve")
@login_required("admin")
def resolve_ticket(ticket_id: int):  # type: ignore[no-untyped-def]
    try:
        ticket = signature_service.resolve_ticket(signature_service.get_ticket(ticket_id))
    except NotFound:
        abort(404, f"No ticket {ticket_id}.")
    flash(f"Ticket #{ticket.id} is resolved.", "success")
    return redirect(safe_next(request.form.get("next"), url_for("dashboard.tickets")))
