"""Outbound HTTP that connects to the address it checked, within one total deadline.

Two guarantees every call the hub makes to a URL someone configured (a delivery, an
outbound test, the Keitaro Admin API) needs, and which requests does not give:

* **The connection goes to the address that was checked.** ``ssrf.check_url`` resolves
  the host and refuses private addresses; if the HTTP library then resolved the name
  again, a hostile DNS server could answer a public address to the check and 127.0.0.1
  to the connection (DNS rebinding). :class:`PinnedAdapter` resolves each request's host
  once, through the check, and connects to exactly those addresses, in order, trying the
  next when one refuses. The URL's host name stays the ``Host`` header, the TLS SNI name
  and the name the certificate is verified against, so virtual hosts and HTTPS work as
  before. Literal-IP URLs connect to the (normalised) literal address.
* **Every call has a total deadline.** requests' ``timeout`` bounds the connect and each
  read apart, so a receiver trickling a byte every few seconds, or a retry loop, holds a
  worker for minutes. :func:`deadline` bounds everything inside it (DNS, connect, TLS,
  sending, the answer's headers and its body) to N seconds in total, and raises
  :class:`DeadlineExceeded` ("no complete answer within N s") when they run out.

How: urllib3's own hooks. The adapter puts the checked addresses into the pool key, so
each (scheme, host, port, checked addresses, TLS settings) has its own keep-alive pool,
and urllib3 hands them to the connection class as a keyword argument
(``HTTPConnectionPool`` passes extra keywords through to its connections).
:class:`PinnedHTTPConnection` / :class:`PinnedHTTPSConnection` override ``_new_conn``
(the one place urllib3 2.x opens the TCP socket, to ``_dns_host``, which we leave as the
name) to connect to the pinned addresses instead. The deadline needs no thread per
request: one watchdog thread keeps a heap of deadlines, and each connection registers a
duplicate of its socket's descriptor with the deadline of the thread using it; when the
time is up the watchdog shuts the socket down, which wakes whatever read or write is
blocked on it (TLS handshake included). A connection whose deadline fired is marked and
never handed out by the pool again. DNS runs on a small shared pool of resolver threads
so that the caller can stop waiting for it.

Proxies are not used (``trust_env=False``, and a ``proxies`` argument is ignored): the
hub connects directly to the address it checked, since a proxy would resolve the name
itself. Callers never follow redirects (they pass ``allow_redirects=False``: a redirect
is the receiver's answer, recorded as such, and following one would carry signatures
and API keys elsewhere); were one followed, its hop would be checked and pinned anew.

Deliveries, sent hundreds of times a second, go through :class:`Sender`: the same pinned
pools and deadline without requests' per-call work. Every other caller uses a session.

Plain Python, no Flask: the resolver is injected, so tests need no DNS.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import heapq
import http.client
import ipaddress
import itertools
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.utils import DEFAULT_CA_BUNDLE_PATH
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationParseError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.poolmanager import PoolManager
from urllib3.util import Timeout, parse_url
from urllib3.util import connection as urllib3_connection

from app.outbound import ssrf

#: Seconds, when the caller does not say (``PBHUB_OUTBOUND_DEADLINE``'s default).
DEFAULT_DEADLINE = 10.0
#: Threads resolving names for calls under a deadline, shared by the process.
RESOLVER_THREADS = 32

#: Every address allowed: pinning without the SSRF guard (a caller that turned it off
#: still gets one resolution, the deadline and no proxies).
EVERYWHERE = ssrf.Allowed(
    networks=(ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
)


class DeadlineExceeded(requests.Timeout):
    """The call did not complete within its total deadline. A ``requests.Timeout``, so
    callers that already treat timeouts as transient keep doing so."""


# -- the deadline -------------------------------------------------------------------------

_serials = itertools.count(1)


class Deadline:
    """One total time budget, shared by every connection used while it is current.

    The watchdog calls :meth:`_fire` when the time is up; the thread that owns the
    deadline calls :meth:`_end` when its block is over. Both run under one lock, so a
    socket is never shut down after the block let go of it.
    """

    def __init__(self, seconds: float, expires_at: float) -> None:
        self.seconds = seconds
        self.expires_at = expires_at
        self.serial = next(_serials)
        #: The time ran out (the watchdog got to it).
        self.fired = False
        #: ... while a connection was in use: its socket was shut down under it.
        self.cut = False
        self.over = False
        self._lock = threading.Lock()
        #: (a duplicate of the socket's descriptor, the connection using it). Shutting
        #: down the duplicate shuts down the connection's socket, whether or not TLS has
        #: since wrapped it; and the duplicate is ours, so its number is never reused
        #: by another socket before we close it.
        self._watched: list[tuple[socket.socket, _Pinned]] = []

    def remaining(self) -> float:
        return self.expires_at - time.monotonic()

    @property
    def expired(self) -> bool:
        return self.fired or self.remaining() <= 0

    def exceeded(self) -> DeadlineExceeded:
        return DeadlineExceeded(f"no complete answer within {self.seconds:g} s")

    def check(self) -> None:
        """Raise :class:`DeadlineExceeded` if the time is up (before starting a step)."""
        if self.expired:
            raise self.exceeded()

    def watch(self, sock: socket.socket, connection: _Pinned) -> None:
        """Shut ``sock`` down when the time is up (raises if it already is)."""
        try:
            watcher = socket.fromfd(sock.fileno(), sock.family, sock.type)
        except OSError:  # closed meanwhile: nothing left to interrupt
            return
        with self._lock:
            if not (self.fired or self.over):
                self._watched.append((watcher, connection))
                return
        watcher.close()
        raise self.exceeded()

    def unwatch(self, connection: _Pinned) -> None:
        """The connection goes back to its pool: its next user has its own deadline."""
        with self._lock:
            mine = [pair for pair in self._watched if pair[1] is connection]
            self._watched = [pair for pair in self._watched if pair[1] is not connection]
        for watcher, _ in mine:
            watcher.close()

    def _fire(self) -> None:
        with self._lock:
            if self.over:
                return
            self.fired = True
            self.cut = bool(self._watched)
            for watcher, connection in self._watched:
                connection.deadline_fired = True
                with contextlib.suppress(OSError):
                    watcher.shutdown(socket.SHUT_RDWR)

    def _end(self) -> None:
        with self._lock:
            self.over = True
            watched, self._watched = self._watched, []
        for watcher, _ in watched:
            watcher.close()


class _Watchdog:
    """One thread for every deadline of the process: sleeps until the earliest one."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._heap: list[tuple[float, int, Deadline]] = []
        self._thread: threading.Thread | None = None

    def add(self, deadline: Deadline) -> None:
        with self._condition:
            heapq.heappush(self._heap, (deadline.expires_at, deadline.serial, deadline))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="pbhub-outbound-deadlines", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is deadline:
                self._condition.notify()

    def _run(self) -> None:
        while True:
            with self._condition:
                while True:
                    while self._heap and self._heap[0][2].over:
                        heapq.heappop(self._heap)
                    if not self._heap:
                        self._condition.wait()
                        continue
                    wait = self._heap[0][0] - time.monotonic()
                    if wait <= 0:
                        due = heapq.heappop(self._heap)[2]
                        break
                    self._condition.wait(wait)
            due._fire()


