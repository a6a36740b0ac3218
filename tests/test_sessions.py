import pytest
from flask import session

from app.sessions import SessionInterface


def test_the_session_serializer_is_built_once_and_still_signs_cookies(app):
    interface = app.session_interface
    assert isinstance(interface, SessionInterface)
    assert interface.get_signing_serializer(app) is interface.get_signing_serializer(app)

    @app.get("/_session_probe")
    def probe():
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    client = app.test_client()
    assert client.get("/_session_probe").text == "1"
    assert client.get("/_session_probe").text == "2"


@pytest.mark.parametrize("path", ["/t/abc", "/pb/token", "/pb", "/pb/token/ftd", "/learn/x"])
def test_the_public_edge_opens_no_session(app, path):
    with app.test_request_context(path, headers={"Cookie": "session=forged"}) as ctx:
        assert app.session_interface.open_session(app, ctx.request) is None


def test_other_paths_keep_their_session(app):
    with app.test_request_context("/api/v1/sources") as ctx:
        assert app.session_interface.open_session(app, ctx.request) is not None


def test_a_track_redirect_sets_no_cookie(client, source):
    answer = client.get(source["track_path"], headers={"Cookie": "session=forged"})
    assert answer.status_code == 302
    assert "Set-Cookie" not in answer.headers
