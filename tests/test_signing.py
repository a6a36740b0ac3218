"""Standard Webhooks signatures, checked with the independent reference implementation.

Our signer never verifies itself: the ``standardwebhooks`` package (what receivers use)
does, so a misreading of the specification cannot hide in both halves.
"""

import base64
import hashlib
import hmac
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.outbound import signing

BODY = b'{"type":"conversion.created","data":{"status":"lead","payout":"1.50"}}'


def signed(secrets, body=BODY, timestamp=None, message_id="msg_test123"):
    stamp = int(time.time()) if timestamp is None else timestamp
    return signing.headers(message_id, stamp, body, secrets)


def test_a_signature_verifies_with_the_reference_implementation():
    secret = signing.new_secret()
    assert Webhook(secret).verify(BODY, signed([secret])) == {
        "type": "conversion.created",
        "data": {"status": "lead", "payout": "1.50"},
    }


def test_a_non_json_body_verifies_too():
    secret = signing.new_secret()
    body = b"status=lead&payout=1.50"
    Webhook(secret).verify(body, signed([secret], body=body), json_parse=False)


def test_a_tampered_body_fails_verification():
    secret = signing.new_secret()
    headers = signed([secret])
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace(b"1.50", b"9.50"), headers)


def test_another_secret_fails_verification():
    headers = signed([signing.new_secret()])
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(BODY, headers)


def test_a_timestamp_older_than_five_minutes_fails_verification():
    secret = signing.new_secret()
    headers = signed([secret], timestamp=int(time.time()) - 6 * 60)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(BODY, headers)


def test_during_a_rotation_both_the_old_and_the_new_secret_verify():
    old, new = signing.new_secret(), signing.new_secret()
    headers = signed([new, old])
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(BODY, headers)


def test_a_signature_is_v1_and_base64_of_a_sha256_hmac():
    [signature] = signed([signing.new_secret()])["webhook-signature"].split(" ")
    version, encoded = signature.split(",")
    assert version == "v1"
    assert len(base64.b64decode(encoded, validate=True)) == 32


def test_the_headers_carry_id_and_timestamp_as_given():
    headers = signed([signing.new_secret()], timestamp=1674087231, message_id="msg_abc")
    assert headers["webhook-id"] == "msg_abc"
    assert headers["webhook-timestamp"] == "1674087231"


def test_x_postback_hub_signature_equals_webhook_signature():
    headers = signed([signing.new_secret(), signing.new_secret()])
    assert headers["X-Postback-Hub-Signature"] == headers["webhook-signature"]


def test_a_new_secret_is_whsec_and_32_random_bytes():
    secret = signing.new_secret()
    assert secret.startswith("whsec_")
    assert len(signing.secret_bytes(secret)) == 32
    assert signing.new_secret() != secret


def test_secret_bytes_accepts_unpadded_base64():
    key = bytes(range(25))  # base64 of 25 bytes needs padding
    secret = "whsec_" + base64.b64encode(key).decode().rstrip("=")
    assert signing.secret_bytes(secret) == key


@pytest.mark.parametrize(
    "secret",
    [
        "",
        "my-shared-secret-of-some-length",
        base64.b64encode(b"k" * 32).decode(),  # base64 without the whsec_ prefix
        "whsec_",
        "whsec_not*base64!",
        "whsec_" + base64.b64encode(b"short").decode(),
    ],
)
def test_a_secret_not_in_whsec_format_is_refused(secret):
    with pytest.raises(ValueError, match="signing secret"):
        signing.secret_bytes(secret)


def test_signing_with_a_non_whsec_secret_is_refused():
    with pytest.raises(ValueError, match="whsec_"):
        signing.sign("msg_x", 1674087231, BODY, ["plain-text-secret"])


def test_signing_without_any_secret_is_refused():
    with pytest.raises(ValueError, match="at least one secret"):
        signing.sign("msg_x", 1674087231, BODY, [])


def test_a_message_id_with_a_dot_is_refused():
    with pytest.raises(ValueError, match=r"'\.'"):
        signing.sign("msg_a.b", 1674087231, BODY, [signing.new_secret()])


def test_message_ids_are_unique_prefixed_and_dot_free():
    ids = {signing.new_message_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    for message_id in ids:
        assert message_id.startswith("msg_")
        assert len(message_id) >= 4 + 22
        assert "." not in message_id


def test_the_signature_matches_the_spec_example_construction():
    """Recompute by hand: HMAC-SHA256(key, "{id}.{timestamp}.{body}"), base64."""
    key = bytes(range(32))
    secret = "whsec_" + base64.b64encode(key).decode()
    mac = hmac.new(key, b"msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{}", hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(mac).decode()
    assert signing.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b"{}", [secret]) == expected
