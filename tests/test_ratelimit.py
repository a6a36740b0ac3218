"""Rate limits: "N a minute" means at most N accepted in any 60 seconds, on Redis (shared by
every process on every host) and in memory (one process), the same way."""

from __future__ import annotations

import threading
import uuid
from bisect import bisect_right

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.ratelimit import WINDOW_SECONDS, MemoryLimiter, RedisLimiter
from tests.conftest import redis_url

#: A minute boundary, where fixed one-minute windows would start counting again.
MINUTE = 1_800_000_060.0


@pytest.fixture(params=["memory", "redis"])
def limiter(request):
    return MemoryLimiter() if request.param == "memory" else RedisLimiter(redis_url())


def new_key() -> str:
    return f"test:{uuid.uuid4().hex}"


def most_in_any_window(accepted: list[float]) -> int:
    """The most of these (sorted) moments that fall within one 60-second window."""
    return max(
        (i + 1 - bisect_right(accepted, t - WINDOW_SECONDS) for i, t in enumerate(accepted)),
        default=0,
    )


def test_a_burst_straddling_a_minute_boundary_accepts_no_more_than_the_limit(limiter):
    key = new_key()
    arrivals = [MINUTE - 1.1 + i * 0.022 for i in range(100)]  # 2.2 s across the boundary
    accepted = [t for t in arrivals if limiter.allow(key, 50, now=t)]
    assert len(accepted) == 50


def test_a_spent_budget_comes_back_once_a_minute_has_passed(limiter):
    key = new_key()
    assert [limiter.allow(key, 3, now=1000.2) for _ in range(4)] == [True, True, True, False]
    assert not limiter.allow(key, 3, now=1059.9)
    assert limiter.allow(key, 3, now=1061.0)


def test_refused_calls_do_not_consume_the_budget(limiter):
    key = new_key()
    assert limiter.allow(key, 2, now=0.0)
    assert limiter.allow(key, 2, now=30.0)
    assert not any(limiter.allow(key, 2, now=45.0) for _ in range(10))
    assert limiter.allow(key, 2, now=61.0)


def test_retry_after_is_the_wait_until_the_next_call_is_accepted(limiter):
    key = new_key()
    assert limiter.allow(key, 2, now=10.5)
    assert limiter.allow(key, 2, now=40.2)
    assert limiter.retry_after(key, 2, now=50.0) == 21
    assert limiter.retry_after(key, 2, now=50.4) == 21  # 20.6 s, in whole seconds
    assert not limiter.allow(key, 2, now=70.9)
    assert limiter.retry_after(key, 2, now=71.0) == 0
    assert limiter.allow(key, 2, now=71.0)


def test_taking_a_call_answers_zero_or_the_wait_in_one_step(limiter):
    key = new_key()
    assert limiter.take(key, 1, now=10.5) == 0
    assert limiter.take(key, 1, now=40.2) == 31
    assert limiter.take(key, 1, now=71.0) == 0


def test_asking_for_the_wait_consumes_nothing(limiter):
    key = new_key()
    assert limiter.retry_after(key, 1, now=5.0) == 0
    assert limiter.allow(key, 1, now=5.0)


def test_a_clock_that_steps_back_forgets_the_later_seconds_rather_than_lock_a_key_out(limiter):
    key = new_key()
    assert limiter.allow(key, 1, now=5000.0)
    assert limiter.allow(key, 1, now=1400.0)
    assert not limiter.allow(key, 1, now=1401.0)


def test_two_limiters_sharing_redis_hold_the_limit_together():
    """Two web processes, possibly on two hosts, against one Redis."""
    web_a, web_b = RedisLimiter(redis_url()), RedisLimiter(redis_url())
    key = new_key()
    arrivals = [MINUTE - 1.0 + i * 0.1 for i in range(20)]
    accepted = [t for i, t in enumerate(arrivals) if (web_a, web_b)[i % 2].allow(key, 5, now=t)]
    assert accepted == arrivals[:5]


def test_redis_limits_run_on_the_servers_clock():
    """Without an injected moment every process reads Redis's clock, so hosts whose
    clocks disagree still share one window."""
    limiter = RedisLimiter(redis_url())
    key = new_key()
    assert limiter.allow(key, 1)
    assert not limiter.allow(key, 1)
    assert 59 < limiter.retry_after(key, 1) <= 61


def test_the_in_memory_limiter_counts_exactly_across_threads():
    limiter = MemoryLimiter()
    accepted = []

    def hammer() -> None:
        accepted.extend(ok for ok in (limiter.allow("k", 300, now=7.0) for _ in range(100)) if ok)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(accepted) == 300


def test_the_in_memory_limiter_forgets_the_least_recently_used_keys_past_its_bound():
    limiter = MemoryLimiter(max_keys=3)
    for n in range(10):
        assert limiter.allow(f"k{n}", 1, now=0.0)
    assert not limiter.allow("k9", 1, now=1.0)
    assert limiter.allow("k0", 1, now=1.0)


arrival_gaps = st.lists(
    st.floats(min_value=0, max_value=30, allow_nan=False, allow_infinity=False), max_size=120
)


def arrivals_from(start: float, gaps: list[float]) -> list[float]:
    moments, t = [], start
    for gap in gaps:
        t += gap
        moments.append(t)
    return moments


# Each example uses a key of its own, so sharing one limiter between examples is sound.
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(gaps=arrival_gaps, limit=st.integers(min_value=1, max_value=12), start=st.floats(0, 1e9))
def test_no_60_seconds_ever_hold_more_than_the_limit(limiter, gaps, limit, start):
    key = new_key()
    accepted = [t for t in arrivals_from(start, gaps) if limiter.allow(key, limit, now=t)]
    assert most_in_any_window(accepted) <= limit


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(gaps=arrival_gaps, limit=st.integers(min_value=1, max_value=12), start=st.floats(0, 1e9))
def test_a_call_is_refused_only_when_the_limit_was_reached_in_the_last_61_seconds(
    limiter, gaps, limit, start
):
    """Counting by whole seconds errs on the safe side by at most one second."""
    key = new_key()
    accepted: list[float] = []
    for t in arrivals_from(start, gaps):
        if limiter.allow(key, limit, now=t):
            accepted.append(t)
        else:
            assert len(accepted) - bisect_right(accepted, t - WINDOW_SECONDS - 1) >= limit


def test_a_429_says_how_many_seconds_until_the_next_postback_is_accepted(app, client, make_source):
    clock = [1000.2]
    app.extensions["pbhub.limiter"] = MemoryLimiter(clock=lambda: clock[0])
    source = make_source(rate_limit_per_minute=2)
    codes = [
        client.get(source["postback_path"], query_string={"transaction_id": n}).status_code
        for n in "ab"
    ]
    assert codes == [200, 200]
    clock[0] = 1030.5
    answer = client.get(source["postback_path"], query_string={"transaction_id": "c"})
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "31"  # the two leave the window at 1061


def test_a_call_a_hair_inside_the_window_is_refused(limiter):
    """The wait left is far below a microsecond: still a wait, not an acceptance."""
    key = new_key()
    assert limiter.allow(key, 1, now=1.9999999999999964)
    assert not limiter.allow(key, 1, now=61.99999999999999)
    assert limiter.allow(key, 1, now=62.0)