_watchdog = _Watchdog()
_resolver_lock = threading.Lock()
_resolver_pool: ThreadPoolExecutor | None = None
_current: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "pbhub_outbound_deadline", default=None
)


def _after_fork() -> None:
    """A forked child (an RQ work horse, a gunicorn worker) has none of the parent's
    threads: start afresh."""
    global _watchdog, _resolver_lock, _resolver_pool
    _watchdog = _Watchdog()
    _resolver_lock = threading.Lock()
    _resolver_pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def current_deadline() -> Deadline | None:
    """The deadline of the innermost :func:`deadline` block around this call, if any."""
    return _current.get()


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[Deadline]:
    """Everything inside the block (DNS, connect, TLS, sending, reading the answer's
    headers and body) completes within ``seconds`` in total, or raises
    :class:`DeadlineExceeded`.

    Only work done through :func:`outbound_session` sessions is interrupted; other
    waiting inside the block (a retry's backoff) should ask :meth:`Deadline.remaining`
    first. A block inside another never outlasts the outer one. Transport errors caused
    by the time running out (a connection shut down under a read) come out as
    :class:`DeadlineExceeded`; so does a block that ends normally after a connection
    it was still using was shut down, since what it read may be incomplete.
    """
    if not seconds > 0:
        raise ValueError(f"a deadline must be positive, got {seconds!r}")
    expires_at, label = time.monotonic() + seconds, seconds
    outer = _current.get()
    if outer is not None and outer.expires_at < expires_at:
        expires_at, label = outer.expires_at, outer.seconds
    limit = Deadline(label, expires_at)
    _watchdog.add(limit)
    token = _current.set(limit)
    try:
        yield limit
    except DeadlineExceeded:
        raise
    except (OSError, HTTPError, http.client.HTTPException) as exc:
        if limit.expired:
            raise limit.exceeded() from exc
        raise
    finally:
        _current.reset(token)
        limit._end()
    if limit.cut:
        raise limit.exceeded()


