"""``pbhub doctor`` and ``/healthz``: the configuration as it will run, checked, with what
to do about each problem; and a health answer that takes a web process out of rotation
only when it cannot store a conversion."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import sqlite3
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from redis import Redis
from rq import Queue, Worker
from rq.scheduler import RQScheduler
from sqlalchemy.engine import make_url

from app import create_app
from app.core.countries import open_lookup
from app.extensions import db
from app.queue import QUEUE_NAME
from app.services import doctor
from app.version import VERSION
from tests.conftest import HEAD, redis_url, start_worker
from tests.processes import free_port

STRONG_KEY = secrets.token_urlsafe(48)
EVERY_CHECK = [
    "database",
    "migrations",
    "redis",
    "worker",
    "secret_key",
    "base_url",
    "base_url_answers",
    "outbound_hosts",
    "country_database",
    "clock",
]
#: /healthz is public: the state of the hub's parts, nothing of how it is configured.
HEALTH_CHECKS = ["database", "migrations", "redis", "worker", "country_database", "clock"]


def run_doctor(config, *args):
    """``pbhub doctor ARGS`` on an app of its own, configured as ``config``."""
    hub = create_app(config)
    with hub.app_context():
        result = hub.test_cli_runner().invoke(args=["doctor", *args])
        db.engine.dispose()
    return result


def line_of(output, name):
    return next(line for line in output.splitlines() if line[6:].startswith(f"{name}: "))


def closed_port_url(scheme="redis", path="/0", userinfo=""):
    return f"{scheme}://{userinfo}127.0.0.1:{free_port()}{path}"


@pytest.fixture
def config(app_config):
    """The tests' configuration, with a base URL on this machine that nothing answers at
    (``hub.test`` would cost a DNS lookup on every run of the command)."""
    return {**app_config, "PBHUB_BASE_URL": closed_port_url("http", path="")}


@pytest.fixture
def hub_server(httpserver):
    """A server answering ``/healthz`` as this hub does; its base URL."""
    httpserver.expect_request("/healthz").respond_with_json({"status": "ok", "version": VERSION})
    return httpserver.url_for("/").rstrip("/")


@pytest.fixture
def empty_database(fresh_database):
    """An empty database that exists (on SQLite, a file with no tables)."""
    url = make_url(fresh_database)
    if url.get_backend_name() == "sqlite":
        sqlite3.connect(url.database).close()
    return fresh_database


@pytest.fixture
def migrated(config, fresh_database):
    """The configuration of an empty database brought to the newest revision."""
    config = {**config, "SQLALCHEMY_DATABASE_URI": fresh_database}
    hub = create_app(config)
    with hub.app_context():
        assert hub.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
        db.engine.dispose()
    return config


@pytest.fixture
def fresh_registry_data(monkeypatch):
    monkeypatch.setattr(doctor, "iptocc_built", lambda: date.today())


@pytest.fixture
def redis():
    connection = Redis.from_url(redis_url())
    connection.flushdb()
    yield connection
    connection.flushdb()


# -- the command --------------------------------------------------------------------------


def test_a_healthy_installation_passes_every_check_and_exits_0(
    migrated, hub_server, fresh_registry_data
):
    config = {
        **migrated,
        "SECRET_KEY": STRONG_KEY,
        "PBHUB_OUTBOUND_ALLOWED_HOSTS": "",
        "PBHUB_BASE_URL": hub_server,
    }
    result = run_doctor(config)
    assert result.exit_code == 0, result.output
    statuses = [line.split()[0] for line in result.output.splitlines()[:-1]]
    assert set(statuses) <= {"ok", "skip"}, result.output
    assert result.output.splitlines()[-1].startswith(f"{len(EVERY_CHECK)} checks: ")


def test_each_line_says_status_check_and_finding_and_the_last_line_counts_them(
    app, config, fresh_registry_data
):
    result = run_doctor({**config, "SECRET_KEY": "k" * 40})
    lines = result.output.splitlines()
    assert [line[6:].split(":", 1)[0] for line in lines[:-1]] == EVERY_CHECK
    assert line_of(result.output, "secret_key").startswith("FAIL  secret_key: SECRET_KEY uses")
    # The tables were made without migrations (a warning); the key and the base URL fail.
    assert re.fullmatch(r"10 checks: \d ok, 1 warning, 2 failures, \d skipped", lines[-1])
    assert result.exit_code == 1


def test_an_empty_database_fails_with_the_advice_to_run_pbhub_db_upgrade(config, empty_database):
    result = run_doctor({**config, "SQLALCHEMY_DATABASE_URI": empty_database})
    assert result.exit_code == 1
    assert line_of(result.output, "migrations") == (
        "FAIL  migrations: the database is empty: no migration was applied. "
        "Run pbhub db upgrade, then restart the web and worker processes."
    )


@pytest.mark.parametrize("database_uri", ["sqlite"], indirect=True)
def test_a_missing_sqlite_file_fails_and_is_not_created(config, fresh_database):
    result = run_doctor({**config, "SQLALCHEMY_DATABASE_URI": fresh_database})
    path = make_url(fresh_database).database
    assert line_of(result.output, "database") == (
        f"FAIL  database: there is no database file at {path} yet. "
        "Run pbhub db upgrade to create it."
    )
    assert not os.path.exists(path)


def test_a_database_behind_the_code_names_both_revisions(config, fresh_database):
    config = {**config, "SQLALCHEMY_DATABASE_URI": fresh_database}
    hub = create_app(config)
    with hub.app_context():
        hub.test_cli_runner().invoke(args=["dev", "db", "stamp", "0011"])
        db.engine.dispose()
    line = line_of(run_doctor(config).output, "migrations")
    assert line.startswith(f"FAIL  migrations: at revision 0011; this version needs {HEAD}.")
    assert "pbhub db upgrade" in line


def test_tables_made_without_migrations_warn_to_stamp_them(app, config):
    line = line_of(run_doctor(config).output, "migrations")
    assert line.startswith("warn  migrations: the tables exist but the database records no")
    assert f"pbhub dev db stamp {HEAD}" in line


def test_an_unreachable_redis_fails_and_says_what_to_do(app, config):
    result = run_doctor({**config, "REDIS_URL": closed_port_url()})
    assert result.exit_code == 1
    line = line_of(result.output, "redis")
    assert line.startswith("FAIL  redis: cannot connect to Redis at redis://127.0.0.1:")
    assert "(connection refused). Start Redis" in line
    assert line_of(result.output, "worker") == ("skip  worker: not checked: Redis does not answer.")


def test_a_password_in_redis_url_is_never_printed(app, config):
    url = closed_port_url(userinfo=":hunter2-redis@")
    output = run_doctor({**config, "REDIS_URL": url}).output
    assert "hunter2-redis" not in output
    assert "redis://:***@127.0.0.1:" in output


def test_without_redis_jobs_run_in_the_web_process_and_no_worker_is_needed(app, config):
    output = run_doctor(config).output
    assert line_of(output, "redis").startswith(
        "ok    redis: not configured: background jobs run inside the web process"
    )
    assert line_of(output, "worker").startswith("skip  worker: not needed")


def test_a_placeholder_secret_key_fails_and_says_how_to_make_one(app, config):
    key = "change-me-" * 4
    result = run_doctor({**config, "SECRET_KEY": key})
    line = line_of(result.output, "secret_key")
    assert line.startswith("FAIL  secret_key: SECRET_KEY is a well-known placeholder")
    assert 'python3 -c "import secrets; print(secrets.token_urlsafe(48))"' in line
    assert "Changing it invalidates" in line
    assert result.exit_code == 1


def test_json_lists_every_check_with_name_status_summary_and_advice(app, config):
    result = run_doctor({**config, "SECRET_KEY": STRONG_KEY}, "--json")
    data = json.loads(result.output)
    assert set(data) == {"status", "checks"}
    assert [check["name"] for check in data["checks"]] == EVERY_CHECK
    for check in data["checks"]:
        assert set(check) == {"name", "status", "summary", "advice"}
        assert check["status"] in ("ok", "warn", "fail", "skip")
    # Nothing answers at the tests' base URL: a failure.
    assert (data["status"], result.exit_code) == ("failing", 1)


# -- SECRET_KEY ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "weakness"),
    [
        ("k" * 40, "uses only 1 different character"),
        ("abcdefghij" * 4, "repeats the same 10 characters"),
        ("test-secret-key-" + "k" * 32, "is a well-known placeholder"),
        ("your-super-secret-key-here-1234567", "is a well-known placeholder"),
        ("short", "is shorter than 32 characters"),
    ],
)
def test_a_guessable_secret_key_is_named_for_what_makes_it_guessable(key, weakness):
    assert (doctor.secret_key_weakness(key) or "").startswith(weakness)


def test_a_random_secret_key_has_no_weakness():
    assert doctor.secret_key_weakness(secrets.token_urlsafe(48)) is None
    assert doctor.secret_key_weakness(secrets.token_hex(32)) is None


# -- PBHUB_BASE_URL ------------------------------------------------------------------------


def test_an_http_base_url_warns_unless_it_is_local():
    assert doctor.check_base_url("http://hub.example.com", True).status == "warn"
    assert doctor.check_base_url("http://127.0.0.1:5000", True).status == "ok"
    assert doctor.check_base_url("https://hub.example.com", True).status == "ok"


def test_an_unset_base_url_warns_that_links_use_the_default_and_is_not_called():
    unset = doctor.check_base_url("http://127.0.0.1:5000", False)
    assert unset.status == "warn"
    assert unset.summary.startswith("PBHUB_BASE_URL is not set: Postback, Track and invitation")
    assert doctor.check_base_url_answers("http://127.0.0.1:5000", False, VERSION).status == "skip"


def test_a_base_url_nothing_answers_at_fails():
    base = closed_port_url("http", path="")
    check = doctor.check_base_url_answers(base, True, VERSION)
    assert (check.status, check.summary) == (
        "fail",
        f"nothing answers at {base}/healthz (connection refused)",
    )


def test_a_base_url_answering_as_this_hub_passes(hub_server):
    check = doctor.check_base_url_answers(hub_server, True, VERSION)
    assert (check.status, check.summary) == (
        "ok",
        f"{hub_server}/healthz answers as this hub (version {VERSION})",
    )


def test_a_base_url_answering_as_another_version_warns(httpserver):
    httpserver.expect_request("/healthz").respond_with_json({"version": "0.1.0"})
    check = doctor.check_base_url_answers(httpserver.url_for("/").rstrip("/"), True, VERSION)
    assert check.status == "warn"
    assert "Restart the web processes" in (check.advice or "")


def test_a_base_url_answering_as_something_else_fails(httpserver):
    httpserver.expect_request("/healthz").respond_with_data("Not Found", status=404)
    check = doctor.check_base_url_answers(httpserver.url_for("/").rstrip("/"), True, VERSION)
    assert check.status == "fail"
    assert check.summary.endswith("answers (HTTP 404), but not as Postback Hub")


# -- PBHUB_OUTBOUND_ALLOWED_HOSTS -------------------------------------------------------------


def test_an_empty_allow_list_says_private_addresses_are_refused():
    check = doctor.check_outbound_hosts("", reveal=True)
    assert check.status == "ok"
    assert check.summary.endswith("outbound calls refuse private and loopback addresses")


def test_a_broad_allowed_range_warns():
    check = doctor.check_outbound_hosts("10.0.0.0/8", reveal=True)
    assert check.status == "warn"
    assert "10.0.0.0/8 (16,777,216 addresses)" in check.summary


def test_an_allowed_range_holding_the_cloud_metadata_service_warns():
    check = doctor.check_outbound_hosts("169.254.0.0/16", reveal=True)
    assert check.status == "warn"
    assert "cloud metadata service (169.254.169.254)" in check.summary


def test_receivers_and_loopback_are_listed_without_a_warning():
    check = doctor.check_outbound_hosts("127.0.0.0/8,localhost,10.1.2.0/24", reveal=True)
    assert check.status == "ok"
    assert "localhost, 127.0.0.0/8, 10.1.2.0/24" in check.summary


# -- the country database -----------------------------------------------------------------


def test_country_lookup_turned_off_warns():
    check = doctor.check_country_database(open_lookup("off"), None, date.today())
    assert (check.status, check.summary) == (
        "warn",
        "off (PBHUB_GEOIP_DB=off): clicks get no country",
    )


def test_country_lookup_off_behind_a_cdn_country_header_is_fine():
    check = doctor.check_country_database(open_lookup("off"), "CF-IPCountry", date.today())
    assert check.status == "ok"


def test_an_old_maxmind_database_warns_to_run_geoipupdate(geoip_db):
    lookup = open_lookup(str(geoip_db))
    later = datetime.now(UTC).date() + timedelta(days=120)
    check = doctor.check_country_database(lookup, None, later)
    assert check.status == "warn"
    assert "(120 days old)" in check.summary
    assert check.advice.startswith("Update the file with geoipupdate. Restart")


def test_a_fresh_maxmind_database_passes(geoip_db):
    check = doctor.check_country_database(open_lookup(str(geoip_db)), None, date.today())
    assert (check.status, check.summary.startswith("GeoLite2-Country (test-country.mmdb")) == (
        "ok",
        True,
    )


def test_old_registry_data_warns_to_upgrade_iptocc(monkeypatch):
    monkeypatch.setattr(doctor, "iptocc_built", lambda: date.today() - timedelta(days=120))
    check = doctor.check_country_database(open_lookup(None), None, date.today())
    assert check.status == "warn"
    assert check.advice.startswith("Update it with pip install -U iptocc")


def test_the_registry_data_is_dated_from_the_installed_package():
    assert doctor.iptocc_built() is not None


# -- the clock -----------------------------------------------------------------------------


def moved_clock(monkeypatch, seconds):
    real = doctor.local_now
    monkeypatch.setattr(doctor, "local_now", lambda: real() + timedelta(seconds=seconds))


@pytest.mark.parametrize("database_uri", ["postgresql"], indirect=True)
def test_a_clock_half_a_minute_off_the_databases_fails_and_says_run_ntp(app, monkeypatch):
    moved_clock(monkeypatch, 40)
    with db.engine.connect() as connection:
        check = doctor.check_clock(connection)
    assert check.status == "fail"
    assert check.summary.startswith("this machine's clock is 40.")
    assert check.summary.endswith("s ahead of the database's")
    assert "NTP (chrony" in check.advice


@pytest.mark.parametrize("database_uri", ["postgresql"], indirect=True)
def test_a_clock_a_few_seconds_off_warns(app, monkeypatch):
    moved_clock(monkeypatch, -5)
    with db.engine.connect() as connection:
        check = doctor.check_clock(connection)
    assert check.status == "warn"
    assert check.summary.endswith("s behind the database's")


@pytest.mark.parametrize("database_uri", ["postgresql"], indirect=True)
def test_a_synchronised_clock_passes(app):
    with db.engine.connect() as connection:
        assert doctor.check_clock(connection).status == "ok"


# -- the workers -----------------------------------------------------------------------------


def registered_worker(connection, heartbeat_age=0.0):
    worker = Worker([Queue(QUEUE_NAME, connection=connection)], connection=connection)
    worker.register_birth()
    beat = datetime.now(UTC) - timedelta(seconds=heartbeat_age)
    connection.hset(worker.key, "last_heartbeat", beat.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    return worker


def test_no_worker_with_redis_configured_fails(redis):
    check = doctor.check_worker(redis, redis_url(), QUEUE_NAME)
    assert check.status == "fail"
    assert check.advice.startswith("Start one with pbhub worker")


def test_a_worker_with_a_recent_heartbeat_is_seen(redis):
    registered_worker(redis)
    check = doctor.check_worker(redis, redis_url(), QUEUE_NAME)
    assert (check.status, check.summary) == (
        "ok",
        "1 worker on queue default, seen within the last minute",
    )


def test_a_worker_silent_for_minutes_warns(redis):
    registered_worker(redis, heartbeat_age=300)
    check = doctor.check_worker(redis, redis_url(), QUEUE_NAME)
    assert check.status == "warn"
    assert check.summary.endswith("none seen in the last minute (the last heartbeat was 5 min ago)")


def test_an_idle_worker_is_seen_through_the_scheduler_lock_it_refreshes(redis):
    registered_worker(redis, heartbeat_age=300)
    redis.set(RQScheduler.get_locking_key(QUEUE_NAME), "scheduler", ex=61)
    assert doctor.check_worker(redis, redis_url(), QUEUE_NAME).status == "ok"


@pytest.mark.slow
@pytest.mark.parametrize("database_uri", ["postgresql"], indirect=True)
def test_a_running_worker_process_is_seen_though_its_heartbeat_is_old(redis_app):
    connection = Redis.from_url(redis_app.config["REDIS_URL"])
    process = start_worker(redis_app)
    try:
        deadline = time.monotonic() + 30
        while not connection.exists(RQScheduler.get_locking_key(QUEUE_NAME)):
            assert time.monotonic() < deadline, "the worker did not take the scheduler lock"
            time.sleep(0.2)
        for key in connection.smembers("rq:workers"):
            old = datetime.now(UTC) - timedelta(minutes=5)
            connection.hset(key, "last_heartbeat", old.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
        check = doctor.check_worker(connection, redis_app.config["REDIS_URL"], QUEUE_NAME)
        assert check.status == "ok", check
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


# -- /healthz ------------------------------------------------------------------------------


def test_healthz_keeps_its_keys_and_lists_the_cheap_checks(client):
    answer = client.get("/healthz")
    body = answer.get_json()
    assert answer.status_code == 200
    assert (body["database"], body["version"]) == ("up", VERSION)
    assert body["status"] in ("ok", "degraded")
    assert [check["name"] for check in body["checks"]] == HEALTH_CHECKS
    for check in body["checks"]:
        assert set(check) == {"name", "status", "summary", "advice"}


def test_healthz_answers_200_degraded_while_redis_is_down(app, app_config):
    hub = create_app({**app_config, "REDIS_URL": closed_port_url()})
    answer = hub.test_client().get("/healthz")
    with hub.app_context():
        db.engine.dispose()
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["status"] == "degraded"
    redis_check = next(check for check in body["checks"] if check["name"] == "redis")
    assert (redis_check["status"], redis_check["summary"]) == (
        "fail",
        "cannot connect to Redis (connection refused)",
    )


def test_healthz_answers_503_while_the_database_is_down(client, database_fails):
    with database_fails("SELECT 1"):
        answer = client.get("/healthz")
    body = answer.get_json()
    assert answer.status_code == 503
    assert (body["status"], body["database"]) == ("unavailable", "down")
    assert body["checks"][0]["status"] == "fail"


def test_healthz_answers_503_while_the_database_is_not_migrated(app_config, empty_database):
    hub = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": empty_database})
    answer = hub.test_client().get("/healthz")
    with hub.app_context():
        db.engine.dispose()
    assert answer.status_code == 503
    assert (answer.get_json()["status"], answer.get_json()["database"]) == ("unavailable", "up")


def test_healthz_names_no_secret_host_or_network(app, app_config):
    private = ["hunter2-redis", "10.1.2.0/24", "receivers.internal", STRONG_KEY]
    hub = create_app(
        {
            **app_config,
            "SECRET_KEY": STRONG_KEY,
            "REDIS_URL": closed_port_url(userinfo=":hunter2-redis@"),
            "PBHUB_OUTBOUND_ALLOWED_HOSTS": "10.1.2.0/24,receivers.internal",
        }
    )
    text = hub.test_client().get("/healthz").get_data(as_text=True)
    with hub.app_context():
        db.engine.dispose()
    assert [secret for secret in private if secret in text] == []
    assert "127.0.0.1" not in text


def test_healthz_stays_ok_while_a_check_only_warns(client, monkeypatch):
    monkeypatch.setattr(doctor, "COUNTRY_DATA_MAX_AGE", timedelta(days=0))
    body = client.get("/healthz").get_json()
    country = next(check for check in body["checks"] if check["name"] == "country_database")
    assert (country["status"], body["status"]) == ("warn", "ok")


def test_healthz_makes_no_outbound_call(client, monkeypatch):
    import requests

    def refuse(*args, **kwargs):
        raise AssertionError("/healthz called out")

    monkeypatch.setattr(requests, "get", refuse)
    monkeypatch.setattr(requests.Session, "request", refuse)
    assert client.get("/healthz").status_code == 200


def test_healthz_reads_the_country_data_age_once_per_process(client, monkeypatch):
    doctor.iptocc_built.cache_clear()
    reads = []
    real = doctor.metadata.distribution
    monkeypatch.setattr(
        doctor.metadata, "distribution", lambda name: reads.append(name) or real(name)
    )
    client.get("/healthz")
    client.get("/healthz")
    assert reads.count("iptocc") == 1
