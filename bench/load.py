"""An HTTP/1.1 load generator on asyncio with raw keep-alive connections.

Why a home-made one: the benchmark must run wherever the app runs, with no system
package (no ``wrk``), and the client must be cheap per request, because on a small
machine it shares the CPUs with the server it measures. It speaks just enough HTTP/1.1
for our answers (a status line, ``Content-Length`` bodies, ``Connection: close``) and
never follows a redirect: a 302 is a success like any 2xx.

Two modes:

* ``max``, a closed loop: every connection sends its next request as soon as the answer
  to the previous one arrives. Its throughput is the maximum the server sustains.
* ``rate``, an open loop: requests fall due at a fixed rate whatever the server does, a
  free connection takes the oldest due request, and latency runs from the time the
  request fell due, not from when it was sent (as wrk2 does). A server that stalls is
  charged for the queue it causes, so there is no coordinated omission.

Every connection is reopened, between two requests, after about ``REOPEN_SECONDS``. A
keep-alive connection stays with the gunicorn worker that accepted it, and connections
opened all at once can all land on one worker: the other then idles and the throughput
halves, at random from one run to the next. Reopening at staggered times lets the kernel
spread them again and again, as the many short-lived connections of real traffic are.

Run it as ``python -m bench.load``: a JSON spec (see ``Spec``) on stdin, a JSON result
on stdout. The benchmark starts it as a separate process so that it has its own GIL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import resource
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

RECENT_IDS = 1000
CONNECT_TIMEOUT = 5.0
REOPEN_SECONDS = 0.5


class ProtocolError(Exception):
    """The server answered something this client does not parse."""


@dataclass(frozen=True)
class PostbackMix:
    """How to vary ``/pb`` requests: fresh transaction ids with repeats mixed in."""

    click_ids: list[str]
    duplicate_share: float
    id_prefix: str


@dataclass(frozen=True)
class Spec:
    """One load phase, as the benchmark sends it (JSON on stdin)."""

    host: str
    port: int
    path: str
    mode: str  # "max" or "rate"
    seconds: float
    connections: int
    warmup: float = 0.0
    rate: float = 0.0
    timeout: float = 10.0
    postback: PostbackMix | None = None
    #: Visitor addresses sent as ``X-Forwarded-For``, one per request in turn (a hub
    #: behind a trusted proxy looks each click's country up from it).
    forwarded_for: list[str] | None = None

    @classmethod
    def from_json(cls, text: str) -> Spec:
        data = json.loads(text)
        mix = data.pop("postback", None)
        spec = cls(**data, postback=PostbackMix(**mix) if mix else None)
        if spec.mode not in ("max", "rate"):
            raise ValueError(f"mode must be 'max' or 'rate', got {spec.mode!r}")
        if spec.mode == "rate" and spec.rate <= 0:
            raise ValueError("mode 'rate' needs a positive rate")
        return spec


class Requests:
    """The encoded requests for one target: the same bytes, or a postback mix.

    A postback carries a fresh transaction id, or with probability ``duplicate_share``
    repeats one of the last ``RECENT_IDS`` sent (same click id too, as a network's retry
    would), so the app's duplicate path gets its share of the load.
    """

    def __init__(self, spec: Spec, seed: int | None = None) -> None:
        self._head = f"Host: {spec.host}:{spec.port}\r\nUser-Agent: pbhub-bench\r\n\r\n"
        self._path = spec.path
        self._mix = spec.postback
        self._fixed = self._encode(spec.path)
        self._forwarded = [
            f"GET {spec.path} HTTP/1.1\r\nX-Forwarded-For: {address}\r\n{self._head}".encode()
            for address in spec.forwarded_for or ()
        ]
        self._random = random.Random(seed)
        self._recent: list[tuple[str, str]] = []
        self._count = 0

    def _encode(self, target: str) -> bytes:
        return f"GET {target} HTTP/1.1\r\n{self._head}".encode("ascii")

    def next(self) -> bytes:
        mix = self._mix
        if self._forwarded:
            self._count += 1
            return self._forwarded[self._count % len(self._forwarded)]
        if mix is None:
            return self._fixed
        if self._recent and self._random.random() < mix.duplicate_share:
            transaction_id, click_id = self._random.choice(self._recent)
        else:
            self._count += 1
            transaction_id = f"{mix.id_prefix}{self._count}"
            click_id = mix.click_ids[self._count % len(mix.click_ids)]
            if len(self._recent) < RECENT_IDS:
                self._recent.append((transaction_id, click_id))
            else:
                self._recent[self._count % RECENT_IDS] = (transaction_id, click_id)
        query = f"click_id={click_id}&event=reg&payout=1.5&transaction_id={transaction_id}"
        return self._encode(f"{self._path}?{query}")


class Connection(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._waiter: asyncio.Future[int] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._head: tuple[int, int, bool] | None = None  # status, response size, keep-alive
        self.open = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self.open = True

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        self._fail(ConnectionResetError("the server closed the connection"))

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._waiter is not None:
            try:
                self._parse()
            except (ValueError, ProtocolError) as exc:
                self._fail(ProtocolError(str(exc)))

    def send(self, payload: bytes, timeout: float) -> asyncio.Future[int]:
        """Write one request; the future gets the answer's status code."""
        assert self._transport is not None
        self._waiter = self._loop.create_future()
        self._head = None
        self._timer = self._loop.call_later(timeout, self._fail, TimeoutError("no answer"))
        self._transport.write(payload)
        return self._waiter

    def close(self) -> None:
        self.open = False
        if self._transport is not None:
            self._transport.close()

    def _parse(self) -> None:
        if self._head is None:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self._buffer[:end]).lower()
            if not head.startswith(b"http/1."):
                raise ProtocolError("not an HTTP/1.x answer")
            length = 0
            start = head.find(b"\r\ncontent-length:")
            if start >= 0:
                stop = head.find(b"\r\n", start + 2)
                length = int(head[start + 17 : stop if stop >= 0 else len(head)])
            elif b"\r\ntransfer-encoding:" in head:
                raise ProtocolError("chunked answers are not supported")
            keep_alive = b"\r\nconnection: close" not in head
            self._head = (int(head[9:12]), end + 4 + length, keep_alive)
        status, size, keep_alive = self._head
        if len(self._buffer) < size:
            return
        del self._buffer[:size]
        waiter, self._waiter = self._waiter, None
        self._cancel_timer()
        if not keep_alive:
            self.close()
        if waiter is not None and not waiter.done():
            waiter.set_result(status)

    def _fail(self, exc: Exception) -> None:
        self._cancel_timer()
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            self.close()
            waiter.set_exception(exc)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class Link:
    """A connection slot: reconnects after a failure, reopens when its time is up."""

    def __init__(self, spec: Spec) -> None:
        self._spec = spec
        self._connection: Connection | None = None
        self._expires = 0.0

    async def connect(self) -> Connection:
        loop = asyncio.get_running_loop()
        _, connection = await asyncio.wait_for(
            loop.create_connection(lambda: Connection(loop), self._spec.host, self._spec.port),
            CONNECT_TIMEOUT,
        )
        self._connection = connection
        self._expires = loop.time() + REOPEN_SECONDS * random.uniform(0.5, 1.5)
        return connection

    async def exchange(self, payload: bytes) -> int | str:
        """The answer's status code, or why there was none ("timeout", "connection", ...)."""
        try:
            connection = self._connection
            if connection is None or not connection.open:
                connection = await self.connect()
            return await connection.send(payload, self._spec.timeout)
        except TimeoutError:
            reason = "timeout"
        except ProtocolError:
            reason = "protocol"
        except OSError:
            reason = "connection"
        self.close()
        return reason

    async def refresh(self) -> None:
        """Reopen the connection if its time is up; called between two requests."""
        if asyncio.get_running_loop().time() < self._expires:
            return
        self.close()
        with contextlib.suppress(OSError):  # the next exchange retries and counts it
            await self.connect()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