class _OutOfTime(Exception):
    """The resolver did not answer before the deadline (not an OSError on purpose:
    ``check_url`` turns those into :class:`ssrf.Unresolvable`)."""


def _resolvers() -> ThreadPoolExecutor:
    global _resolver_pool
    with _resolver_lock:
        if _resolver_pool is None:
            _resolver_pool = ThreadPoolExecutor(RESOLVER_THREADS, thread_name_prefix="pbhub-dns")
        return _resolver_pool


def _resolve_within(resolve: ssrf.Resolver, limit: Deadline, host: str, port: int) -> list[str]:
    """``resolve(host, port)``, waited for no longer than the deadline allows.

    ``getaddrinfo`` cannot be interrupted, so it runs on a shared resolver thread; one
    that hangs keeps its thread until the system resolver gives up, not the caller.
    """
    future = _resolvers().submit(resolve, host, port)
    try:
        return future.result(timeout=max(limit.remaining(), 0.0))
    except TimeoutError:
        if future.done():  # the resolver itself raised a timeout
            raise
        future.cancel()
        raise _OutOfTime() from None


def check_url(
    url: str, allowed: ssrf.Allowed, resolve: ssrf.Resolver = ssrf.default_resolver
) -> list[str]:
    """``ssrf.check_url``, its DNS bounded by the current deadline (if any): raises
    ``Refused``, ``Unresolvable`` or :class:`DeadlineExceeded`."""
    limit = current_deadline()
    if limit is None:
        return ssrf.check_url(url, allowed, resolve)
    limit.check()
    try:
        return ssrf.check_url(url, allowed, partial(_resolve_within, resolve, limit))
    except _OutOfTime:
        raise limit.exceeded() from None


# -- connections that go to the checked address ---------------------------------------


