"""Click rows, written in batches off the redirect's path.

A redirect must answer in well under a millisecond of our own time, and one INSERT with
a commit per click costs more than the rest of the request. Clicks are queued in memory
and written by a background thread in batches (every ``PBHUB_CLICK_FLUSH_SECONDS`` or
``PBHUB_CLICK_BATCH`` rows, and at exit). Attribution never waits for them: the ``_cid``
token verifies on its own. ``PBHUB_CLICK_BATCH=0`` writes each click before answering.
"""

from __future__ import annotations

import atexit
import logging
import threading
from typing import Any

from flask import Flask
from sqlalchemy import insert

from app.extensions import db
from app.models import Click

log = logging.getLogger(__name__)

MAX_PENDING = 100_000


class ClickRecorder:
    def __init__(self, app: Flask) -> None:
        self._app = app
        self.batch_size: int = app.config["PBHUB_CLICK_BATCH"]
        self.interval: float = app.config["PBHUB_CLICK_FLUSH_SECONDS"]
        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        atexit.register(self.flush)

    def record(self, row: dict[str, Any]) -> None:
        if self.batch_size <= 0:
            db.session.execute(insert(Click), [row])
            db.session.commit()
            return
        with self._lock:
            if len(self._pending) >= MAX_PENDING:
                log.warning("click buffer full (%d rows); dropping the oldest", MAX_PENDING)
                del self._pending[: self.batch_size]
            self._pending.append(row)
            size = len(self._pending)
        self._ensure_thread()
        if size >= self.batch_size:
            self._wake.set()

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="pbhub-clicks", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:
                log.exception("writing buffered clicks failed; will retry")

    def flush(self) -> int:
        """Write every pending click now; returns how many were written."""
        with self._flush_lock:
            with self._lock:
                rows, self._pending = self._pending, []
            if not rows:
                return 0
            try:
                with self._app.app_context():
                    db.session.execute(insert(Click), rows)
                    db.session.commit()
            except Exception:
                with self._lock:
                    self._pending[:0] = rows
                raise
            return len(rows)


def init_app(app: Flask) -> None:
    app.extensions["pbhub.clicks"] = ClickRecorder(app)


def get_recorder(app: Flask) -> ClickRecorder:
    return app.extensions["pbhub.clicks"]
