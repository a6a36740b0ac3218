"""Sign in, sign out, and set a password from an invitation link."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError
from redis.exceptions import RedisError

from app.auth import bp
from app.auth.forms import LoginForm, NewPasswordForm, errors_of
from app.auth.session import current_user, login_user, logout_user, safe_next
from app.ratelimit import MemoryLimiter, get_limiter
from app.runtime import invitations
from app.services import users as service
from app.services.errors import Invalid

#: Sign-in attempts per minute, per address and per account: enough for a typo or two,
#: far too few to guess a password.
ATTEMPTS_PER_ADDRESS = 20
ATTEMPTS_PER_ACCOUNT = 8


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    destination = safe_next(request.values.get("next"), url_for("dashboard.postbacks"))
    if request.method == "GET":
        if current_user() is not None:
            return redirect(destination)
        return render_template("auth/login.html", next=destination, errors={}, email="")
    try:
        form = LoginForm().load(request.form)
    except ValidationError as exc:
        return _login_failed(destination, request.form.get("email", ""), errors_of(exc, LoginForm))
    email = form["email"].strip().lower()
    if not (
        _allowed(f"login:addr:{request.remote_addr}", ATTEMPTS_PER_ADDRESS)
        and _allowed(f"login:user:{email}", ATTEMPTS_PER_ACCOUNT)
    ):
        return _login_failed(
            destination, email, {"_schema": "Too many attempts. Wait a minute and try again."}, 429
        )
    user = service.authenticate(email, form["password"])
    if user is None:
        return _login_failed(destination, email, {"_schema": "Wrong email or password."})
    login_user(user)
    return redirect(destination)


def _allowed(key: str, limit: int) -> bool:
    """Counted on Redis when there is one; while it is unreachable, in this process, so
    guessing stays throttled rather than unlimited."""
    try:
        return get_limiter(current_app).allow(key, limit)
    except RedisError:
        current_app.logger.warning("rate limiter unavailable; counting sign-ins in-process")
        fallback = current_app.extensions.setdefault("pbhub.login_limiter", MemoryLimiter())
        return fallback.allow(key, limit)


def _login_failed(destination: str, email: str, errors: dict[str, str], status: int = 401):  # type: ignore[no-untyped-def]
    page = render_template("auth/login.html", next=destination, errors=errors, email=email)
    return page, status


@bp.post("/logout")
def logout():  # type: ignore[no-untyped-def]
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/invite/<secret:token>", methods=["GET", "POST"])
def accept_invitation(token: str):  # type: ignore[no-untyped-def]
    try:
        user = invitations().user(token)
    except Invalid as exc:
        return render_template(
            "auth/invite.html", invalid=exc.message, invitee=None, errors={}
        ), 410
    if request.method == "GET":
        return render_template("auth/invite.html", invitee=user, errors={}, invalid=None)
    try:
        form = NewPasswordForm().load(request.form)
    except ValidationError as exc:
        page = render_template(
            "auth/invite.html", invitee=user, errors=errors_of(exc, NewPasswordForm), invalid=None
        )
        return page, 422
    service.set_password(user, form["password"])
    login_user(user)
    flash("Your password is set. Welcome to Postback Hub.", "success")
    return redirect(url_for("dashboard.postbacks"))