@dataclass
class Tally:
    """Answers in the measured window: successes with their latency, failures by reason."""

    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    def add(self, outcome: int | str, latency: float) -> None:
        if isinstance(outcome, int) and 200 <= outcome < 400:
            self.ok += 1
            self.latencies.append(latency)
        else:
            self.errors[f"HTTP {outcome}" if isinstance(outcome, int) else outcome] += 1


def percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile of sorted values (``share`` in 0..1); NaN when empty."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def summary(spec: Spec, tally: Tally, seconds: float, cpu: float, answered: int) -> dict[str, Any]:
    ordered = sorted(tally.latencies)
    return {
        "mode": spec.mode,
        "ok": tally.ok,
        "errors": dict(tally.errors),
        "seconds": seconds,
        "rps": tally.ok / seconds if seconds > 0 else 0.0,
        "rate": spec.rate,
        "p50_ms": percentile(ordered, 0.50) * 1000,
        "p90_ms": percentile(ordered, 0.90) * 1000,
        "p99_ms": percentile(ordered, 0.99) * 1000,
        "max_ms": (ordered[-1] if ordered else math.nan) * 1000,
        "client_cpu": cpu / seconds if seconds > 0 else 0.0,
        "answered": answered,
    }


async def connected_links(spec: Spec) -> list[Link]:
    links = [Link(spec) for _ in range(spec.connections)]
    await asyncio.gather(*(link.connect() for link in links))
    return links


