"""The retry budget: what one operation (a command, a sync run) may lose to a slow or
failing tracker over all of its calls, against the fake tracker on loopback.

Deadlines are one second here; each test states how long its operation may take."""

import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug import Response
from werkzeug.wrappers import Request

from app.extensions import db
from app.jobs import keitaro as keitaro_jobs
from app.keitaro import errors
from app.keitaro.client import Keitaro
from app.keitaro.transport import Budget, Transport
from app.models import KeitaroConnection, KeitaroSyncRun
from app.models.types import utcnow
from app.services import keitaro_sync as sync
from tests.keitaro_fake import API, FakeKeitaro

DEADLINE = 1.0
#: Room for starting a command, the database and a busy machine.
MARGIN = 1.0


@dataclass
class SlowKeitaro(FakeKeitaro):
    """The fake tracker, made slow: from the ``stall_from``-th Admin API request on it
    answers nothing until the test ends, and it answers every request after ``delay``."""

    stall_from: int | None = None
    delay: float = 0.0
    served: int = 0
    released: threading.Event = field(default_factory=threading.Event)

    def _answer(self, request: Request) -> Response:
        if request.path.startswith(API + "/"):
            self.served += 1
            if self.stall_from is not None and self.served >= self.stall_from:
                self.released.wait(30)
            time.sleep(self.delay)
        return super()._answer(request)


@pytest.fixture
def fake_keitaro():
    fake = SlowKeitaro().start()
    yield fake
    fake.released.set()
    fake.stop()


@pytest.fixture
def app_config(app_config):
    app_config["PBHUB_OUTBOUND_DEADLINE"] = DEADLINE
    return app_config


@pytest.fixture
def transport(fake_keitaro):
    def make(**options: Any) -> Transport:
        options.setdefault("deadline", DEADLINE)
        return Transport(fake_keitaro.url, fake_keitaro.api_key, **options)

    return make


def elapsed(since: float) -> float:
    return time.monotonic() - since


def test_a_stalling_tracker_fails_connections_test_within_the_deadline(
    runner, fake_keitaro, keitaro_connection
):
    keitaro_connection()
    fake_keitaro.stall_from = 1
    started = time.monotonic()

    result = runner.invoke(args=["keitaro", "connections", "test"])

    assert elapsed(started) < DEADLINE + MARGIN
    assert result.exit_code == 1
    assert f"gave no answer within {DEADLINE:g} s" in result.output
    assert fake_keitaro.served == 1


def test_after_a_timeout_the_operations_next_call_is_refused_without_a_request(
    fake_keitaro, transport
):
    fake_keitaro.stall_from = 1
    tracker = transport()
    with pytest.raises(errors.Unavailable, match="gave no answer"):
        tracker.request("GET", "campaigns")
    started = time.monotonic()

    with pytest.raises(errors.Unavailable) as refused:
        tracker.request("GET", "offers")

    assert elapsed(started) < 0.1
    assert fake_keitaro.served == 1
    assert "gave up after 1 failed attempt in 1 s (the retry budget" in refused.value.message


def test_a_paged_list_stalling_on_page_two_gives_up_without_retrying_it(fake_keitaro):
    start = utcnow() - timedelta(hours=2)
    for n in range(5):
        fake_keitaro.add_click(f"p{n}", start + timedelta(minutes=n))
    fake_keitaro.stall_from = 2
    # Attempts much shorter than the deadline: without the budget, page 2 was tried
    # again and again until the deadline ran out.
    client = Keitaro(
        fake_keitaro.url, fake_keitaro.api_key, timezone="UTC", timeout=0.3, deadline=3
    )
    query = {
        "range": {"from": "2000-01-01 00:00:00", "to": "2100-01-01 00:00:00", "timezone": "UTC"},
        "columns": ["sub_id", "datetime"],
        "sort": [{"name": "datetime", "order": "ASC"}],
    }
    started = time.monotonic()

    with pytest.raises(errors.Unavailable, match=r"gave no answer within 0\.3 s"):
        list(client.clicks.iter_log(query, page_size=2))

    assert elapsed(started) < 1
    assert fake_keitaro.served == 2


def test_a_503_then_200_is_retried_and_succeeds(fake_keitaro, transport):
    fake_keitaro.failures = [503]
    waits: list[float] = []
    # The default deadline: one second leaves no room for a backoff and an attempt.
    tracker = transport(sleep=waits.append, deadline=10)

    assert tracker.request("GET", "campaigns") == []

    assert len(waits) == 1
    assert fake_keitaro.served == 2
    assert (tracker.budget.retried, tracker.budget.spent) == (1, False)


def test_retry_after_beyond_the_budget_is_not_waited_for(httpserver):
    httpserver.expect_request("/admin_api/v1/offers").respond_with_response(
        Response("busy", status=503, headers={"Retry-After": "7"})
    )
    waits: list[float] = []
    # The call's own deadline leaves time for the wait; the operation's budget does not.
    tracker = Transport(
        httpserver.url_for("/"), "key", sleep=waits.append, deadline=10, budget=Budget(5, 3)
    )

    with pytest.raises(errors.Unavailable, match=r"503.*the retry budget for this operation"):
        tracker.request("GET", "offers")

    assert waits == []
    assert len(httpserver.log) == 1


def test_once_the_retries_are_spent_later_calls_get_one_attempt(httpserver):
    httpserver.expect_request("/admin_api/v1/offers").respond_with_data("busy", status=503)
    waits: list[float] = []
    tracker = Transport(httpserver.url_for("/"), "key", sleep=waits.append, retries=2)
    with pytest.raises(errors.Unavailable, match="503"):
        tracker.request("GET", "offers")
    assert (len(httpserver.log), len(waits)) == (3, 2)

    with pytest.raises(errors.Unavailable, match="gave up after 4 failed attempts"):
        tracker.request("GET", "offers")

    assert (len(httpserver.log), len(waits)) == (4, 2)


def test_a_slow_tracker_that_answers_is_never_cut_short(fake_keitaro, transport):
    fake_keitaro.delay = 0.35
    tracker = transport()
    started = time.monotonic()

    answers = [tracker.request("GET", "campaigns") for _ in range(7)]

    # Longer than the whole budget (two deadlines), and every call answered.
    assert elapsed(started) > tracker.budget.seconds
    assert answers == [[]] * 7
    assert tracker.budget.lost == 0


def test_the_sync_run_gives_up_early_and_records_why(fake_keitaro, keitaro_connection):
    row = keitaro_connection()
    now = utcnow()
    assert sync.reserve(row.id, "clicks_next_at", now, timedelta(seconds=60))
    fake_keitaro.stall_from = 1
    started = time.monotonic()

    # The catalogue refresh times out; the import after it does not call the tracker.
    assert keitaro_jobs.import_clicks(row.id) is None

    assert elapsed(started) < DEADLINE + MARGIN
    assert fake_keitaro.served == 1
    run = db.session.scalar(select(KeitaroSyncRun))
    assert run.finished_at is not None
    assert "gave up after 1 failed attempt" in run.error
    assert "the retry budget for this operation" in run.error
    row = db.session.get(KeitaroConnection, row.id)
    assert row.clicks_last_error == run.error
    assert row.clicks_next_at == now + timedelta(seconds=60)
