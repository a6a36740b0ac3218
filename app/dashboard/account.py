"""``/account``: the signed-in user's personal API tokens."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from app.auth.forms import errors_of
from app.auth.session import login_required
from app.dashboard import bp
from app.services import users as service
from app.services.errors import NotFound


class TokenForm(Schema):
    class Meta:
        unknown = EXCLUDE

    name = fields.String(
        load_default=None, validate=validate.Length(max=100), metadata={"label": "Name"}
    )


def _account_page(status: int = 200, *, new_token: str | None = None, errors=None):  # type: ignore[no-untyped-def]
    page = render_template(
        "dashboard/account.html",
        tokens=service.list_tokens(g.user),
        new_token=new_token,
        errors=errors or {},
    )
    return page, status, {"Cache-Control": "no-store"}


@bp.get("/account")
@login_required()
def account():  # type: ignore[no-untyped-def]
    return _account_page()


@bp.post("/account/tokens")
@login_required()
def create_token():  # type: ignore[no-untyped-def]
    try:
        form = TokenForm().load(request.form)
    except ValidationError as exc:
        return _account_page(422, errors=errors_of(exc, TokenForm))
    plaintext = service.create_token(g.user, (form["name"] or "").strip() or None)
    return _account_page(201, new_token=plaintext)


@bp.post("/account/tokens/<id:token_id>/revoke")
@login_required()
def revoke_token(token_id: int):  # type: ignore[no-untyped-def]
    try:
        token = service.revoke_token(g.user, token_id)
    except NotFound:
        flash("That token does not exist.", "error")
    else:
        flash(f"Token {token.prefix}… is revoked.", "success")
    return redirect(url_for("dashboard.account"))
