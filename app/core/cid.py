"""The ``_cid`` click token: signed, self-describing, verifiable without a database read.

Layout before base64url (33 bytes -> 44 characters):
``version 2 (1) | source id (4) | click time in ms (6) | country (2) | random (8) |
HMAC-SHA256[:12]``, the country being the ISO 3166 alpha-2 code of the visitor's address
(two zero bytes when unknown). Version 1 tokens (31 bytes, 42 characters, no country),
minted before countries were looked up, still verify.
The postback path checks it offline, so attribution never waits for the buffered click
row to reach the database, and a conversion knows its click's country without a read.
The country is signed, not hidden: the network that echoes the token saw the visitor's
address itself. The random part only makes tokens unique (the MAC is what
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

VERSION = 2
_BODY = struct.Struct(">BI6s2s8s")
_BODY_V1 = struct.Struct(">BI6s8s")
MAC_BYTES = 12
TOKEN_BYTES = _BODY.size + MAC_BYTES
TOKEN_LENGTH = 44
TOKEN_LENGTH_V1 = 42
NO_COUNTRY = b"\0\0"


@dataclass(frozen=True)
class ClickToken:
    source_id: int
    clicked_at: datetime
    country: str | None = None


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()[:MAC_BYTES]


def mint(key: bytes, source_id: int, clicked_at: datetime, country: str | None = None) -> str:
    """``country`` is an ISO 3166 alpha-2 code (two ASCII letters) or ``None``."""
    millis = int(clicked_at.timestamp() * 1000)
    nonce = random.getrandbits(64).to_bytes(8, "big")
    code = country.encode("ascii") if country and len(country) == 2 else NO_COUNTRY
    body = _BODY.pack(VERSION, source_id, millis.to_bytes(6, "big"), code, nonce)
    return base64.urlsafe_b64encode(body + _mac(key, body)).decode()


def verify(key: bytes, token: str) -> ClickToken | None:
    """The token's click, or ``None`` for anything not minted by us under this key."""
    if not isinstance(token, str) or len(token) not in (TOKEN_LENGTH, TOKEN_LENGTH_V1):
        return None
    layout = _BODY if len(token) == TOKEN_LENGTH else _BODY_V1
    try:
        raw = base64.urlsafe_b64decode(token + "==")
    except (ValueError, TypeError):
        return None
    if len(raw) != layout.size + MAC_BYTES:
        return None
    body, mac = raw[: layout.size], raw[layout.size :]
    if not hmac.compare_digest(mac, _mac(key, body)):
        return None
    if layout is _BODY:
        version, source_id, millis, code, _nonce = layout.unpack(body)
        country = code.decode("ascii", "replace") if code != NO_COUNTRY else None
    else:
        version, source_id, millis, _nonce = layout.unpack(body)
        country = None
    if version != (VERSION if layout is _BODY else 1):
        return None
    clicked_at = datetime.fromtimestamp(int.from_bytes(millis, "big") / 1000, UTC)
    return ClickToken(source_id=source_id, clicked_at=clicked_at, country=country)
