"""Authentication and role checks for every API route.

Scripts send a personal token as ``Authorization: Bearer``. The dashboard's own pages call
the same routes with their session cookie, and then every state-changing call must carry
the session's CSRF token in ``X-CSRFToken``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, request

from app import csrf
from app.auth.session import OfflineUser, current_user, has_role
from app.errors import error_response
from app.services.users import user_for_token

#: The attribute of a guarded view naming the role it needs (read by the OpenAPI document).
ROLE_ATTRIBUTE = "required_role"


def require(role: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Allow the route to a user holding ``role`` or a higher one."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            if header:
                scheme, _, token = header.partition(" ")
                if scheme.lower() != "bearer" or not token.strip():
                    return _unauthorized("send an API token as 'Authorization: Bearer <token>'")
                user = user_for_token(token.strip())
                if user is None:
                    return _unauthorized("the API token is unknown or revoked")
            else:
                user = current_user()
                if user is None:
                    return _unauthorized("send an API token as 'Authorization: Bearer <token>'")
                if isinstance(user, OfflineUser):
                    return error_response(503, "the database is unavailable; retry later")
                csrf.csrf.protect()
            if not has_role(user, role):
                return error_response(403, f"this needs the {role} role")
            g.user = user
            return view(*args, **kwargs)

        setattr(wrapped, ROLE_ATTRIBUTE, role)
        return wrapped

    return decorator


def required_role(view: Callable[..., Any]) -> str | None:
    """The role ``require`` guards ``view`` with; ``None`` for a public view."""
    return getattr(view, ROLE_ATTRIBUTE, None)


def _unauthorized(message: str):  # type: ignore[no-untyped-def]
    response, status = error_response(401, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="pbhub"'
    return response, status
