"""The ``_cid`` click token: signed, self-describing, verifiable without a database read.

Layout before base64url (31 bytes -> 42 characters):
``version (1) | source id (4) | click time in ms (6) | random (8) | HMAC-SHA256[:12]``.
The postback path checks it offline, so attribution never waits for the buffered click
row to reach the database. The random part only makes tokens unique (the MAC is what
cannot be forged), so it comes from the fast PRNG, reseeded in every forked worker.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

VERSION = 1
_BODY = struct.Struct(">BI6s8s")
MAC_BYTES = 12
TOKEN_BYTES = _BODY.size + MAC_BYTES
TOKEN_LENGTH = 42


@dataclass(frozen=True)
class ClickToken:
    source_id: int
    clicked_at: datetime


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()[:MAC_BYTES]


def mint(key: bytes, source_id: int, clicked_at: datetime) -> str:
    millis = int(clicked_at.timestamp() * 1000)
    nonce = random.getrandbits(64).to_bytes(8, "big")
    body = _BODY.pack(VERSION, source_id, millis.to_bytes(6, "big"), nonce)
    return base64.urlsafe_b64encode(body + _mac(key, body)).decode().rstrip("=")


def verify(key: bytes, token: str) -> ClickToken | None:
    """The token's click, or ``None`` for anything not minted by us under this key."""
    if not isinstance(token, str) or len(token) != TOKEN_LENGTH:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "==")
    except (ValueError, TypeError):
        return None
    if len(raw) != TOKEN_BYTES:
        return None
    body, mac = raw[: _BODY.size], raw[_BODY.size :]
    if not hmac.compare_digest(mac, _mac(key, body)):
        return None
    version, source_id, millis, _nonce = _BODY.unpack(body)
    if version != VERSION:
        return None
    clicked_at = datetime.fromtimestamp(int.from_bytes(millis, "big") / 1000, UTC)
    return ClickToken(source_id=source_id, clicked_at=clicked_at)
