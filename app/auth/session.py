"""Who is signed in to the dashboard.

The session cookie is signed with SECRET_KEY and names the user with the fingerprint of
their password hash: resetting a password or disabling a user ends their sessions at the
next request, with no session table to keep.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import abort, g, redirect, request, session, url_for
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from app.models import User
from app.services.users import fingerprint

ROLE_RANK = {"operator": 1, "admin": 2}


@dataclass(frozen=True)
class OfflineUser:
    """The signed-in user as the cookie remembers them, while the database is down: enough
    to render a page that says so, never enough to read or change anything."""

    id: int
    email: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


#: Where the signed-in user is kept for the rest of a request (the request's own
#: environ: ``g`` outlives a request when a caller keeps an app context pushed).
CACHE_KEY = "pbhub.user"


def login_user(user: User) -> None:
    """A fresh session (and CSRF token) for the user: nothing from before signing in
    carries over, so a planted session id or token is worthless."""
    session.clear()
    session.permanent = True
    session.update(uid=user.id, fp=fingerprint(user), email=user.email, role=user.role)
    _forget()


def logout_user() -> None:
    session.clear()
    _forget()


def _forget() -> None:
    request.environ.pop(CACHE_KEY, None)
    g.pop("user", None)
    g.pop("csrf_token", None)


def current_user() -> User | OfflineUser | None:
    """The signed-in user, loaded once per request; ``g.database_down`` tells an
    offline one."""
    if CACHE_KEY not in request.environ:
        request.environ[CACHE_KEY] = _load_user()
    g.user = request.environ[CACHE_KEY]
    return g.user


def _load_user() -> User | OfflineUser | None:
    g.database_down = False
    user_id = session.get("uid")
    if not isinstance(user_id, int):
        return None
    try:
        user = db.session.get(User, user_id)
    except DBAPIError:
        db.session.rollback()
        g.database_down = True
        return OfflineUser(user_id, str(session.get("email", "")), str(session.get("role", "")))
    stamp = str(session.get("fp", ""))
    if user is None or not user.active or not hmac.compare_digest(stamp, fingerprint(user)):
        session.clear()
        return None
    return user


def has_role(user: User | OfflineUser | None, role: str) -> bool:
    return user is not None and ROLE_RANK.get(user.role, 0) >= ROLE_RANK[role]


def login_required(role: str = "operator") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Pages for signed-in users holding ``role`` or a higher one; others go to the login
    page (coming back here after) or get a 403 page."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not has_role(user, role):
                abort(403, f"This page needs the {role} role.")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site: a login link can never send anyone elsewhere."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(c) < 32 for c in target):
        return default
    return target
