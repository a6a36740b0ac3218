"""The ``pbhub`` command line."""

import json

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, Source, User
from app.services.users import user_for_token


def test_users_create_generates_and_prints_a_strong_password_once(runner):
    result = runner.invoke(args=["users", "create", "--admin", "Boss@Example.test"])
    assert result.exit_code == 0, result.output
    password = result.output.split("password: ")[1].split()[0]
    assert len(password) >= 20
    user = db.session.scalars(select(User)).one()
    assert (user.email, user.role) == ("boss@example.test", "admin")
    assert password not in user.password_hash


def test_users_create_reads_a_password_from_stdin(runner):
    result = runner.invoke(
        args=["users", "create", "op@example.test", "--password-stdin"],
        input="correct horse battery\n",
    )
    assert result.exit_code == 0 and "password:" not in result.output
    from app.services.users import authenticate

    assert authenticate("op@example.test", "correct horse battery") is not None


def test_users_create_refuses_a_short_password_and_a_taken_email(runner):
    short = runner.invoke(
        args=["users", "create", "a@example.test", "--password-stdin"], input="short\n"
    )
    assert short.exit_code == 2
    assert short.stderr == "error: the password must be at least 12 characters\n"
    runner.invoke(args=["users", "create", "b@example.test"])
    again = runner.invoke(args=["users", "create", "B@example.test"])
    assert again.exit_code == 1 and "already exists" in again.output


def test_users_reset_password_prints_a_new_one_that_works(runner, make_account):
    from app.services.users import authenticate

    user = make_account()
    result = runner.invoke(args=["users", "reset-password", user.email])
    assert result.exit_code == 0, result.output
    password = result.output.split(": ")[1].split()[0]
    assert authenticate(user.email, password) is user


def test_users_reset_password_of_an_unknown_user_fails(runner):
    result = runner.invoke(args=["users", "reset-password", "nobody@example.test"])
    assert result.exit_code == 1 and "no user" in result.output


def test_users_list_shows_email_and_role(runner):
    runner.invoke(args=["users", "create", "x@example.test"])
    assert "x@example.test\toperator\tactive" in runner.invoke(args=["users", "list"]).output


def test_ensure_admin_creates_the_first_admin_only_once(runner):
    first = runner.invoke(args=["users", "ensure-admin"])
    assert "password:" in first.output
    second = runner.invoke(args=["users", "ensure-admin"])
    assert "password:" not in second.output
    assert len(db.session.scalars(select(User)).all()) == 1


def test_tokens_create_prints_a_working_token_stored_hashed(runner):
    runner.invoke(args=["users", "create", "t@example.test"])
    result = runner.invoke(args=["tokens", "create", "t@example.test"])
    token = result.output.strip()
    assert token.startswith("pbh_")
    assert user_for_token(token).email == "t@example.test"
    assert token not in db.session.scalars(select(ApiToken)).one().digest


def test_sources_commands_share_the_apis_validation(runner):
    bad = runner.invoke(args=["sources", "create", "--name", "N", "--default-currency", "XYZ"])
    assert bad.exit_code == 2
    assert "error: --default-currency must be an ISO 4217 currency code" in bad.stderr
    created = runner.invoke(
        args=[
            "sources",
            "create",
            "--name",
            "N",
            "--event-map",
            '{"dep": "ftd"}',
            "--rate-limit-per-minute",
            "5",
        ]
    )
    assert created.exit_code == 0, created.output
    body = json.loads(created.output)
    assert body["postback_url"].endswith(body["inbound_token"])
    source_id = str(body["id"])

    updated = json.loads(
        runner.invoke(args=["sources", "update", source_id, "--platform", "Affise"]).output
    )
    assert updated["platform"] == "Affise" and updated["event_map"] == {"dep": "ftd"}
    assert (
        json.loads(runner.invoke(args=["sources", "pause", source_id]).output)["state"] == "paused"
    )
    assert (
        json.loads(runner.invoke(args=["sources", "resume", source_id]).output)["state"] == "active"
    )
    revealed = json.loads(runner.invoke(args=["sources", "postback-url", source_id]).output)
    assert revealed["postback_url"] == body["postback_url"]
    assert [s["name"] for s in json.loads(runner.invoke(args=["sources", "list"]).output)] == ["N"]
    assert runner.invoke(args=["sources", "delete", source_id, "--yes"]).exit_code == 0
    assert db.session.scalars(select(Source)).all() == []


@pytest.mark.parametrize(
    "command",
    [
        ["sources", "create", "--name", "N", "--event-map"],
        ["outbound", "create", "--name", "N", "--status-map"],
    ],
)
def test_a_json_option_nested_too_deep_is_a_usage_error(runner, command):
    deep = '{"a":' * 980 + "1" + "}" * 980
    result = runner.invoke(args=[*command, deep])
    assert result.exit_code == 2
    assert "nested deeper than 32 levels" in result.output
    assert "Traceback" not in result.output


def test_an_unknown_source_is_a_clear_error(runner):
    result = runner.invoke(args=["sources", "get", "99"])
    assert result.exit_code == 1 and "no source 99" in result.output


def test_a_source_created_with_a_target_url_gets_its_signed_webhook(runner, app):
    from app.models import OutboundPostback

    result = runner.invoke(
        args=[
            "sources",
            "create",
            "--name",
            "Hooked",
            "--outbound-target-url",
            "https://ops.example/in",
        ]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["outbound_secret"].startswith("whsec_")
    [webhook] = db.session.scalars(select(OutboundPostback)).all()
    assert (webhook.owner_source_id, webhook.url_template) == (body["id"], "https://ops.example/in")


def test_changing_a_sources_target_url_on_the_cli_moves_its_webhook(runner, app):
    from app.models import OutboundPostback

    created = runner.invoke(
        args=["sources", "create", "--name", "H2", "--outbound-target-url", "https://o.example/"]
    )
    source_id = json.loads(created.output)["id"]
    moved = runner.invoke(
        args=["sources", "update", str(source_id), "--outbound-target-url", "https://n.example/"]
    )
    assert moved.exit_code == 0, moved.output
    assert db.session.scalars(select(OutboundPostback.url_template)).all() == ["https://n.example/"]
