"""Users and personal API tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.core.keys import digests_match, token_digest
from app.extensions import db
from app.models import ApiToken, User
from app.models.types import utcnow
from app.services.errors import Conflict, Invalid, NotFound

API_TOKEN_PREFIX = "pbh_"
MIN_PASSWORD_LENGTH = 12
TOUCH_INTERVAL = timedelta(minutes=1)


def generate_password() -> str:
    return secrets.token_urlsafe(18)


def create_user(email: str, password: str, *, admin: bool = False) -> User:
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise Invalid("not an email address", {"email": ["Not a valid email address."]})
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"the password must be at least {MIN_PASSWORD_LENGTH} characters",
            {"password": [f"Shorter than {MIN_PASSWORD_LENGTH} characters."]},
        )
    if db.session.scalar(select(User).where(User.email == email)):
        raise Conflict(f"a user {email} already exists", {"email": ["Already taken."]})
    user = User(
        email=email,
        password_hash=generate_password_hash(password),
        role="admin" if admin else "operator",
    )
    db.session.add(user)
    db.session.commit()
    return user


def check_password(user: User, password: str) -> bool:
    return user.active and check_password_hash(user.password_hash, password)


def find_user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"no user {email}")
    return user


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.id)))


def admin_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.role == "admin"))


def create_token(user: User, name: str | None = None) -> str:
    """A new personal API token; the plaintext is returned once and never stored."""
    plaintext = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(user=user, digest=token_digest(plaintext), prefix=plaintext[:8], name=name)
    )
    db.session.commit()
    return plaintext


def user_for_token(plaintext: str) -> User | None:
    """The active user owning an unrevoked token, or ``None``."""
    digest = token_digest(plaintext)
    token = db.session.scalar(select(ApiToken).where(ApiToken.digest == digest))
    if token is None or token.revoked_at is not None or not digests_match(token.digest, digest):
        return None
    if not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_INTERVAL:
        token.last_used_at = now
        db.session.commit()
    return token.user
