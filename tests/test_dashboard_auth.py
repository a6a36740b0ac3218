"""Signing in to the dashboard, sessions, CSRF, roles and invitations."""

import re

import pytest

from app.services import users as user_service
from tests.conftest import PASSWORD, page_csrf_token

ADMIN_PAGES = ["/admin/users", "/admin/signatures", "/admin/tickets"]
OPERATOR_PAGES = ["/postbacks", "/account", "/postbacks/live"]


def wrong_sign_ins(client, email, times):
    """The statuses of ``times`` sign-ins with a wrong password."""
    token = page_csrf_token(client)
    return [
        client.post(
            "/login", data={"email": email, "password": "wrong", "csrf_token": token}
        ).status_code
        for _ in range(times)
    ]


def test_pages_send_anonymous_visitors_to_sign_in_and_back(client):
    answer = client.get("/postbacks?event=ftd")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/login?next=/postbacks?event%3Dftd"


def test_signing_in_lands_on_the_page_asked_for(client, make_account):
    user = make_account()
    answer = client.post(
        "/login",
        data={
            "email": user.email.upper(),
            "password": PASSWORD,
            "next": "/account",
            "csrf_token": page_csrf_token(client),
        },
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/account"
    assert client.get("/account").status_code == 200


@pytest.mark.parametrize(
    "target", ["https://evil.test/", "//evil.test/x", "/\\evil.test", "javascript:alert(1)", ""]
)
def test_sign_in_never_redirects_off_site(client, make_account, target):
    user = make_account()
    answer = client.post(
        "/login",
        data={
            "email": user.email,
            "password": PASSWORD,
            "next": target,
            "csrf_token": page_csrf_token(client),
        },
    )
    assert answer.headers["Location"] == "/postbacks"


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, make_account):
    user = make_account()
    answer = client.post(
        "/login",
        data={"email": user.email, "password": "nope", "csrf_token": page_csrf_token(client)},
    )
    assert answer.status_code == 401
    assert "Wrong email or password." in answer.get_data(as_text=True)
    assert client.get("/postbacks").status_code == 302


def test_a_disabled_user_cannot_sign_in(client, make_account):
    user = make_account()
    user.active = False
    answer = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": page_csrf_token(client)},
    )
    assert answer.status_code == 401


def test_sign_in_attempts_are_throttled_per_account(client, make_account):
    statuses = wrong_sign_ins(client, make_account().email, 10)
    assert statuses[:8] == [401] * 8
    assert statuses[8:] == [429, 429]


def test_forms_without_the_csrf_token_are_refused(client, make_account):
    user = make_account()
    answer = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert answer.status_code == 400
    assert "CSRF" in answer.get_data(as_text=True)


def test_signing_out_ends_the_session(client, sign_in, csrf):
    sign_in()
    client.post("/logout", data={"csrf_token": csrf()})
    assert client.get("/postbacks").status_code == 302


def test_the_session_cookie_is_http_only_and_same_site(client, make_account):
    user = make_account()
    client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": page_csrf_token(client)},
    )
    cookie = client.get_cookie("pbhub_session")
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_the_session_cookie_is_secure_when_the_hub_is_served_over_https():
    from app import config

    env = {"PBHUB_BASE_URL": "https://hub.example", "SECRET_KEY": "k" * 40}
    assert config.load(env, "/tmp")["SESSION_COOKIE_SECURE"] is True
    assert (
        config.load({**env, "PBHUB_BASE_URL": "http://h"}, "/tmp")["SESSION_COOKIE_SECURE"] is False
    )


def test_a_password_reset_ends_the_users_sessions(client, sign_in):
    user = sign_in()
    user_service.reset_password(user)
    assert client.get("/postbacks").status_code == 302


def test_disabling_a_user_ends_their_sessions(client, sign_in):
    user = sign_in()
    user.active = False
    assert client.get("/postbacks").status_code == 302


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_operators_get_403_on_admin_pages(client, sign_in, path):
    sign_in("operator")
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ADMIN_PAGES + OPERATOR_PAGES)
def test_admins_reach_every_page(client, sign_in, path):
    sign_in("admin")
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/admin/users",
        "/admin/users/1/disable",
        "/admin/users/1/reset",
        "/admin/signatures",
        "/admin/signatures/x/delete",
        "/admin/tickets/1/resolve",
    ],
)
def test_operators_cannot_post_to_admin_routes(client, sign_in, csrf, path):
    sign_in("operator")
    assert client.post(path, data={"csrf_token": csrf()}).status_code == 403


def test_the_api_accepts_the_dashboard_session(client, sign_in):
    sign_in()
    assert client.get("/api/v1/sources").status_code == 200


def test_the_api_refuses_a_session_write_without_the_csrf_header(client, sign_in, csrf):
    sign_in()
    refused = client.post("/api/v1/sources", json={"name": "A"})
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "bad_request"
    accepted = client.post("/api/v1/sources", json={"name": "A"}, headers={"X-CSRFToken": csrf()})
    assert accepted.status_code == 201


def test_bearer_token_calls_need_no_csrf_token(client, operator_headers):
    assert (
        client.post("/api/v1/sources", json={"name": "A"}, headers=operator_headers).status_code
        == 201
    )


def test_an_operator_session_cannot_use_admin_api_routes(client, sign_in):
    sign_in("operator")
    assert client.get("/api/v1/admin/tickets").status_code == 403


CHROMIUM_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)


def test_browsers_at_the_root_go_to_the_dashboard(client):
    answer = client.get("/", headers={"Accept": CHROMIUM_ACCEPT})
    assert answer.headers["Location"] == "/postbacks"


