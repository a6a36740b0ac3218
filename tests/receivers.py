"""Receivers on loopback whose behaviour a test sets and changes: the answer's status,
a delay, or hanging until released; each notes what arrived and how many were in
flight at once."""

from __future__ import annotations

import http.server
import threading
import time
from typing import Any


class Gauge:
    """Requests in flight across several receivers, and the most seen at once."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most_at_once = 0
        self.lock = threading.Lock()

    def enter(self) -> None:
        with self.lock:
            self.in_flight += 1
            self.most_at_once = max(self.most_at_once, self.in_flight)

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1


class Receiver(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self,
        status: int = 200,
        delay: float = 0.0,
        hang: bool = False,
        gauge: Gauge | None = None,
    ) -> None:
        self.gauge = gauge or Gauge()
        self.status = status
        self.delay = delay
        self.hang = hang
        self.arrived: list[dict[str, Any]] = []
        self.in_flight = 0
        self.most_at_once = 0
        self._lock = threading.Lock()
        self._released = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes: without this, Nagle's algorithm
            # holds the body for the client's delayed ACK (40 ms on Linux).
            disable_nagle_algorithm = True

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with receiver._lock:
                    receiver.arrived.append(
                        {"path": self.path, "body": body, "at": time.monotonic()}
                    )
                    receiver.in_flight += 1
                    receiver.most_at_once = max(receiver.most_at_once, receiver.in_flight)
                receiver.gauge.enter()
                try:
                    if receiver.hang:
                        receiver._released.wait(60)
                    if receiver.delay:
                        time.sleep(receiver.delay)
                    payload = b"ok" if receiver.status < 400 else b"no"
                    self.send_response(receiver.status)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                finally:
                    receiver.gauge.leave()
                    with receiver._lock:
                        receiver.in_flight -= 1

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                """Quiet: the test output is for failures."""

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.arrived)

    def release(self) -> None:
        """Let every hanging request (and any later one) answer."""
        self.hang = False
        self._released.set()

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count >= count:
                return True
            time.sleep(0.01)
        return False

    def close(self) -> None:
        self.release()
        self.shutdown()
        self.server_close()
