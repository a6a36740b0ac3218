"""Settings read from the environment once, at start, and validated.

The app is configured only through environment variables (12-factor). Every problem is
reported as one ``ConfigError`` line so that a misconfigured deployment fails at start
with a sentence an operator can act on, not with a traceback on the first request.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from app.outbound.ssrf import parse_allowed

SECRET_KEY_FILE = "secret_key"
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the variable and the fix."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not value >= minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {raw}")
    return value


def database_uri(env: Mapping[str, str], instance_path: str) -> str:
    """SQLite under ``instance/`` by default; PostgreSQL URLs get the psycopg 3 driver."""
    raw = env.get("DATABASE_URL", "").strip()
    if not raw:
        return f"sqlite:///{Path(instance_path) / 'pbhub.sqlite3'}"
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme in ("postgres", "postgresql"):
        return "postgresql+psycopg://" + raw.split("://", 1)[1]
    if scheme.startswith("postgresql+") or scheme == "sqlite":
        return raw
    raise ConfigError(
        "DATABASE_URL must be a postgresql:// or sqlite:/// URL "
        f"(got a URL with scheme {scheme or 'none'!r})"
    )


def stats_database_uri(env: Mapping[str, str]) -> str | None:
    """A read replica of the PostgreSQL database for the stats reads, if wanted."""
    raw = env.get("PBHUB_STATS_DATABASE_URL", "").strip()
    if not raw:
        return None
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme in ("postgres", "postgresql"):
        return "postgresql+psycopg://" + raw.split("://", 1)[1]
    if scheme.startswith("postgresql+"):
        return raw
    raise ConfigError(
        "PBHUB_STATS_DATABASE_URL must be a postgresql:// URL of a read replica "
        f"(got a URL with scheme {scheme or 'none'!r})"
    )


def redis_url(env: Mapping[str, str]) -> str | None:
    raw = env.get("REDIS_URL", "").strip()
    if not raw:
        return None
    if urlsplit(raw).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError("REDIS_URL must start with redis://, rediss:// or unix://")
    return raw


def base_url(env: Mapping[str, str]) -> str:
    raw = env.get("PBHUB_BASE_URL", "").strip() or "http://127.0.0.1:5000"
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"PBHUB_BASE_URL must be an absolute http(s) URL, got {raw!r}")
    if parts.query or parts.fragment:
        raise ConfigError("PBHUB_BASE_URL must not carry a query string or fragment")
    return raw.rstrip("/")


def secret_key(env: Mapping[str, str], instance_path: str) -> str:
    """The configured key, or one generated on first start and kept under ``instance/``.

    Every derived key (click tokens, token encryption, IP hashing) comes from it, so it
    must survive restarts: a fresh random key per start would orphan every stored token.
    """
    raw = env.get("SECRET_KEY", "")
    if raw:
        if len(raw) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(
                f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters; "
                'generate one with: python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
        return raw
    if env.get("DATABASE_URL", "").strip().startswith("postgres"):
        raise ConfigError(
            "SECRET_KEY must be set with a PostgreSQL DATABASE_URL: every web and worker "
            "process on every host must share it, or click tokens minted by one will not "
            "verify on another"
        )
    path = Path(instance_path) / SECRET_KEY_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            _write_atomically(path, secrets.token_urlsafe(48))
        key = path.read_text().strip()
    except OSError as exc:
        raise ConfigError(f"SECRET_KEY is unset and {path} cannot be used: {exc}") from None
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(f"{path} holds a key shorter than {MIN_SECRET_KEY_LENGTH} characters")
    return key


def _write_atomically(path: Path, content: str) -> None:
    """Write a temporary file and link it into place: of two processes starting together,
    one wins and the other reads the winner's complete key, never an empty file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink()


def _country_header(env: Mapping[str, str]) -> str | None:
    raw = env.get("PBHUB_COUNTRY_HEADER", "").strip()
    if not raw:
        return None
    if not all(c.isalnum() or c == "-" for c in raw):
        raise ConfigError(
            f"PBHUB_COUNTRY_HEADER must be a header name such as CF-IPCountry, got {raw!r}"
        )
    return raw