class _Pinned:
    """Mixed into urllib3's connection classes: connects to ``pinned_addresses`` (the
    checked ones, in order) instead of resolving ``host`` again, and lets the current
    deadline cut its socket."""

    port: int
    host: str
    timeout: float | None
    source_address: tuple[str, int] | None
    socket_options: Any
    sock: socket.socket | None

    def __init__(self, *args: Any, pinned_addresses: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pinned_addresses = tuple(pinned_addresses)
        #: Set by the watchdog: this connection's socket was shut down mid-use.
        self.deadline_fired = False
        self._watcher: Deadline | None = None

    def _new_conn(self) -> socket.socket:
        if not self.pinned_addresses:
            # Fail closed: a connection never resolves on its own.
            raise _CouldNotConnect(self, f"no checked address to connect to for {self.host}")
        limit = current_deadline()
        # A fresh socket: whatever happened to the last one is over. (Closing does not
        # unwatch: after a "Connection: close" answer, http.client closes the connection
        # before the body is read from the socket, and that read must stay bounded.)
        self._unwatch()
        self.deadline_fired = False
        failure: OSError | None = None
        for address in self.pinned_addresses:
            timeout = self.timeout
            if limit is not None:
                remaining = limit.remaining()
                if remaining <= 0:
                    break
                timeout = remaining if timeout is None else min(timeout, remaining)
            try:
                sock = urllib3_connection.create_connection(
                    (address, self.port),
                    timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except OSError as exc:  # refused, unreachable, timed out: try the next one
                failure = exc
                continue
            sys.audit("http.client.connect", self, self.host, self.port)
            self._watch(sock)
            return sock
        tried = ", ".join(self.pinned_addresses)
        if limit is not None and limit.expired:
            raise ConnectTimeoutError(self, f"connection to {self.host} ({tried}) ran out of time")
        if isinstance(failure, TimeoutError):
            raise ConnectTimeoutError(
                self, f"connection to {self.host} ({tried}) timed out (timeout={self.timeout})"
            ) from failure
        why = getattr(failure, "strerror", None) or failure
        raise _CouldNotConnect(
            self, f"could not connect to {self.host} at {tried}: {why}"
        ) from failure

    def _watch(self, sock: socket.socket) -> None:
        limit = current_deadline()
        if limit is None or self._watcher is limit:
            return
        limit.watch(sock, self)
        self._watcher = limit

    def _unwatch(self) -> None:
        if self._watcher is not None:
            self._watcher.unwatch(self)
            self._watcher = None

    def request(self, *args: Any, **kwargs: Any) -> None:
        """Every request, on a new or a kept-alive connection, under the current deadline."""
        limit = current_deadline()
        if limit is not None:
            limit.check()
            if self.sock is not None:
                self._watch(self.sock)
        super().request(*args, **kwargs)  # type: ignore[misc]

    @property
    def is_connected(self) -> bool:
        # The pool asks this before lending a kept-alive connection: one whose deadline
        # fired may hold half an answer, so it is never lent again.
        return not self.deadline_fired and super().is_connected  # type: ignore[misc]


class _CouldNotConnect(NewConnectionError):
    """No checked address took the connection; ``sentence`` says which and why."""

    def __init__(self, conn: Any, sentence: str) -> None:
        self.sentence = sentence
        super().__init__(conn, sentence)


class PinnedHTTPConnection(_Pinned, HTTPConnection):
    """``http://``: connects to the checked addresses; ``Host`` is the URL's name."""


class PinnedHTTPSConnection(_Pinned, HTTPSConnection):
    """``https://``: connects to the checked addresses; SNI and certificate
    verification use the URL's name (``host``, which still holds the name)."""


class _Releasing:
    """Mixed into the pools: a connection handed back is no longer the deadline's."""

    def _put_conn(self, conn: Any) -> None:
        if isinstance(conn, _Pinned):
            conn._unwatch()
        super()._put_conn(conn)  # type: ignore[misc]


class PinnedHTTPConnectionPool(_Releasing, HTTPConnectionPool):
    ConnectionCls = PinnedHTTPConnection


class PinnedHTTPSConnectionPool(_Releasing, HTTPSConnectionPool):
    ConnectionCls = PinnedHTTPSConnection


def _pin(manager: PoolManager) -> None:
    """Make ``manager`` open pinned pools, one per set of checked addresses."""
    # New dicts: the defaults are urllib3's module-level ones, shared by everyone.
    manager.pool_classes_by_scheme = {
        "http": PinnedHTTPConnectionPool,
        "https": PinnedHTTPSConnectionPool,
    }
    manager.key_fn_by_scheme = {
        scheme: partial(_keyed_by_addresses, key_fn)
        for scheme, key_fn in manager.key_fn_by_scheme.items()
    }


def _keyed_by_addresses(
    key_fn: Callable[[dict[str, Any]], Any], context: dict[str, Any]
) -> tuple[Any, tuple[str, ...] | None]:
    """urllib3's pool key, plus the checked addresses: a kept-alive connection is only
    reused for a request whose host resolved to the same addresses."""
    addresses = context.get("pinned_addresses")
    rest = {k: v for k, v in context.items() if k != "pinned_addresses"}
    return key_fn(rest), addresses


class PinnedAdapter(HTTPAdapter):
    """A requests adapter that resolves each request's host once, through
    ``ssrf.check_url`` (``Refused`` / ``Unresolvable`` come out of ``send`` as they
    are), and connects only to the addresses that check returned.

    ``allowed=None`` pins without guarding (every address allowed).
    """

    def __init__(
        self,
        allowed: ssrf.Allowed | None,
        resolve: ssrf.Resolver = ssrf.default_resolver,
        **options: Any,
    ) -> None:
        self.allowed = EVERYWHERE if allowed is None else allowed
        self.resolve = resolve
        super().__init__(**options)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)
        _pin(self.poolmanager)

    def addresses(self, url: str) -> list[str]:
        """The checked addresses ``url``'s host resolves to (once, within the deadline)."""
        return check_url(url, self.allowed, self.resolve)

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        pool_kwargs["pinned_addresses"] = tuple(self.addresses(request.url or ""))
        return host_params, pool_kwargs

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        # Never through a proxy: it would resolve the name itself.
        return super().send(
            request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=None
        )


def outbound_session(
    allowed: ssrf.Allowed | None,
    resolve: ssrf.Resolver = ssrf.default_resolver,
    *,
    pool_maxsize: int = 32,
) -> requests.Session:
    """A session for calls to configured URLs: every request checked against
    ``allowed`` and pinned to the addresses checked (see :class:`PinnedAdapter`),
    interruptible by :func:`deadline`, never through a proxy from the environment.

    Thread-safe for concurrent requests; ``pool_maxsize`` connections are kept alive
    per host and address set.
    """
    session = requests.Session()
    session.trust_env = False
    adapter = PinnedAdapter(allowed, resolve, pool_connections=64, pool_maxsize=pool_maxsize)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# -- the deliveries' lean path ----------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What a receiver answered: its status, its ``Retry-After`` and the start of its body."""

    status: int
    retry_after: str | None
    excerpt: bytes


class Sender:
    """One request at a time per thread, on the same pinned pools and deadline as
    :func:`outbound_session`, without requests' per-call machinery.

    Deliveries are the hub's one outbound path that runs hundreds of times a second, and
    there requests costs more CPU than the rest of an attempt: merging settings,
    preparing the request again, cookies, building a response (1.7 to 2.0 ms of CPU a
    call against 0.7 ms for the same request through its urllib3 pool; docs/benchmarks.md's
    deliveries bench). A delivery needs none of it: no cookies, no proxies, no
    redirects, no authentication, a body already encoded. Everything that makes an
    outbound call safe lives below requests, in the pinned connections and the
    deadline, so it holds here unchanged. Thread-safe.
    """

    def __init__(
        self,
        allowed: ssrf.Allowed | None,
        resolve: ssrf.Resolver = ssrf.default_resolver,
        *,
        pool_maxsize: int = 32,
        ca_certs: str = DEFAULT_CA_BUNDLE_PATH,
    ) -> None:
        self.allowed = EVERYWHERE if allowed is None else allowed
        self.resolve = resolve
        # Certificates are checked against the bundle requests uses, unless told.
        self._manager = PoolManager(
            num_pools=64, maxsize=pool_maxsize, cert_reqs="CERT_REQUIRED", ca_certs=ca_certs
        )
        _pin(self._manager)

    def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
        read_at_most: int,
    ) -> Answer:
        """Make the request (never following a redirect: it is the receiver's answer)
        and read at most ``read_at_most`` bytes of the body, decoded.

        Raises ``Refused`` / ``Unresolvable`` from the check, and urllib3's errors
        (:func:`describe` says them in a sentence)."""
        addresses = check_url(url, self.allowed, self.resolve)
        parts = parse_url(url)
        pool = self._manager.connection_from_host(
            parts.host,
            parts.port,
            parts.scheme or "http",
            pool_kwargs={"pinned_addresses": tuple(addresses)},
        )
        response = pool.urlopen(
            method,
            parts.request_uri,
            body=body,
            headers={"Accept": "*/*", **headers},
            retries=False,
            redirect=False,
            assert_same_host=False,
            timeout=Timeout(connect=timeout, read=timeout),
            preload_content=False,
        )
        try:
            excerpt = response.read(read_at_most, decode_content=True) or b""
        finally:
            # An answer read to its end went back to the pool already; one that was
            # not is cut off here, so its rest is never taken for the next answer.
            response.close()
            response.release_conn()
        return Answer(response.status, response.headers.get("Retry-After"), excerpt)


