"""No inbound token or API token ever appears in logs or error bodies."""

import logging

import pytest

from app.logs import redact


@pytest.fixture
def everything_logged(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def test_tokens_never_reach_logs_or_error_bodies(
    app, client, source, make_token, everything_logged
):
    inbound = source["inbound_token"]
    api_token = make_token("operator")
    bodies = [
        client.get(source["postback_path"] + "?transaction_id=1").get_data(as_text=True),
        client.get("/pb/" + inbound[::-1]).get_data(as_text=True),
        client.get(f"/pb?_pbtoken={inbound[::-1]}").get_data(as_text=True),
        client.get("/pb", headers={"X-Postback-Token": inbound[::-1]}).get_data(as_text=True),
        client.post(source["postback_path"], data="x" * 100_000).get_data(as_text=True),
        client.get("/api/v1/stats", headers={"Authorization": f"Bearer {api_token}x"}).get_data(
            as_text=True
        ),
        client.get(
            "/api/v1/stats?window=9y", headers={"Authorization": f"Bearer {api_token}"}
        ).get_data(as_text=True),
    ]
    app.logger.warning("request to /pb/%s with Authorization: Bearer %s", inbound, api_token)
    secrets = [inbound, inbound[::-1], api_token]
    for secret in secrets:
        assert secret not in everything_logged.text
        for body in bodies:
            assert secret not in body


def test_redaction_keeps_a_short_hint_to_tell_tokens_apart():
    line = redact('GET /pb/abcdefghijklmnop?_pbtoken=zyxwvutsrq HTTP/1.1 "Bearer pbh_secret123456"')
    assert (
        "abcdefghijklmnop" not in line and "zyxwvutsrq" not in line and "secret123456" not in line
    )
    assert "/pb/abcd…" in line


def test_learn_urls_and_signing_secrets_are_masked_in_logs():
    line = redact("GET /learn/AbCdEfGhIjKlMnOp1234 whsec_MDEyMzQ1Njc4OWFiY2RlZg==")
    assert "AbCdEfGhIjKlMnOp1234" not in line and "MDEyMzQ1Njc4OWFiY2RlZg" not in line


@pytest.mark.parametrize(
    "line",
    [
        "GET /pb/{s} HTTP/1.1",
        "GET /learn/{s}",
        "GET /pb?x=1&_pbtoken={s}",
        "body: a=1&%5Fpbtoken={s}",
        '{{"_pbtoken": "{s}"}}',
        "AUTHORIZATION: BEARER {s}",
        "x-postback-token: {s}",
        "token pbh_{s}",
        "secret whsec_{s}",
    ],
)
def test_every_form_of_a_secret_is_masked_whatever_its_case(line):
    secret = "Zq9" + "x" * 30
    assert secret not in redact(line.format(s=secret))