def load(env: Mapping[str, str], instance_path: str) -> dict[str, object]:
    """Build the Flask config mapping from environment variables."""
    uri = database_uri(env, instance_path)
    return {
        "SQLALCHEMY_DATABASE_URI": uri,
        "REDIS_URL": redis_url(env),
        "PBHUB_STATS_DATABASE_URL": stats_database_uri(env),
        "SECRET_KEY": secret_key(env, instance_path),
        "PBHUB_BASE_URL": base_url(env),
        "MAX_CONTENT_LENGTH": _int(env, "PBHUB_MAX_BODY_BYTES", 64 * 1024, minimum=1024),
        "PBHUB_WRITE_TIMEOUT": _write_timeout(env),
        "PBHUB_CLICK_BATCH": _int(env, "PBHUB_CLICK_BATCH", 200),
        "PBHUB_CLICK_FLUSH_SECONDS": _float(env, "PBHUB_CLICK_FLUSH_SECONDS", 0.5, 0.01),
        "PBHUB_CLICK_RETENTION_DAYS": _retention_days(env),
        "PBHUB_SOURCE_CACHE_SECONDS": _float(env, "PBHUB_SOURCE_CACHE_SECONDS", 2.0),
        "PBHUB_TRUSTED_PROXIES": _int(env, "PBHUB_TRUSTED_PROXIES", 0),
        # Where a click's country comes from: unset for the registries' data the hub
        # ships, the path of a MaxMind .mmdb file, or "off".
        "PBHUB_GEOIP_DB": env.get("PBHUB_GEOIP_DB", "").strip(),
        # A CDN's country header (e.g. CF-IPCountry), believed only when named here.
        "PBHUB_COUNTRY_HEADER": _country_header(env),
        "PBHUB_LOG_LEVEL": log_level(env),
        "PBHUB_OUTBOUND_ALLOWED_HOSTS": _allowed_hosts(env),
        # The most any one outbound call (a delivery attempt, a Keitaro API call with its
        # retries) may take in all: DNS, connect, TLS, sending and reading the answer.
        "PBHUB_OUTBOUND_DEADLINE": _float(env, "PBHUB_OUTBOUND_DEADLINE", 10.0, 1.0),
        "PBHUB_DELIVERY_THREADS": _int(env, "PBHUB_DELIVERY_THREADS", 32, minimum=1),
        "PBHUB_KEITARO_SYNC_SECONDS": _int(env, "PBHUB_KEITARO_SYNC_SECONDS", 60, minimum=10),
        "PBHUB_KEITARO_OVERLAP_SECONDS": _int(env, "PBHUB_KEITARO_OVERLAP_SECONDS", 600),
        "PBHUB_KEITARO_BACKFILL_HOURS": _int(env, "PBHUB_KEITARO_BACKFILL_HOURS", 24, minimum=1),
        "PBHUB_KEITARO_METADATA_SECONDS": _int(
            env, "PBHUB_KEITARO_METADATA_SECONDS", 3600, minimum=60
        ),
        "PBHUB_KEITARO_TIMEOUT": _float(env, "PBHUB_KEITARO_TIMEOUT", 30.0, 1.0),
        "PBHUB_KEITARO_USER_AGENT": env.get("PBHUB_KEITARO_USER_AGENT", "").strip() or None,
        # The dashboard's session cookie: never readable by scripts, not sent on other
        # sites' requests, and only over HTTPS when the hub is served over HTTPS.
        "SESSION_COOKIE_NAME": "pbhub_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": base_url(env).startswith("https://"),
        "PERMANENT_SESSION_LIFETIME": _int(env, "PBHUB_SESSION_HOURS", 12, minimum=1) * 3600,
        "PBHUB_INVITE_HOURS": _int(env, "PBHUB_INVITE_HOURS", 72, minimum=1),
        # CSRF is checked by app.csrf, which knows which requests carry no cookie to forge.
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_TIME_LIMIT": None,
        "PBHUB_BLOCK_PLUGINS": tuple(
            name.strip() for name in env.get("PBHUB_BLOCK_PLUGINS", "").split(",") if name.strip()
        ),
    }


#: Longest a postback may wait on its write: a network gives up on an answer long before.
MAX_WRITE_TIMEOUT = 60.0


def _write_timeout(env: Mapping[str, str]) -> float:
    seconds = _float(env, "PBHUB_WRITE_TIMEOUT", 10.0, 0.1)
    if seconds > MAX_WRITE_TIMEOUT:
        raise ConfigError(
            f"PBHUB_WRITE_TIMEOUT must be at most {MAX_WRITE_TIMEOUT:g} seconds, got {seconds:g}"
        )
    return seconds


#: The live card reaches back 7 days and reads its oldest, partial hour from raw clicks.
MIN_RETENTION_DAYS = 8


def _retention_days(env: Mapping[str, str]) -> int:
    """Days raw click rows are kept; 0 keeps them forever."""
    days = _int(env, "PBHUB_CLICK_RETENTION_DAYS", 90)
    if 0 < days < MIN_RETENTION_DAYS:
        raise ConfigError(
            f"PBHUB_CLICK_RETENTION_DAYS must be 0 (keep forever) or at least "
            f"{MIN_RETENTION_DAYS}, got {days}"
        )
    return days


def _allowed_hosts(env: Mapping[str, str]) -> str:
    value = env.get("PBHUB_OUTBOUND_ALLOWED_HOSTS", "")
    try:
        parse_allowed(value)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return value


def log_level(env: Mapping[str, str]) -> str:
    level = (env.get("PBHUB_LOG_LEVEL", "").strip() or "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(f"PBHUB_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {level!r}")
    return level


def environment() -> Mapping[str, str]:
    return os.environ
