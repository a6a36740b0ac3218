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
