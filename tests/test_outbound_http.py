"""Outbound HTTP connects to the address it checked, and every call ends within its
total deadline (``app.outbound.http``), for deliveries, outbound tests and Keitaro.

A fake resolver stands in for DNS. Receivers are raw-socket servers on loopback, so a
test decides byte by byte what an answer looks like and counts connections. Where an
address must play a public one, 127.0.0.2 does (allowed by the test's allow-list): a
rebound answer of 127.0.0.1 is then the private address the guard must keep out.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace

import pytest
import requests
import trustme
from urllib3.exceptions import SSLError

from app.core.keys import Keyring
from app.keitaro import errors
from app.keitaro.transport import Transport
from app.models.types import utcnow
from app.outbound import dispatch, rules
from app.outbound.http import DeadlineExceeded, Sender, deadline, describe, outbound_session
from app.outbound.ssrf import parse_allowed
from app.services import keitaro as keitaro_service
from tests.test_ssrf import resolver

#: Stands in for a public address; 127.0.0.1 stays forbidden.
PUBLIC = "127.0.0.2"
LOOPBACK = parse_allowed("127.0.0.0/8")
KEY = "k-secret-api-key-123"
#: What a deadline may overrun by on a loaded test machine.
MARGIN = 0.6

Answer = Callable[[socket.socket], bool]


# -- answers a receiver can give (True: keep the connection for the next request) ---------


def ok(conn: socket.socket) -> bool:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    return True


def unavailable(conn: socket.socket) -> bool:
    time.sleep(0.3)
    conn.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy")
    return True


def trickle(conn: socket.socket) -> bool:
    """Headers a byte every 0.1 s: every read is quick, the answer takes 5 s."""
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"z" * 25 + b"\r\nContent-Length: 0\r\n\r\n":
        conn.sendall(bytes([byte]))
        time.sleep(0.1)
    return False


def silent(conn: socket.socket) -> bool:
    time.sleep(5)
    return False


def half(conn: socket.socket) -> bool:
    """Headers promising 10 bytes, then 3 of them, then nothing."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    time.sleep(5)
    return False


