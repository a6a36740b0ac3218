"""Keys derived from SECRET_KEY, one per purpose, and the secret-handling helpers.

One configured secret, many derived keys (HKDF with a distinct label each): a key leaked
from one purpose says nothing about another, and operators only have one value to guard.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from functools import cached_property

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INBOUND_TOKEN_BYTES = 32


def derive(secret_key: str, purpose: str, length: int = 32) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=length, salt=None, info=f"pbhub:{purpose}".encode()
    ).derive(secret_key.encode())


@dataclass(frozen=True)
class Keyring:
    """Every derived key the app uses, computed once per process."""

    secret_key: str

    @cached_property
    def click_token(self) -> bytes:
        return derive(self.secret_key, "click-token:v1")

    @cached_property
    def ip_hash(self) -> bytes:
        return derive(self.secret_key, "ip-hash:v1")

    @cached_property
    def invitation(self) -> bytes:
        return derive(self.secret_key, "invitation:v1")

    @cached_property
    def fernet(self) -> Fernet:
        return Fernet(base64.urlsafe_b64encode(derive(self.secret_key, "secret-storage:v1")))

    def encrypt(self, plaintext: str) -> str:
        return self.fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str | None:
        """``None`` when the value was encrypted under another SECRET_KEY."""
        try:
            return self.fernet.decrypt(ciphertext.encode()).decode()
        except (InvalidToken, ValueError):
            return None

    def hash_ip(self, address: str | None) -> str | None:
        """A keyed hash: lets us count distinct visitors without storing addresses."""
        if not address:
            return None
        return hmac.new(self.ip_hash, address.encode(), hashlib.sha256).hexdigest()[:32]


def new_token() -> str:
    """A URL-safe random token for inbound Postback URLs and API access."""
    return secrets.token_urlsafe(INBOUND_TOKEN_BYTES)


def token_digest(token: str) -> str:
    """The lookup key for a token. Tokens carry 256 random bits, so a fast hash suffices."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def digests_match(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def mask(secret: str | None, visible: int = 4) -> str:
    """``abcd…`` : enough to tell two secrets apart in a log, not enough to use one."""
    if not secret:
        return ""
    return secret[:visible] + "…"


_PATTERNS = (
    re.compile(r"(/pb/|/learn/)([A-Za-z0-9_\-]{8,})"),
    re.compile(r"((?:_|%5[Ff])pbtoken=)([^&\s\"']+)"),
    re.compile(r"(\"_pbtoken\"\s*:\s*\")([^\"]+)"),
    re.compile(r"(Bearer\s+)(\S+)", re.IGNORECASE),
    re.compile(r"(X-Postback-Token[\"']?\s*[:=]\s*[\"']?)([^\s\"',]+)", re.IGNORECASE),
    re.compile(r"\b(pbh_)([A-Za-z0-9_\-]{8,})"),
    re.compile(r"\b(whsec_)([A-Za-z0-9+/=]{8,})"),
)


#: Text without any of these (lowercased) holds nothing ``_PATTERNS`` would mask: one
#: pass over it instead of a search per pattern, on every stored request and log line.
_MARKERS = ("pbtoken", "/pb/", "/learn/", "bearer", "postback-token", "pbh_", "whsec_")


def redact(text: str) -> str:
    """Mask every token this product issues wherever it appears in ``text`` (log lines,
    URLs kept for support)."""
    lowered = text.lower()
    if not any(marker in lowered for marker in _MARKERS):
        return text
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + mask(m.group(2)), text)
    return text