@pytest.mark.parametrize("accept", ["*/*", "application/json", None])
def test_programs_at_the_root_get_the_map_of_the_api(client, accept):
    answer = client.get("/", headers={"Accept": accept} if accept else {})
    assert answer.get_json()["api"] == "/api/v1"


# -- invitations --------------------------------------------------------------------------


def _invite(client, csrf, email="new@example.test", role="operator"):
    answer = client.post("/admin/users", data={"email": email, "role": role, "csrf_token": csrf()})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    link = re.search(r'id="invite-link">([^<]+)<', answer.get_data(as_text=True)).group(1)
    return link.removeprefix("http://hub.test")


@pytest.fixture
def invitation(client, sign_in, csrf):
    sign_in("admin")
    path = _invite(client, csrf)
    client.post("/logout", data={"csrf_token": csrf()})
    return path


def test_an_invited_user_sets_a_password_and_is_signed_in(client, invitation):
    token = page_csrf_token(client, invitation)
    answer = client.post(
        invitation, data={"password": PASSWORD, "confirm": PASSWORD, "csrf_token": token}
    )
    assert answer.headers["Location"] == "/postbacks"
    assert client.get("/postbacks").status_code == 200


def test_the_invitation_page_names_the_invited_user(client, invitation):
    assert "For <strong>new@example.test</strong>" in client.get(invitation).get_data(as_text=True)


def test_an_invitation_works_once(client, invitation):
    token = page_csrf_token(client, invitation)
    client.post(invitation, data={"password": PASSWORD, "confirm": PASSWORD, "csrf_token": token})
    assert client.get(invitation).status_code == 410


def test_an_invitation_with_two_different_passwords_is_refused(client, invitation):
    token = page_csrf_token(client, invitation)
    answer = client.post(
        invitation, data={"password": PASSWORD, "confirm": PASSWORD + "!", "csrf_token": token}
    )
    assert answer.status_code == 422
    assert "The two passwords differ." in answer.get_data(as_text=True)


def test_a_forged_invitation_is_refused(client):
    assert client.get("/invite/not-a-real-token").status_code == 410


def test_an_expired_invitation_is_refused(client, invitation, monkeypatch):
    import time

    later = time.time() + 73 * 3600
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    assert client.get(invitation).status_code == 410


def test_a_reset_link_replaces_the_password(client, sign_in, csrf, make_account):
    victim = make_account()
    sign_in("admin")
    answer = client.post(f"/admin/users/{victim.id}/reset", data={"csrf_token": csrf()})
    assert "password reset link" in answer.get_data(as_text=True).lower()
    assert user_service.authenticate(victim.email, PASSWORD) is None


def test_an_invitation_for_a_taken_email_names_the_field(client, sign_in, csrf, make_account):
    taken = make_account()
    sign_in("admin")
    answer = client.post(
        "/admin/users", data={"email": taken.email, "role": "operator", "csrf_token": csrf()}
    )
    assert answer.status_code == 409
    assert "Email is already taken by another user." in answer.get_data(as_text=True)


def test_an_admin_cannot_disable_themselves(client, sign_in, csrf):
    admin = sign_in("admin")
    client.post(f"/admin/users/{admin.id}/disable", data={"csrf_token": csrf()})
    assert admin.active


def test_the_last_active_admin_cannot_lose_the_role(app, make_account):
    only = make_account("admin")
    other = make_account("admin")
    user_service.set_active(other, False, by=only)
    with pytest.raises(Exception, match="last active admin"):
        user_service.set_role(only, "operator", by=other)


def test_an_admin_changes_a_role(client, sign_in, csrf, make_account):
    user = make_account()
    sign_in("admin")
    client.post(f"/admin/users/{user.id}/role", data={"role": "admin", "csrf_token": csrf()})
    assert user.role == "admin"


# -- personal API tokens ------------------------------------------------------------------


def test_a_token_made_on_the_account_page_works_once_shown(client, sign_in, csrf):
    sign_in()
    answer = client.post("/account/tokens", data={"name": "script", "csrf_token": csrf()})
    assert answer.headers["Cache-Control"] == "no-store"
    token = re.search(r'id="new-token">([^<]+)<', answer.get_data(as_text=True)).group(1)
    assert (
        client.get("/api/v1/sources", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    assert token not in client.get("/account").get_data(as_text=True)


def test_a_revoked_token_stops_working(client, sign_in, csrf):
    user = sign_in()
    token = user_service.create_token(user, "x")
    token_id = user_service.list_tokens(user)[0].id
    client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf()})
    assert (
        client.get("/api/v1/sources", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )


def test_nobody_revokes_another_users_token(client, sign_in, csrf, make_account):
    other = make_account()
    user_service.create_token(other, "theirs")
    token_id = user_service.list_tokens(other)[0].id
    sign_in()
    client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf()})
    assert user_service.list_tokens(other)[0].revoked_at is None


def test_sign_in_still_throttles_when_redis_is_unreachable(app, client, make_account):
    from redis.exceptions import ConnectionError as RedisDown

    class Unreachable:
        def allow(self, key, limit):
            raise RedisDown("down")

    app.extensions["pbhub.limiter"] = Unreachable()
    assert wrong_sign_ins(client, make_account().email, 9)[-1] == 429


def test_an_unknown_email_is_checked_against_a_password_hash_too(app, monkeypatch):
    from app.services import users

    checked = []
    original = users.check_password_hash
    monkeypatch.setattr(users, "check_password_hash", lambda *a: checked.append(a) or original(*a))
    assert users.authenticate("nobody@example.test", "guess") is None
    assert len(checked) == 1