class Receiver:
    """An HTTP/1.1 server on ``host`` (a loopback address), plain or TLS, answering each
    request with ``answer`` (``first`` for its first connection); records each
    request's headers, the connections it accepted and the TLS server names asked for."""

    def __init__(
        self,
        answer: Answer = ok,
        *,
        first: Answer | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.answer, self.first, self.tls = answer, first, tls
        self.listener = socket.create_server((host, port))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self.requests: list[dict[str, str]] = []
        self.server_names: list[str | None] = []
        self._open: list[socket.socket] = []
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            answer = self.first if self.first and self.connections == 1 else self.answer
            self._open.append(conn)
            threading.Thread(target=self._serve, args=(conn, answer), daemon=True).start()

    def _serve(self, conn: socket.socket, answer: Answer) -> None:
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            reader = conn.makefile("rb")
            while True:
                headers = self._read_head(reader)
                if headers is None:
                    return
                self.requests.append(headers)
                reader.read(int(headers.get("content-length", 0)))
                if not answer(conn):
                    return
        except (OSError, ssl.SSLError):
            return
        finally:
            conn.close()

    @staticmethod
    def _read_head(reader) -> dict[str, str] | None:  # type: ignore[no-untyped-def]
        if not reader.readline():  # the request line
            return None
        headers = {}
        while (line := reader.readline().decode("latin-1").strip()) != "":
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return headers

    def stop(self) -> None:
        self.listener.close()
        for conn in self._open:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    made: list[Receiver] = []

    def make(answer: Answer = ok, **options) -> Receiver:  # type: ignore[no-untyped-def]
        made.append(Receiver(answer, **options))
        return made[-1]

    yield make
    for server in made:
        server.stop()


def rebinding(name: str, first: str, then: str):  # type: ignore[no-untyped-def]
    """A hostile DNS: ``first`` for the first question about ``name``, ``then`` after."""

    def resolve(host: str, port: int) -> list[str]:
        assert host == name
        resolve.calls.append(host)
        return [first if len(resolve.calls) == 1 else then]

    resolve.calls = []
    return resolve


@pytest.fixture
def rebound(receiver):  # type: ignore[no-untyped-def]
    """An internal service on 127.0.0.1:P, a stand-in public receiver on 127.0.0.2:P,
    and "localhost" answering the public one first and 127.0.0.1 after. The system's
    DNS says 127.0.0.1 too: a client resolving on its own would reach the internal one."""
    internal = receiver()
    public = receiver(host=PUBLIC, port=internal.port)
    return SimpleNamespace(
        internal=internal,
        public=public,
        url=f"http://localhost:{internal.port}/in",
        allowed=parse_allowed(PUBLIC),
        resolve=rebinding("localhost", PUBLIC, "127.0.0.1"),
    )


def delivery_settings(allowed, resolve, seconds=5.0):  # type: ignore[no-untyped-def]
    return dispatch.Settings(
        keyring=Keyring("k" * 40),
        allowed=allowed,
        now=utcnow,
        resolve=resolve,
        deadline=seconds,
    )


def get(url: str) -> rules.Prepared:
    return rules.Prepared(method="GET", url=url, headers={})


# -- the connection goes to the checked address --------------------------------------------


def test_a_delivery_connects_to_the_address_it_checked_not_a_rebound_one(rebound):
    settings = delivery_settings(rebound.allowed, rebound.resolve)
    status, excerpt, error, _, _ = dispatch.perform(
        get(rebound.url), SimpleNamespace(timeout_seconds=5), settings
    )
    assert (status, excerpt, error) == (200, "ok", None)
    assert rebound.resolve.calls == ["localhost"]
    assert rebound.internal.requests == []
    assert rebound.public.requests[0]["host"] == f"localhost:{rebound.internal.port}"


def test_an_outbound_test_connects_to_the_address_it_checked_not_a_rebound_one(
    app, outbound, rebound
):
    from app.extensions import db
    from app.models import OutboundPostback
    from app.runtime import delivery_settings as current_settings
    from app.services.outbound import test_outbound

    row = db.session.get(OutboundPostback, outbound(url_template=rebound.url)["id"])
    settings = dataclasses.replace(
        current_settings(),
        allowed=rebound.allowed,
        resolve=rebound.resolve,
    )
    answer = test_outbound(row, settings)
    assert answer["error"] is None
    assert answer["response"] == {"status_code": 200, "body": "ok"}
    assert rebound.internal.requests == []


def test_a_keitaro_call_is_refused_when_its_host_rebinds_to_a_private_address(rebound):
    keyring = Keyring("k" * 40)
    row = SimpleNamespace(
        name="main",
        url=f"http://localhost:{rebound.internal.port}",
        api_key_ciphertext=keyring.encrypt(KEY),
        timezone="UTC",
        verify_tls=True,
    )
    settings = keitaro_service.ClientSettings(allowed=rebound.allowed, resolve=rebound.resolve)
    client = keitaro_service.client_for(row, keyring, settings)
    with pytest.raises(errors.KeitaroError, match="refused to call the tracker") as refused:
        client.transport.request("GET", "campaigns")
    assert "127.0.0.1, which is loopback" in refused.value.message
    assert rebound.internal.requests == rebound.public.requests == []


def test_a_made_up_name_reaches_the_checked_address_with_its_own_host_header(receiver):
    server = receiver()
    session = outbound_session(LOOPBACK, resolver({"receiver.test": ["127.0.0.1"]}))
    answer = session.get(f"http://receiver.test:{server.port}/x", timeout=5)
    assert (answer.status_code, answer.text) == (200, "ok")
    assert server.requests[0]["host"] == f"receiver.test:{server.port}"


def test_a_literal_address_is_connected_to_without_asking_dns(receiver):
    server = receiver()
    resolve = resolver({})
    answer = outbound_session(LOOPBACK, resolve).get(f"http://127.0.0.1:{server.port}/", timeout=5)
    assert answer.status_code == 200
    assert resolve.calls == []


def test_when_the_first_address_refuses_the_next_one_is_tried(receiver):
    server = receiver()  # on 127.0.0.1 only: 127.0.0.2 refuses
    session = outbound_session(LOOPBACK, resolver({"receiver.test": [PUBLIC, "127.0.0.1"]}))
    answer = session.get(f"http://receiver.test:{server.port}/", timeout=5)
    assert answer.status_code == 200
    assert server.connections == 1


def test_proxies_from_the_environment_are_not_used(receiver, monkeypatch):
    server = receiver()
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    session = outbound_session(LOOPBACK, resolver({"receiver.test": ["127.0.0.1"]}))
    assert session.get(f"http://receiver.test:{server.port}/", timeout=5).status_code == 200


@pytest.fixture(scope="module")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_bundle(certificate_authority: trustme.CA, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """The test authority's certificate, as a file clients verify against."""
    bundle = tmp_path / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(bundle))
    return str(bundle)


def fetch(sender: Sender, url: str, read_at_most: int = 100):  # type: ignore[no-untyped-def]
    """A GET through ``sender`` within a 5 s deadline."""
    with deadline(5):
        return sender.send("GET", url, headers={}, body=None, timeout=5, read_at_most=read_at_most)


def tls_server(ca: trustme.CA, name: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(context)
    return context


def test_https_verifies_the_certificate_against_the_urls_name_at_the_pinned_address(
    receiver, certificate_authority, ca_bundle
):
    server = receiver(tls=tls_server(certificate_authority, "receiver.test"))
    session = outbound_session(LOOPBACK, resolver({"receiver.test": ["127.0.0.1"]}))
    answer = session.get(f"https://receiver.test:{server.port}/", verify=ca_bundle, timeout=5)
    assert (answer.status_code, answer.text) == (200, "ok")
    assert server.server_names == ["receiver.test"]


def test_https_refuses_a_certificate_for_another_name_at_the_pinned_address(
    receiver, certificate_authority, ca_bundle
):
    server = receiver(tls=tls_server(certificate_authority, "other.test"))
    session = outbound_session(LOOPBACK, resolver({"receiver.test": ["127.0.0.1"]}))
    with pytest.raises(requests.exceptions.SSLError, match=r"receiver\.test"):
        session.get(f"https://receiver.test:{server.port}/", verify=ca_bundle, timeout=5)
    assert server.requests == []


def test_a_delivery_over_https_verifies_the_certificate_against_the_urls_name(
    receiver, certificate_authority, ca_bundle
):
    server = receiver(tls=tls_server(certificate_authority, "receiver.test"))
    sender = Sender(LOOPBACK, resolver({"receiver.test": ["127.0.0.1"]}), ca_certs=ca_bundle)
    answer = fetch(sender, f"https://receiver.test:{server.port}/")
    assert (answer.status, answer.excerpt) == (200, b"ok")
    assert server.server_names == ["receiver.test"]


def test_a_delivery_refuses_a_certificate_for_another_name_in_a_sentence(
    receiver, certificate_authority, ca_bundle
):
    server = receiver(tls=tls_server(certificate_authority, "other.test"))
    sender = Sender(LOOPBACK, resolver({"receiver.test": ["127.0.0.1"]}), ca_certs=ca_bundle)
    with pytest.raises(SSLError) as refused:
        fetch(sender, f"https://receiver.test:{server.port}/")
    said = describe(refused.value, 5)
    assert said.startswith("SSLError: the TLS handshake failed (") and "receiver.test" in said
    assert server.requests == []


# -- keep-alive -------------------------------------------------------------------------


def test_two_requests_to_the_same_host_reuse_one_connection(receiver):
    server = receiver()
    session = outbound_session(LOOPBACK, resolver({"receiver.test": ["127.0.0.1"]}))
    for _ in range(2):
        with deadline(5):
            assert session.get(f"http://receiver.test:{server.port}/", timeout=5).ok
    assert (server.connections, len(server.requests)) == (1, 2)


def test_deliveries_to_one_receiver_reuse_one_connection(receiver):
    server = receiver()
    settings = delivery_settings(LOOPBACK, resolver({"receiver.test": ["127.0.0.1"]}))
    for _ in range(3):
        status, _, _, _, _ = dispatch.perform(
            get(f"http://receiver.test:{server.port}/"),
            SimpleNamespace(timeout_seconds=5),
            settings,
        )
        assert status == 200
    assert (server.connections, len(server.requests)) == (1, 3)


def long_answer(conn: socket.socket) -> bool:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000)
    return True


def test_an_answer_longer_than_the_excerpt_is_cut_and_its_connection_not_reused(receiver):
    server = receiver(long_answer, first=long_answer)
    sender = Sender(LOOPBACK, resolver({"receiver.test": ["127.0.0.1"]}))
    for _ in range(2):
        answer = fetch(sender, f"http://receiver.test:{server.port}/", rules.EXCERPT_BYTES)
        assert (answer.status, len(answer.excerpt)) == (200, rules.EXCERPT_BYTES)
    assert server.connections == 2


def test_a_refused_connection_is_recorded_in_a_sentence():
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    settings = delivery_settings(LOOPBACK, resolver({"receiver.test": ["127.0.0.1"]}))
    _, _, error, _, _ = dispatch.perform(
        get(f"http://receiver.test:{port}/"), SimpleNamespace(timeout_seconds=5), settings
    )
    assert error == (
        "ConnectionError: could not connect to receiver.test at 127.0.0.1: Connection refused"
    )


def test_a_receiver_that_hangs_up_without_answering_is_recorded_in_a_sentence(receiver):
    server = receiver(lambda conn: False)
    settings = delivery_settings(LOOPBACK, resolver({"receiver.test": ["127.0.0.1"]}))
    _, _, error, _, _ = dispatch.perform(
        get(f"http://receiver.test:{server.port}/"), SimpleNamespace(timeout_seconds=5), settings
    )
    assert error == (
        "ConnectionError: the connection broke before a complete answer "
        "(Remote end closed connection without response)"
    )


def test_a_header_http_does_not_allow_is_recorded_without_its_value(receiver):
    server = receiver()
    settings = delivery_settings(LOOPBACK, resolver({"receiver.test": ["127.0.0.1"]}))
    prepared = rules.Prepared(
        method="GET",
        url=f"http://receiver.test:{server.port}/",
        headers={"X-Signature": "secret\r\nX-Injected: 1"},
    )
    _, _, error, _, _ = dispatch.perform(prepared, SimpleNamespace(timeout_seconds=5), settings)
    assert error == ("InvalidRequest: a header name or value holds characters HTTP does not allow")
    assert server.requests == []


def test_a_connection_whose_deadline_fired_is_not_reused(receiver):
    server = receiver(first=half)
    session = outbound_session(LOOPBACK, resolver({"receiver.test": ["127.0.0.1"]}))
    url = f"http://receiver.test:{server.port}/"
    with (
        pytest.raises(DeadlineExceeded),
        deadline(1),
        session.get(url, stream=True, timeout=30) as answer,
    ):
        answer.raw.read(10)
    assert session.get(url, timeout=5).text == "ok"
    assert server.connections == 2


# -- the total deadline -----------------------------------------------------------------


def test_a_delivery_to_a_receiver_trickling_its_answer_ends_at_the_deadline(receiver):
    server = receiver(trickle)
    settings = delivery_settings(LOOPBACK, resolver({"receiver.test": ["127.0.0.1"]}), 1.0)
    started = time.monotonic()
    status, _, error, _, _ = dispatch.perform(
        get(f"http://receiver.test:{server.port}/"), SimpleNamespace(timeout_seconds=30), settings
    )
    assert time.monotonic() - started < 1.0 + MARGIN
    assert status is None
    assert error == "DeadlineExceeded: no complete answer within 1 s"


def test_a_postbacks_own_shorter_timeout_is_its_deadline(receiver):
    server = receiver(trickle)
    settings = delivery_settings(LOOPBACK, resolver({"receiver.test": ["127.0.0.1"]}), 10.0)
    started = time.monotonic()
    _, _, error, _, _ = dispatch.perform(
        get(f"http://receiver.test:{server.port}/"), SimpleNamespace(timeout_seconds=1), settings
    )
    assert time.monotonic() - started < 1.0 + MARGIN
    assert error == "DeadlineExceeded: no complete answer within 1 s"


def test_a_resolver_that_hangs_ends_at_the_deadline():
    def slow(host: str, port: int) -> list[str]:
        time.sleep(3)
        return ["127.0.0.1"]

    session = outbound_session(LOOPBACK, slow)
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded, match="no complete answer within 1 s"), deadline(1):
        session.get("http://receiver.test:9/", timeout=30)
    assert time.monotonic() - started < 1.0 + MARGIN


