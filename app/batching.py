"""Hand work to a background thread that does it in batches.

Used where a request should not wait for a slow, batchable write whose loss on a crash
is bounded and acceptable: click rows (attribution never needs them) and RQ enqueues
(after the conversion is committed). Items wait at most ``interval`` seconds, or less
when ``batch_size`` are pending; ``flush()`` does it now (tests, shutdown).
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class Batcher:
    def __init__(
        self,
        name: str,
        write: Callable[[list[Any]], None],
        *,
        batch_size: int,
        interval: float,
        max_pending: int = 100_000,
    ) -> None:
        self.name = name
        self.batch_size = batch_size
        self.interval = interval
        self._write = write
        self._max_pending = max_pending
        self._pending: list[Any] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        atexit.register(self._flush_at_exit)

    def add(self, item: Any) -> None:
        with self._lock:
            if len(self._pending) >= self._max_pending:
                log.warning(
                    "%s: %d items waiting; dropping the oldest", self.name, len(self._pending)
                )
                del self._pending[: self.batch_size]
            self._pending.append(item)
            full = len(self._pending) >= self.batch_size
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
        if full:
            self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:
                log.exception("%s: writing a batch failed; will retry", self.name)
                self._wake.wait(min(5.0, self.interval * 10))

    def flush(self) -> int:
        """Write everything pending now; on failure the items stay queued and it raises."""
        with self._flush_lock:
            with self._lock:
                items, self._pending = self._pending, []
            if not items:
                return 0
            try:
                self._write(items)
            except Exception:
                with self._lock:
                    self._pending[:0] = items
                raise
            return len(items)

    def _flush_at_exit(self) -> None:
        try:
            self.flush()
        except Exception:
            log.exception("%s: could not write the last batch at exit", self.name)
