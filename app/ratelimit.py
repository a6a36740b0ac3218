"""Rate limits (per-source postbacks, rejection logging, sign-ins): "N a minute" means at
most N calls accepted for a key in any 60 seconds.

A sliding window, not a calendar minute: fixed one-minute windows let 2N through across
a boundary (N in a minute's last second, N in the next one's first). Nor a token bucket
(GCRA): one holding N and refilling N a minute accepts 2N - 1 within some 60 seconds (N at
once, then one every 60/N s), and one without that burst allowance refuses a network's
batch of postbacks arriving together.

Accepted calls are counted per key in one-second slots, the 61 that a 60-second window
ending now touches; a call is accepted while they hold fewer than N, and a refused call
counts for nothing. Whole slots err on the safe side: a call may be refused up to a
second longer than a log of every call would refuse it, never accepted early. A key
costs 61 counters whatever its limit (limits go up to a million a minute, too many to log
each call).

With Redis the counts are shared by every web process on every host: one hash per key,
read and written by one Lua script on Redis's clock, so hosts whose clocks disagree
still share one window. Without Redis they live in this process, which is exact for the
embedded single-process default (with several gunicorn workers and no Redis, each
worker counts on its own).
"""

from __future__ import annotations

import math
import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable

from flask import Flask
from redis.exceptions import RedisError

WINDOW_SECONDS = 60
#: One-second slots a window ending now touches: the current one and the 60 before.
SLOTS = WINDOW_SECONDS + 1
#: Keys an in-memory limiter remembers; past that it forgets the least recently used.
MAX_KEYS = 10_000
REDIS_PREFIX = "pbhub:ratelimit:"


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise ValueError(f"a rate limit allows at least one call, not {limit}")


class _Slots:
    """One key's accepted calls in its last ``SLOTS`` seconds, as a ring of counters."""

    __slots__ = ("counts", "newest")

    def __init__(self, slot: int) -> None:
        self.counts = array("I", bytes(4 * SLOTS))
        self.newest = slot

    def move_to(self, slot: int) -> None:
        """Empty the seconds that left the window. A clock that stepped back forgets the
        seconds after ``slot`` rather than refusing until it has caught up again."""
        if slot > self.newest:
            stale = range(max(self.newest + 1, slot - SLOTS + 1), slot + 1)
        else:
            stale = range(max(slot + 1, self.newest - SLOTS + 1), self.newest + 1)
        for gone in stale:
            self.counts[gone % SLOTS] = 0
        self.newest = slot

    def wait(self, limit: int, now: float) -> float:
        """Seconds from ``now`` until a call would be accepted (0: at once)."""
        used = sum(self.counts)
        if used < limit:
            return 0.0
        excess = used - limit + 1
        for slot in range(self.newest - SLOTS + 1, self.newest + 1):
            excess -= self.counts[slot % SLOTS]
            if excess <= 0:
                return slot + SLOTS - now
        raise AssertionError("unreachable: the counts sum to at least the limit")


class MemoryLimiter:
    """This process's counts, thread-safe, remembering at most ``max_keys`` keys: a
    flood of one-off keys (made-up tokens from many addresses) evicts the quietest key
    rather than growing without bound. Its clock is monotonic unless one is given."""

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, max_keys: int = MAX_KEYS
    ) -> None:
        self._clock = clock
        self._max_keys = max_keys
        self._keys: OrderedDict[str, _Slots] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str, limit: int, now: float | None = None) -> bool:
        """Count this call for ``key`` if fewer than ``limit`` were accepted in the last
        60 seconds; ``now`` replaces the limiter's clock (tests)."""
        return self.take(key, limit, now) == 0

    def take(self, key: str, limit: int, now: float | None = None) -> int:
        """As ``allow``, answering 0 when the call is counted and otherwise the whole
        seconds until one would be: a refusal and its Retry-After in one step."""
        return math.ceil(self._check(key, limit, now, take=True))

    def retry_after(self, key: str, limit: int, now: float | None = None) -> int:
        """Whole seconds (rounded up) until ``allow`` would accept a call for ``key``, as
        a Retry-After header says it; 0 when it would now. Counts nothing."""
        return math.ceil(self._check(key, limit, now, take=False))

    def _check(self, key: str, limit: int, now: float | None, *, take: bool) -> float:
        _check_limit(limit)
        # The clock is read under the lock so that calls are counted in time order.
        with self._lock:
            now = self._clock() if now is None else now
            slot = math.floor(now)
            slots = self._keys.get(key)
            if slots is None:
                if not take:
                    return 0.0
                slots = self._keys[key] = _Slots(slot)
                while len(self._keys) > self._max_keys:
                    self._keys.popitem(last=False)
            else:
                self._keys.move_to_end(key)
            slots.move_to(slot)
            wait = slots.wait(limit, now)
            if take and wait == 0:
                slots.counts[slot % SLOTS] += 1
            return wait


