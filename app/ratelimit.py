"""Per-source postback rate limits: fixed one-minute windows.

With Redis the counters are shared by every web process on every host; without it they
live in each process, which is exact for the embedded single-process default (with
several gunicorn workers and no Redis, each worker counts on its own).
"""

from __future__ import annotations

import threading
import time

from flask import Flask

WINDOW_SECONDS = 60


class MemoryLimiter:
    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, limit: int, now: float | None = None) -> bool:
        window = int((now if now is not None else time.time()) // WINDOW_SECONDS)
        with self._lock:
            if len(self._counts) > 10_000:
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= window}
            count = self._counts.get((key, window), 0) + 1
            self._counts[(key, window)] = count
        return count <= limit


class RedisLimiter:
    def __init__(self, url: str) -> None:
        from redis import Redis

        # Short timeouts: with Redis unreachable the limiter lets postbacks through rather
        # than making every one of them wait.
        self._redis = Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)

    def allow(self, key: str, limit: int, now: float | None = None) -> bool:
        window = int((now if now is not None else time.time()) // WINDOW_SECONDS)
        redis_key = f"pbhub:rate:{key}:{window}"
        pipe = self._redis.pipeline()
        pipe.incr(redis_key)
        pipe.expire(redis_key, WINDOW_SECONDS * 2)
        count, _ = pipe.execute()
        return int(count) <= limit


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    app.extensions["pbhub.limiter"] = RedisLimiter(url) if url else MemoryLimiter()


def get_limiter(app: Flask) -> MemoryLimiter | RedisLimiter:
    return app.extensions["pbhub.limiter"]
