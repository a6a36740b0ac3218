from datetime import UTC, datetime

from app.core import cid

KEY = b"k" * 32


def test_a_minted_token_verifies_and_carries_its_source_and_click_time():
    at = datetime(2026, 5, 1, 12, 30, 15, 123000, tzinfo=UTC)
    token = cid.verify(KEY, cid.mint(KEY, 42, at))
    assert token == cid.ClickToken(source_id=42, clicked_at=at)


def test_tokens_are_url_safe_and_unique_per_click():
    at = datetime.now(UTC)
    tokens = {cid.mint(KEY, 1, at) for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(
        len(t) == cid.TOKEN_LENGTH and t.replace("-", "").replace("_", "").isalnum() for t in tokens
    )


def test_a_token_signed_with_another_key_does_not_verify():
    assert cid.verify(b"x" * 32, cid.mint(KEY, 1, datetime.now(UTC))) is None


def test_a_tampered_token_does_not_verify():
    token = cid.mint(KEY, 1, datetime.now(UTC))
    flipped = token[:5] + ("A" if token[5] != "A" else "B") + token[6:]
    assert cid.verify(KEY, flipped) is None


def test_garbage_never_verifies():
    for junk in ["", "x", "=" * 42, "é" * 42, "A" * 41, "A" * 42, None, 12]:
        assert cid.verify(KEY, junk) is None
