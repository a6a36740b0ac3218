"""Standard Webhooks signatures (https://www.standardwebhooks.com/), symmetric scheme only.

A receiver verifies a delivery with any Standard Webhooks library and the endpoint's
``whsec_`` secret, so nothing here is our own invention:

* the secret is ``whsec_`` + base64 of random bytes (the HMAC key is the decoded bytes,
  not the text);
* the signed content is ``{webhook-id}.{webhook-timestamp}.{raw body}``, HMAC-SHA256,
  serialized as ``v1,<base64>``;
* ``webhook-signature`` holds several space-separated signatures when a secret is being
  rotated, so receivers holding either the old or the new secret keep verifying.

The message id stays the same across all attempts of one delivery (receivers use it as
an idempotency key); the timestamp is the attempt's (receivers refuse stale ones, which
stops replays). Plain functions, no Flask: the request builder calls them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as _secrets
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"
MESSAGE_PREFIX = "msg_"
SIGNATURE_VERSION = "v1"
#: The spec asks for a random symmetric secret of at least 24 bytes (192 bits); 32 is what
#: the reference libraries generate. 64 bytes (512 bits) is the spec's maximum.
SECRET_BYTES = 32
MIN_SECRET_BYTES = 24
MAX_SECRET_BYTES = 64
#: Our own header, same value as ``webhook-signature``, for receivers configured to look
#: for a vendor-named header.
LEGACY_HEADER = "X-Postback-Hub-Signature"


def new_secret() -> str:
    """A fresh endpoint secret, in the spec's serialization (``whsec_`` + base64)."""
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_bytes(secret: str) -> bytes:
    """The HMAC key inside a ``whsec_`` secret.

    Anything else is refused rather than used as raw text: a receiver's library always
    base64-decodes the secret, so signing with the text would produce signatures nobody
    can verify.
    """
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
        raise ValueError(
            f"a signing secret must start with {SECRET_PREFIX!r} followed by base64 "
            "(Standard Webhooks format)"
        )
    encoded = secret[len(SECRET_PREFIX) :]
    try:
        # Padding is optional in the wild (the reference library accepts its absence).
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(
            f"a signing secret must be {SECRET_PREFIX!r} followed by valid base64"
        ) from None
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise ValueError(
            f"a signing secret must decode to {MIN_SECRET_BYTES}-{MAX_SECRET_BYTES} bytes "
            f"(this one has {len(key)})"
        )
    return key


def new_message_id() -> str:
    """A unique ``webhook-id``: ``msg_`` + 22 URL-safe characters (128 random bits).

    It never contains a ``.``, which the spec requires because ``.`` delimits the signed
    content.
    """
    return MESSAGE_PREFIX + _secrets.token_urlsafe(16)


def sign(message_id: str, timestamp: int, body: bytes, secrets: Sequence[str]) -> str:
    """The ``webhook-signature`` value: one ``v1,<base64>`` per secret, space-separated.

    Several secrets are given during a rotation grace period (new first, then old), so a
    receiver still holding the old secret keeps verifying.
    """
    if not secrets:
        raise ValueError("signing needs at least one secret")
    if not message_id or "." in message_id:
        raise ValueError("a message id must be non-empty and contain no '.'")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise ValueError("the timestamp must be whole Unix seconds (int)")
    content = f"{message_id}.{timestamp}.".encode() + bytes(body)
    signatures = []
    for secret in secrets:
        digest = hmac.new(secret_bytes(secret), content, hashlib.sha256).digest()
        signatures.append(f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}")
    return " ".join(signatures)


def headers(message_id: str, timestamp: int, body: bytes, secrets: Sequence[str]) -> dict[str, str]:
    """The headers a signed delivery carries: the three Standard Webhooks ones and ours."""
    signature = sign(message_id, timestamp, body, secrets)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
        LEGACY_HEADER: signature,
    }