def test_a_keitaro_call_to_a_tracker_that_never_answers_ends_at_the_deadline(receiver):
    server = receiver(silent)
    tracker = Transport(f"http://127.0.0.1:{server.port}", KEY, timeout=30, retries=3, deadline=1)
    started = time.monotonic()
    with pytest.raises(errors.Unavailable, match="gave no answer within 1 s"):
        tracker.request("GET", "campaigns")
    assert time.monotonic() - started < 1.0 + MARGIN


def test_a_keitaro_call_retries_only_while_its_deadline_leaves_time(receiver):
    server = receiver(unavailable)  # 503 after 0.3 s, every time
    tracker = Transport(
        f"http://127.0.0.1:{server.port}", KEY, timeout=30, retries=10, backoff=0.2, deadline=2
    )
    started = time.monotonic()
    with pytest.raises(errors.Unavailable, match="503"):
        tracker.request("GET", "campaigns")
    assert time.monotonic() - started < 2.0 + MARGIN
    assert 2 <= len(server.requests) < 11


def test_the_configured_deadline_and_pinning_reach_deliveries_and_keitaro_calls(
    app_config, request
):
    from app.outbound.http import EVERYWHERE, Sender
    from app.runtime import delivery_settings as current_settings
    from app.runtime import keitaro_settings

    app_config["PBHUB_OUTBOUND_DEADLINE"] = 3.5
    request.getfixturevalue("app")
    settings = current_settings()
    assert settings.deadline == keitaro_settings().deadline == 3.5
    assert isinstance(settings.sender, Sender)
    assert settings.sender.allowed in (settings.allowed, EVERYWHERE)
