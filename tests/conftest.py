"""Fixtures: an app per test on each database backend, clients, users, sources.

Database tests run on SQLite always and on PostgreSQL when ``DATABASE_URL`` points at
one (CI sets it). With ``PBHUB_REQUIRE_SERVICES=1`` (CI) a missing server fails the run
instead of skipping. Tables are created once per backend and emptied after each test.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "k" * 32)

from app import create_app
from app.extensions import db
from app.ingest.writer import get_writer
from app.migration_state import head_revision
from app.models import DirtyHour
from app.models.types import utcnow
from app.paths import migrations_dir
from app.services import users as user_service

REQUIRE_SERVICES = os.environ.get("PBHUB_REQUIRE_SERVICES") == "1"
PG_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
#: The schema revision this code needs; tests that name it follow new migrations.
HEAD = head_revision(migrations_dir())
_created: set[str] = set()


def _missing(what: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required here (PBHUB_REQUIRE_SERVICES=1) but not configured")
    pytest.skip(f"{what} not configured")


def postgres_uri() -> str:
    if not PG_URL.startswith(("postgres://", "postgresql")):
        _missing("PostgreSQL (DATABASE_URL)")
    url = make_url(PG_URL.replace("postgres://", "postgresql://", 1))
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def redis_url() -> str:
    if not REDIS_URL:
        _missing("Redis (REDIS_URL)")
    return REDIS_URL


@pytest.fixture(scope="session")
def sqlite_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_uri(request: pytest.FixtureRequest, sqlite_uri: str) -> str:
    return sqlite_uri if request.param == "sqlite" else postgres_uri()


@pytest.fixture
def app_config(database_uri: str) -> dict[str, Any]:
    """Per-test overrides; tests change entries before asking for ``app``."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "REDIS_URL": None,
        "PBHUB_BASE_URL": "http://hub.test",
        "PBHUB_CLICK_BATCH": 0,
        "PBHUB_SOURCE_CACHE_SECONDS": 0,
        # Test receivers listen on loopback, which deliveries refuse by default.
        "PBHUB_OUTBOUND_ALLOWED_HOSTS": "127.0.0.0/8,localhost",
    }


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Any]:
    app = create_app(app_config)
    with app.app_context():
        uri = app_config["SQLALCHEMY_DATABASE_URI"]
        if uri not in _created:
            db.drop_all()
            db.create_all()
            _created.add(uri)
        yield app
        # Background threads end before the tables empty and the engine is disposed: a
        # connection given back after the disposal would stay open until collected.
        app.extensions["pbhub.engine"].stop(5)
        get_writer().close()
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
            # The deletes above logged their hours for the rollups (stats triggers).
            connection.execute(DirtyHour.__table__.delete())
        db.engine.dispose()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def runner(app: Any) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def make_user(app: Any) -> Callable[..., Any]:
    def make(role: str = "operator", email: str | None = None) -> Any:
        email = email or f"{role}-{uuid.uuid4().hex[:8]}@example.test"
        return user_service.create_user(email, secrets.token_urlsafe(16), admin=role == "admin")

    return make


@pytest.fixture
def make_token(make_user: Callable[..., Any]) -> Callable[..., str]:
    def make(role: str = "operator") -> str:
        return user_service.create_token(make_user(role))

    return make


@pytest.fixture
def operator_headers(make_token: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token('operator')}"}


@pytest.fixture
def admin_headers(make_token: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token('admin')}"}


@pytest.fixture
def make_source(client: Any, operator_headers: dict[str, str]) -> Callable[..., dict[str, Any]]:
    """Create a source through the API; the answer includes ``postback_path``."""
    counter = iter(range(1, 10_000))

    def make(**fields: Any) -> dict[str, Any]:
        body = {"name": f"Network {next(counter)}", "offer_url": "https://offer.test/lp", **fields}
        response = client.post("/api/v1/sources", json=body, headers=operator_headers)
        assert response.status_code == 201, response.get_json()
        data = response.get_json()
        data["postback_path"] = "/pb/" + data["inbound_token"]
        data["track_path"] = data["track_url"].removeprefix("http://hub.test")
        return data

    return make