async def closed_loop(spec: Spec, requests: Requests) -> dict[str, Any]:
    """Send back to back on every connection; count answers inside the measured window."""
    loop = asyncio.get_running_loop()
    links = await connected_links(spec)
    tally = Tally()
    answered = 0
    measure_from = loop.time() + spec.warmup
    stop = measure_from + spec.seconds
    cpu_marks: list[float] = []
    loop.call_at(measure_from, lambda: cpu_marks.append(cpu_seconds()))
    loop.call_at(stop, lambda: cpu_marks.append(cpu_seconds()))

    async def drive(link: Link) -> None:
        nonlocal answered
        while (sent := loop.time()) < stop:
            outcome = await link.exchange(requests.next())
            done = loop.time()
            answered += 1
            if measure_from <= done <= stop:
                tally.add(outcome, done - sent)
            await link.refresh()
        link.close()

    await asyncio.gather(*(drive(link) for link in links))
    return summary(spec, tally, spec.seconds, cpu_marks[1] - cpu_marks[0], answered)


async def open_loop(spec: Spec, requests: Requests) -> dict[str, Any]:
    """Release requests at a fixed rate; latency counts from when each fell due."""
    loop = asyncio.get_running_loop()
    links = await connected_links(spec)
    tally = Tally()
    answered = 0
    due: asyncio.Queue[float] = asyncio.Queue()

    async def drive(link: Link) -> None:
        nonlocal answered
        while True:
            intended = await due.get()
            outcome = await link.exchange(requests.next())
            answered += 1
            tally.add(outcome, loop.time() - intended)
            due.task_done()
            await link.refresh()

    workers = [asyncio.create_task(drive(link)) for link in links]
    total = max(1, round(spec.rate * spec.seconds))
    interval = 1.0 / spec.rate
    start = loop.time()
    cpu_start = cpu_seconds()
    released = 0
    while released < total:
        now = loop.time()
        while released < total and start + released * interval <= now:
            due.put_nowait(start + released * interval)
            released += 1
        if released < total:
            await asyncio.sleep(start + released * interval - loop.time())
    try:
        await asyncio.wait_for(due.join(), spec.timeout)
    except TimeoutError:
        tally.errors["unanswered at the end"] += total - answered
    cpu = cpu_seconds() - cpu_start
    for worker in workers:
        worker.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    for link in links:
        link.close()
    return summary(spec, tally, spec.seconds, cpu, answered)


async def run(spec: Spec) -> dict[str, Any]:
    requests = Requests(spec)
    if spec.mode == "max":
        return await closed_loop(spec, requests)
    return await open_loop(spec, requests)


def main() -> int:
    spec = Spec.from_json(sys.stdin.read())
    try:
        result = asyncio.run(run(spec))
    except OSError as exc:
        print(f"cannot connect to {spec.host}:{spec.port}: {exc}", file=sys.stderr)
        return 1
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
