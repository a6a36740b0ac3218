"""Run the periodic work (the delivery sweep, Keitaro sync scheduling) every few seconds
in one process of the deployment.

With Redis, each candidate process (every RQ worker runs one) takes a short Redis lock
before sweeping, so one sweep runs per interval however many workers there are. Without
Redis (the embedded default) each web process sweeps its own database; sweeping twice is
harmless (sending claims a lease, planning is idempotent), only wasted.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
LOCK_KEY = "pbhub:sweeper"
INTERVAL_SECONDS = 2.0


class Sweeper:
    def __init__(self, app: Flask, interval: float = INTERVAL_SECONDS) -> None:
        self._app = app
        self.interval = interval
        url = app.config.get("REDIS_URL")
        self._redis = Redis.from_url(url, socket_timeout=2) if url else None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="pbhub-sweeper", daemon=True)
            self._thread.start()

    def _elected(self) -> bool:
        if self._redis is None:
            return True
        try:
            return bool(self._redis.set(LOCK_KEY, "1", nx=True, px=int(self.interval * 900)))
        except RedisError:
            log.warning("sweeper: Redis unreachable; skipping this round")
            return False

    def _run(self) -> None:
        from app.jobs.periodic import tick

        while not self._stop.wait(self.interval):
            if not self._elected():
                continue
            try:
                with self._app.app_context():
                    tick()
            except Exception:
                log.exception("sweeper: a round failed; trying again in %.0f s", self.interval)