#: The counts of one key: a hash of second -> calls accepted in it. ARGV: the limit,
#: "1" to count the call if accepted, the moment (empty: Redis's clock). Returns the
#: seconds until a call would be accepted, as a string ("0": it was); mirrors ``_Slots``.
_SCRIPT = """
local limit, take, now = tonumber(ARGV[1]), ARGV[2] == '1', tonumber(ARGV[3])
if not now then
  local clock = redis.call('TIME')
  now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
end
local slot = math.floor(now)
local counts = redis.call('HGETALL', KEYS[1])
local live, used = {}, 0
for i = 1, #counts, 2 do
  local second, n = tonumber(counts[i]), tonumber(counts[i + 1])
  if second <= slot - tonumber(ARGV[4]) or second > slot then
    redis.call('HDEL', KEYS[1], counts[i])
  else
    live[#live + 1] = {second, n}
    used = used + n
  end
end
if used < limit then
  if take then
    redis.call('HINCRBY', KEYS[1], string.format('%d', slot), 1)
    redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
  end
  return '0'
end
table.sort(live, function(a, b) return a[1] < b[1] end)
local excess = used - limit + 1
for _, entry in ipairs(live) do
  excess = excess - entry[2]
  if excess <= 0 then
    -- Never '0' for a refusal: a wait shorter than the format shows still is one.
    return string.format('%.6f', math.max(entry[1] + tonumber(ARGV[4]) - now, 0.000001))
  end
end
"""


class RedisLimiter:
    """Counts shared through Redis by every process on every host."""

    def __init__(self, url: str) -> None:
        from redis import Redis

        # Short timeouts: with Redis unreachable the limiter lets postbacks through rather
        # than making every one of them wait.
        self._redis = Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
        self._script = self._redis.register_script(_SCRIPT)

    def allow(self, key: str, limit: int, now: float | None = None) -> bool:
        """As ``MemoryLimiter.allow``, on Redis's clock unless ``now`` is given; raises
        ``RedisError`` when Redis is unreachable (the caller decides what that means)."""
        return self.take(key, limit, now) == 0

    def take(self, key: str, limit: int, now: float | None = None) -> int:
        """As ``MemoryLimiter.take``; raises ``RedisError`` as ``allow`` does."""
        return math.ceil(self._check(key, limit, now, take=True))

    def retry_after(self, key: str, limit: int, now: float | None = None) -> int:
        """As ``MemoryLimiter.retry_after``. Only a hint for an answer already decided,
        so with Redis unreachable it says a whole window rather than failing."""
        try:
            return math.ceil(self._check(key, limit, now, take=False))
        except RedisError:
            return WINDOW_SECONDS

    def _check(self, key: str, limit: int, now: float | None, *, take: bool) -> float:
        _check_limit(limit)
        moment = "" if now is None else repr(float(now))
        wait = self._script(
            keys=[REDIS_PREFIX + key], args=[limit, "1" if take else "0", moment, SLOTS]
        )
        return float(wait)


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    app.extensions["pbhub.limiter"] = RedisLimiter(url) if url else MemoryLimiter()


def get_limiter(app: Flask) -> MemoryLimiter | RedisLimiter:
    return app.extensions["pbhub.limiter"]
