"""Users, their passwords and invitations, and personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from itsdangerous import BadSignature, URLSafeTimedSerializer
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


def _check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"the password must be at least {MIN_PASSWORD_LENGTH} characters",
            {"password": [f"must be at least {MIN_PASSWORD_LENGTH} characters long"]},
        )


def create_user(email: str, password: str, *, admin: bool = False) -> User:
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise Invalid(
            "not an email address",
            {"email": ["must be an email address, such as ana@example.com"]},
        )
    _check_password_rules(password)
    if _by_email(email):
        raise Conflict(
            f"a user {email} already exists", {"email": ["is already taken by another user"]}
        )
    user = User(
        email=email,
        password_hash=generate_password_hash(password),
        role="admin" if admin else "operator",
    )
    db.session.add(user)
    db.session.commit()
    return user


@cache
def _nobody() -> str:
    """Checked against when no such user exists, so that answer takes as long as any other
    and the time of a failed sign-in does not tell which emails have accounts."""
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or ``None``, in about the same time
    either way."""
    user = _by_email(email)
    matches = check_password_hash(user.password_hash if user else _nobody(), password)
    return user if user is not None and user.active and matches else None


def _by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def find_user(email: str) -> User:
    user = _by_email(email)
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


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def fingerprint(user: User) -> str:
    """Changes whenever the password does: sessions and invitation links carry it, so
    setting or resetting a password ends every session and link issued before."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:24]


def invite_user(email: str, *, admin: bool = False) -> User:
    """A user whose password nobody knows yet: they choose it through an invitation link."""
    return create_user(email, secrets.token_urlsafe(32), admin=admin)


def set_password(user: User, password: str) -> None:
    _check_password_rules(password)
    user.password_hash = generate_password_hash(password)
    db.session.commit()


def reset_password(user: User) -> None:
    """Lock the account until its owner follows a new link: the old password, every
    session and every earlier link stop working at once."""
    user.password_hash = generate_password_hash(secrets.token_urlsafe(32))
    db.session.commit()


def _active_admins(excluding: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == "admin", User.active.is_(True), User.id != excluding.id)
    )


def set_active(user: User, active: bool, *, by: User) -> None:
    """Disabling ends the user's sessions and API tokens at their next request."""
    if not active and user.id == by.id:
        raise Conflict("you cannot disable your own account")
    if not active and user.is_admin and not _active_admins(user):
        raise Conflict("the last active admin cannot be disabled")
    user.active = active
    db.session.commit()


def set_role(user: User, role: str, *, by: User) -> None:
    if role not in ("admin", "operator"):
        raise Invalid("the role must be admin or operator", {"role": ["must be admin or operator"]})
    if user.id == by.id and role != user.role:
        raise Conflict("you cannot change your own role")
    if user.is_admin and role != "admin" and not _active_admins(user):
        raise Conflict("the last active admin must stay an admin")
    user.role = role
    db.session.commit()


class Invitations:
    """Links that let a user set their password: signed, time-limited and dead once used,
    because they carry the fingerprint of the password they replace."""

    def __init__(self, key: bytes, max_age: timedelta) -> None:
        self._serializer = URLSafeTimedSerializer(key, salt="pbhub.invitation")
        self.max_age = max_age

    def token(self, user: User) -> str:
        return self._serializer.dumps([user.id, fingerprint(user)])

    def user(self, token: str) -> User:
        """The user the link is for, or ``Invalid`` when it is forged, old or used."""
        try:
            user_id, stamp = self._serializer.loads(
                token, max_age=int(self.max_age.total_seconds())
            )
        except (BadSignature, ValueError, TypeError):
            raise Invalid(
                "this link is invalid or has expired; ask an admin for a new one"
            ) from None
        user = db.session.get(User, user_id) if isinstance(user_id, int) else None
        if (
            user is None
            or not user.active
            or not secrets.compare_digest(str(stamp), fingerprint(user))
        ):
            raise Invalid("this link has already been used or was replaced by a newer one")
        return user


def list_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


def revoke_token(user: User, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(f"no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    return token