@pytest.fixture
def source(make_source: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return make_source(event_map={"reg": "registration", "dep": "ftd"}, default_currency="USD")


@pytest.fixture
def source_id(source: dict[str, Any]) -> int:
    return source["id"]


@pytest.fixture
def row(source_id: int) -> Callable[..., dict[str, Any]]:
    """A conversion row as the pipeline builds it; ``key=None`` makes a duplicate's row."""

    def make(key: str | None, *, source: int | None = None) -> dict[str, Any]:
        now = utcnow()
        return {
            "source_id": source or source_id,
            "received_at": now,
            "updated_at": now,
            "attribution": "unmatched" if key else "duplicate",
            "event_type": "registration",
            "raw_event": "reg",
            "status": "approved",
            "raw_status": None,
            "click_id": None,
            "clicked_at": None,
            "transaction_id": key,
            "gross_amount": None,
            "gross_currency": None,
            "payout_amount": None,
            "payout_currency": None,
            "external_user_id": None,
            "dedupe_key": key,
            "duplicate_of_id": None,
            "parse_notes": [],
            "raw_request": {"method": "GET"},
        }

    return make


@pytest.fixture
def fire(client: Any, source: dict[str, Any]) -> Callable[..., int]:
    """Send a GET postback to ``source`` with these parameters; returns the conversion id."""

    def fire(**params: str) -> int:
        return client.get(source["postback_path"], query_string=params).get_json()["conversion_id"]

    return fire


@pytest.fixture
def click_id(client: Any, source: dict[str, Any]) -> str:
    """A ``_cid`` minted by following the source's Track URL."""
    response = client.get(source["track_path"])
    assert response.status_code == 302
    return response.headers["Location"].split("_cid=")[1]


@pytest.fixture
def database_fails(app: Any) -> Callable[..., Any]:
    """``with database_fails("INSERT INTO CONVERSIONS", times=1): ...`` makes matching
    statements raise as if the server dropped the connection (or ``error_class``: a
    damaged file, a schema behind the code); yields the failed ones."""

    @contextmanager
    def fails(
        prefix: str,
        *,
        times: int | None = None,
        invalidated: bool = False,
        error_class: type[DBAPIError] = OperationalError,
        reason: str = "server closed the connection",
    ) -> Iterator[list]:
        failed: list[str] = []

        def fail(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if statement.lstrip().upper().startswith(prefix) and (
                times is None or len(failed) < times
            ):
                failed.append(statement)
                error = error_class(statement, {}, Exception(reason))
                error.connection_invalidated = invalidated
                raise error

        event.listen(db.engine, "before_cursor_execute", fail)
        try:
            yield failed
        finally:
            event.remove(db.engine, "before_cursor_execute", fail)

    return fails


def insert_old_source(connection: Any, now: Any) -> int:
    """A source row in a database a migration test left below head: the table as that
    schema has it, not as the model does."""
    sources = Table("sources", MetaData(), autoload_with=connection)
    return connection.execute(
        sources.insert().values(
            public_id="s1",
            name="Network",
            field_map={},
            event_map={},
            status_map={},
            attribution_window_days=30,
            state="active",
            token_digest="d",
            token_ciphertext="c",
            created_at=now,
            updated_at=now,
        )
    ).inserted_primary_key[0]


@pytest.fixture
def fresh_database(database_uri: str) -> Iterator[str]:
    """An empty database of the current backend, dropped afterwards (migration tests)."""
    url = make_url(database_uri)
    if url.get_backend_name() == "sqlite":
        path = os.path.join(os.path.dirname(url.database), f"fresh-{uuid.uuid4().hex}.sqlite3")
        yield f"sqlite:///{path}"
        return
    name = f"pbhub_fresh_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def post(client: Any, network: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """Send a postback to the test module's ``network`` source; its JSON answer."""

    def send(**params: str) -> dict[str, Any]:
        return client.get(network["postback_path"], query_string=params).get_json()

    return send


@pytest.fixture
def outbound(client: Any, operator_headers: dict[str, str]) -> Callable[..., dict[str, Any]]:
    """Create an outbound postback over the API; returns its JSON (with any secret)."""

    def create(**fields: Any) -> dict[str, Any]:
        body = {"name": fields.pop("name", f"out-{len(fields)}-{id(fields)}"), **fields}
        answer = client.post("/api/v1/outbound-postbacks", json=body, headers=operator_headers)
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()

    return create


class Clock:
    """The delivery settings' clock, moved by hand: retry schedules without sleeping."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> Any:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(app: Any) -> Clock:
    fake = Clock()
    settings = app.extensions["pbhub.delivery"]
    app.extensions["pbhub.delivery"] = dataclasses.replace(settings, now=fake)
    return fake


@pytest.fixture
def fake_keitaro() -> Iterator[Any]:
    """A fake Keitaro tracker on loopback (see ``tests/keitaro_fake.py``)."""
    from tests.keitaro_fake import FakeKeitaro

    fake = FakeKeitaro().start()
    yield fake
    fake.stop()


@pytest.fixture
def keitaro_connection(app: Any, fake_keitaro: Any) -> Callable[..., Any]:
    """Store a connection to the fake tracker; returns the row."""
    from app.runtime import keitaro_settings, keyring
    from app.services import keitaro as keitaro_service

    def add(**fields: Any) -> Any:
        data = {
            "name": "main",
            "url": fake_keitaro.url,
            "api_key": fake_keitaro.api_key,
            "postback_key": fake_keitaro.postback_key,
            "timezone": fake_keitaro.timezone,
            **fields,
        }
        return keitaro_service.add_connection(data, keyring(), keitaro_settings())

    return add


@pytest.fixture
def convert(app: Any, client: Any, source: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """Fire a postback at ``source`` and wait until its follow-up jobs have run."""
    from app.models.types import utcnow
    from app.queue import get_queue

    def fire(**params: str) -> dict[str, Any]:
        params.setdefault("event", "dep")
        params.setdefault("transaction_id", f"T-{utcnow().timestamp()}")
        answer = client.get(source["postback_path"], query_string=params).get_json()
        get_queue(app).join()
        return answer

    return fire


@pytest.fixture
def make_receiver(app: Any) -> Iterator[Callable[..., Any]]:
    """Receivers on loopback (``tests/receivers.py``), released and closed before the
    app's delivery engine stops, so no attempt is left hanging."""
    from tests.receivers import Receiver

    made: list[Receiver] = []

    def make(**behaviour: Any) -> Receiver:
        made.append(Receiver(**behaviour))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


@pytest.fixture
def send(app: Any) -> Callable[[list[int]], None]:
    """Hand deliveries to the delivery engine and wait until their attempts are recorded."""
    from app.jobs.deliveries import send_deliveries

    def attempt(delivery_ids: list[int]) -> None:
        send_deliveries(delivery_ids)
        assert app.extensions["pbhub.engine"].join(), "the attempts did not end in time"

    return attempt


@pytest.fixture
def redis_app(app_config: dict[str, Any], app: Any) -> Iterator[Any]:
    """The app under test, but queueing on Redis, as a scaled deployment runs."""
    from app.queue import get_queue

    redis_app = create_app({**app_config, "REDIS_URL": redis_url()})
    queue = get_queue(redis_app)
    queue.connection.flushdb()
    yield redis_app
    queue.connection.flushdb()


def start_worker(app: Any) -> Any:
    """``worker.py`` in a process of its own, on the app's database and Redis."""
    import subprocess
    import sys

    env = {
        **os.environ,
        "REDIS_URL": app.config["REDIS_URL"],
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PBHUB_OUTBOUND_ALLOWED_HOSTS": "127.0.0.0/8",
    }
    # A session of its own, so a test may signal the group as systemd signals a unit.
    return subprocess.Popen(
        [sys.executable, "worker.py"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


PASSWORD = "correct horse battery staple"


def page_csrf_token(client: Any, path: str = "/login") -> str:
    """The CSRF token a page of the dashboard hands its forms."""
    html = client.get(path).get_data(as_text=True)
    marker = 'name="csrf-token" content="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


@pytest.fixture
def make_account(app: Any) -> Callable[..., Any]:
    """A user with a known password (``PASSWORD``)."""

    def make(role: str = "operator", email: str | None = None) -> Any:
        email = email or f"{role}-{uuid.uuid4().hex[:8]}@example.test"
        return user_service.create_user(email, PASSWORD, admin=role == "admin")

    return make


@pytest.fixture
def sign_in(client: Any, make_account: Callable[..., Any]) -> Callable[..., Any]:
    """``sign_in("admin")``: a new user of that role, signed in on ``client``."""

    def sign_in(role: str = "operator", user: Any = None) -> Any:
        user = user or make_account(role)
        answer = client.post(
            "/login",
            data={"email": user.email, "password": PASSWORD, "csrf_token": page_csrf_token(client)},
        )
        assert answer.status_code == 302, answer.get_data(as_text=True)
        return user

    return sign_in


@pytest.fixture
def csrf(client: Any) -> Callable[[], str]:
    """The signed-in session's CSRF token, for forms and the X-CSRFToken header."""
    return lambda: page_csrf_token(client, "/account")


@pytest.fixture
def geoip_db_of_kind(tmp_path: Any) -> Callable[[str], Any]:
    """A small MaxMind database written for the test, as GeoLite2 lays records out."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    def write(kind: str = "GeoLite2-Country") -> Any:
        writer = MMDBWriter(ip_version=6, database_type=kind, ipv4_compatible=True)
        writer.insert_network(IPSet(["81.2.69.0/24"]), {"country": {"iso_code": "GB"}})
        writer.insert_network(IPSet(["2a02:2770::/32"]), {"country": {"iso_code": "NL"}})
        writer.insert_network(IPSet(["89.160.20.0/24"]), {"registered_country": {"iso_code": "SE"}})
        path = tmp_path / "test-country.mmdb"
        writer.to_db_file(str(path))
        return path

    return write


@pytest.fixture
def geoip_db(geoip_db_of_kind: Callable[[str], Any]) -> Any:
    return geoip_db_of_kind("GeoLite2-Country")


@pytest.fixture
def card(client: Any, sign_in: Callable[..., Any]) -> Callable[[str], str]:
    """The live card's HTML for a window, as the page's refresh fetches it."""
    sign_in()

    def render(window: str = "24h") -> str:
        answer = client.get("/postbacks/live", query_string={"window": window})
        assert answer.status_code == 200
        return answer.get_data(as_text=True)

    return render


#: What a skipped test needed, by the words of its skip reason, and how the line names it.
NEEDS = (
    ("PostgreSQL", "PostgreSQL"),
    ("Redis", "Redis"),
    ("Chromium", "Chromium"),
    ("Docker Compose", "Docker Compose"),
)
_NOT_RUN = pytest.StashKey[str]()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Count what a run without PostgreSQL, Redis, Chromium or Docker Compose left out: a
    skip reason alone is easy to miss. The line is written last, after pytest's own
    summary."""
    counts = dict.fromkeys((name for _, name in NEEDS), 0)
    for report in terminalreporter.stats.get("skipped", []):
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
        for word, name in NEEDS:
            if word in reason:
                counts[name] += 1
                break
    missing = [f"{count:,} need {name}" for name, count in counts.items() if count]
    if missing:
        terminalreporter.config.stash[_NOT_RUN] = (
            f"Not run here: {', '.join(missing)} (not configured on this machine). "
            "`make test-all` starts throwaway servers where this machine has them and runs "
            "everything; see the README's Development section."
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    line = config.stash.get(_NOT_RUN, None)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if line and reporter is not None:
        reporter.write_line(line, yellow=True, bold=True)


#: runuser -u USER -- COMMAND...: COMMAND as this user (a test cannot switch users).
FAKE_RUNUSER = """#!/bin/sh
while [ "$#" -gt 0 ]; do
  case "$1" in -u) shift 2 ;; --) shift; break ;; *) shift ;; esac
done
exec "$@"
"""


def pbhub_admin(tmp_path: Path, env_file: Path) -> tuple[Path, dict[str, str]]:
    """``pbhub-admin`` rendered for this test's install, and a root shell's environment
    (cron's PATH, with a stand-in ``runuser`` first) to run it in."""
    from app.services import service_files

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "runuser").write_text(FAKE_RUNUSER)
    (bin_dir / "runuser").chmod(0o755)
    install = service_files.Install(
        pbhub=str(Path(sys.executable).parent / "pbhub"),
        user="pbhub",
        env_file=str(env_file),
        working_directory=str(tmp_path),
    )
    admin = bin_dir / service_files.ADMIN
    admin.write_text(service_files.admin_command(install))
    admin.chmod(0o755)
    return admin, {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "SHELL": "/bin/sh"}
