"""Every path segment that is a credential is masked in every log line.

Which segments are secret is read off the URL map (routes declare ``<secret:...>``), so
these tests walk the map rather than a list of known routes."""

from __future__ import annotations

import logging
import os
import re
import secrets
from urllib.parse import quote

import pytest
import requests

from app import logs
from app.request import SecretConverter, route_converters
from app.runtime import invitations
from tests.processes import free_port, gunicorn, stop, wait_healthy

#: Words that make a route variable a credential when they name it (``token``,
#: ``reset_key``). A row id (``token_id``, an integer) names a record, not a secret.
SECRET_WORDS = {"token", "secret", "key", "password", "code", "hmac"}


def secret_routes(app) -> list[tuple[str, str]]:
    """(rule, variable) for every secret segment in the app's URL map."""
    return [
        (rule.rule, name)
        for rule in app.url_map.iter_rules()
        for name, converter in route_converters(rule).items()
        if isinstance(converter, SecretConverter)
    ]


def sample_path(app, rule_text: str, variable: str, secret: str) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.rule == rule_text)
    values = {name: "registration" for name in rule.arguments}
    values[variable] = secret
    return rule.build(values, append_unknown=False)[1]


def access_line(path: str) -> str:
    return f'203.0.113.9 "GET {path}?x=1 HTTP/1.1" 200 17 3ms'


def test_every_route_variable_named_as_a_credential_is_declared_secret(app):
    for rule in app.url_map.iter_rules():
        for name, converter in route_converters(rule).items():
            words = name.lower().split("_")
            if SECRET_WORDS & set(words) and words[-1] != "id":
                assert isinstance(converter, SecretConverter), (
                    f"{rule.rule}: <{name}> looks like a credential; declare it <secret:{name}>"
                )


def test_the_invitation_postback_and_learn_links_are_secret_routes(app):
    prefixes = logs.secret_prefixes(app.url_map)
    assert {"/invite/", "/pb/", "/learn/"} <= prefixes


def test_each_secret_route_is_masked_in_an_access_log_line(app, caplog):
    caplog.set_level(logging.INFO)
    for rule, variable in secret_routes(app):
        secret = secrets.token_urlsafe(32) + "." + secrets.token_urlsafe(8)
        logging.getLogger("gunicorn.access").info(
            "%s", access_line(sample_path(app, rule, variable, secret))
        )
        assert secret not in caplog.text, rule
        assert secret[:4] + "…" in caplog.text


def percent_encoded(text: str, which: str, spell=str.upper) -> str:
    return "".join("%" + spell(f"{ord(c):02x}") if c in which else c for c in text)


@pytest.mark.parametrize(
    "spelling",
    [
        lambda p: percent_encoded(p, p),
        lambda p: percent_encoded(p, p, str.lower),
        lambda p: percent_encoded(p, "/"),
        lambda p: percent_encoded(p, p[1:3]),
    ],
    ids=["all-upper-hex", "all-lower-hex", "slashes", "letters"],
)
def test_a_percent_encoded_prefix_is_masked_too(app, spelling):
    secret = secrets.token_urlsafe(32)
    for prefix in logs.secret_prefixes(app.url_map):
        line = access_line(spelling(prefix) + quote(secret))
        assert secret not in logs.redact_line(line), line


def test_a_route_added_with_a_secret_segment_is_masked_once_declared(app, caplog):
    app.add_url_rule("/reset/<secret:token>", "reset_for_test", lambda token: "")
    logs.mask_secret_routes(app)
    secret = secrets.token_urlsafe(32)
    caplog.set_level(logging.INFO)
    logging.getLogger("gunicorn.access").info("%s", access_line(f"/reset/{secret}"))
    assert secret not in caplog.text


def test_a_secret_segment_without_a_fixed_prefix_is_refused(app):
    app.add_url_rule("/<secret:token>", "bare_secret_for_test", lambda token: "")
    with pytest.raises(ValueError, match="fixed text before it"):
        logs.secret_prefixes(app.url_map)


def test_a_logged_traceback_that_quotes_a_secret_link_is_masked(app, caplog):
    secret = secrets.token_urlsafe(32)
    caplog.set_level(logging.INFO)
    try:
        raise RuntimeError(f"could not open /invite/{secret}")
    except RuntimeError:
        logging.getLogger("pbhub.test").exception("failed")
    assert secret not in caplog.text
    assert "/invite/" in caplog.text


@pytest.mark.parametrize("database_uri", ["sqlite"], indirect=True)
def test_gunicorn_never_writes_a_usable_link_to_its_logs(app, make_user, source, tmp_path):
    """End to end: the production server's access and error logs, for a live invitation
    link, a Postback URL and a learn URL."""
    user = make_user("operator")
    link = invitations().token(user)
    learn = secrets.token_urlsafe(32)
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "REDIS_URL": "",
        "PBHUB_ACCESS_LOG": "-",
        "WEB_CONCURRENCY": "1",
    }
    port = free_port()
    log = tmp_path / "web.log"
    server = gunicorn(env, port, log)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base)
        assert requests.get(f"{base}/invite/{link}", timeout=10).status_code == 200
        requests.get(f"{base}{source['postback_path']}?transaction_id=1", timeout=10)
        requests.get(f"{base}/learn/{learn}", timeout=10)
        requests.get(f"{base}/%69nvite/{link}", timeout=10)
        requests.get(f"{base}/invite%2F{link}", timeout=10)
    finally:
        stop(server)
    written = log.read_text()
    assert re.search(r"GET /invite/\S{4}… ", written), written
    for secret in (link, source["inbound_token"], learn):
        assert secret not in written