@functools.lru_cache(maxsize=16)
def shared_sender(allowed: ssrf.Allowed, resolve: ssrf.Resolver) -> Sender:
    """One sender per allow-list and resolver, kept for its keep-alive pools."""
    return Sender(allowed, resolve)


def describe(exc: Exception, timeout: float) -> str:
    """A failed request in one line an operator reads on the delivery's page: the kind
    of failure, then what happened."""
    if isinstance(exc, DeadlineExceeded):
        return f"DeadlineExceeded: {exc}"
    if isinstance(exc, ssrf.Unresolvable):
        return f"Unresolvable: {exc}"
    if isinstance(exc, _CouldNotConnect):
        return f"ConnectionError: {exc.sentence}"
    if isinstance(exc, ConnectTimeoutError):
        return f"ConnectTimeout: no connection within {timeout:g} s"
    if isinstance(exc, ReadTimeoutError):
        return f"ReadTimeout: no answer within {timeout:g} s"
    if isinstance(exc, SSLError):
        return f"SSLError: the TLS handshake failed ({_reason(exc)})"
    if isinstance(exc, ProtocolError):
        return f"ConnectionError: the connection broke before a complete answer ({_reason(exc)})"
    if isinstance(exc, LocationParseError):
        return "InvalidURL: the URL could not be parsed"
    if isinstance(exc, ValueError):
        # http.client's own words would quote the value, which may be a signature.
        return "InvalidRequest: a header name or value holds characters HTTP does not allow"
    return f"{type(exc).__name__}: {_reason(exc)}"


def _reason(exc: BaseException) -> str:
    """The innermost cause's own words, not the repr of the objects wrapped around it."""
    for arg in reversed(exc.args):
        if isinstance(arg, BaseException):
            return _reason(arg)
    return str(getattr(exc, "strerror", None) or exc) or type(exc).__name__
