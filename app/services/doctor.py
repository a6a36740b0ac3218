"""The configuration as it will actually run, checked: ``pbhub doctor`` and ``/healthz``.

A setting can be valid (``app.config`` accepted it) and still not work: a database never
migrated, a Redis that does not answer, no worker taking the jobs, a placeholder
``SECRET_KEY``, a base URL nothing answers at. Each check is a plain function returning a
``Check`` with a sentence an operator acts on; nothing here imports Flask, so the command
and the health route share every word.

Two audiences read the results. The operator's terminal gets everything: masked URLs,
allowed hosts, and a call to ``PBHUB_BASE_URL``. ``/healthz`` is read by anyone who can
reach the hub, so its summaries name no host, URL or network, and it makes no outbound
call (a health probe that calls out can hang on someone else's server).
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

from alembic.util.exc import CommandError
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from app.config import MIN_SECRET_KEY_LENGTH
from app.config import base_url as configured_base_url
from app.core.countries import CountryLookup, MaxMindLookup, NoLookup, RegistryLookup
from app.migration_state import current_revision, head_revision, known_revisions
from app.outbound.ssrf import SETTING as ALLOWED_HOSTS
from app.outbound.ssrf import IPNetwork, parse_allowed

if TYPE_CHECKING:
    from redis import Redis
    from sqlalchemy.engine import Connection, Engine

Status = Literal["ok", "warn", "fail", "skip"]
OK: Status = "ok"
WARN: Status = "warn"
FAIL: Status = "fail"
SKIP: Status = "skip"

#: Seconds Redis has to answer a ping; a healthy one answers in well under a millisecond.
REDIS_TIMEOUT = 1.0
#: A worker counts as running when Redis heard from it this recently.
WORKER_SEEN_SECONDS = 60
#: How long ``pbhub doctor`` waits for ``PBHUB_BASE_URL`` to answer.
PROBE_TIMEOUT = 2.5
#: Beyond this, a country database misses reallocated blocks often enough to matter.
COUNTRY_DATA_MAX_AGE = timedelta(days=90)
#: Clock skew against the database: click times and token expiry compare the two clocks.
CLOCK_WARN_SECONDS = 2.0
CLOCK_FAIL_SECONDS = 30.0
#: A key with fewer different characters than this is a pattern, not a random string.
MIN_DISTINCT_CHARACTERS = 8
#: What keys copied from examples and tutorials are made of (lower case, letters only;
#: their digits are ignored, as in ``my-secret-key-123456``).
PLACEHOLDER_WORDS = (
    "changeme",
    "changethis",
    "replaceme",
    "placeholder",
    "insecure",
    "notsecret",
    "supersecret",
    "secret",
    "password",
    "passwd",
    "example",
    "default",
    "testing",
    "test",
    "development",
    "dev",
    "django",
    "flask",
    "your",
    "this",
    "here",
    "token",
    "string",
    "app",
    "my",
    "key",
)
GENERATE_KEY = 'python3 -c "import secrets; print(secrets.token_urlsafe(48))"'


@dataclass(frozen=True)
class Check:
    """One finding: ``summary`` says what was found, ``advice`` what to do (None when
    there is nothing to do)."""

    name: str
    status: Status
    summary: str
    advice: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)


@dataclass(frozen=True)
class Setup:
    """What the checks look at: the running configuration and what it connects to.

    ``redis`` is the client to ping (``/healthz`` keeps one per process); without it one
    is made from ``REDIS_URL`` with a short timeout.
    """

    config: Mapping[str, Any]
    environ: Mapping[str, str]
    engine: Engine
    migrations: str | Path
    lookup: CountryLookup
    queue_name: str
    version: str
    redis: Redis | None = None


def local_now() -> datetime:
    """This machine's clock, in UTC (tests move it)."""
    return datetime.now(UTC)


# -- running them --------------------------------------------------------------------------


def run(setup: Setup, *, operator: bool) -> list[Check]:
    """Every check, in the order an operator fixes things.

    ``operator``: for ``pbhub doctor`` (URLs masked but shown, the key, the base URL
    and the allowed hosts checked); otherwise for ``/healthz``, which anyone who reaches
    the hub can read: the state of its parts, never how it is configured.
    """
    database, migrations, clock = database_checks(
        setup.engine,
        setup.migrations,
        shown=masked_url(_engine_url(setup.engine)) if operator else None,
    )
    url = setup.config.get("REDIS_URL") or None
    client = setup.redis
    if client is None and url:
        client = redis_client(url)
    redis = check_redis(url, client, shown=masked_url(url) if operator and url else None)
    worker = check_worker(client if redis.status == OK else None, url, setup.queue_name)
    checks = [database, migrations, redis, worker]
    if operator:
        base, configured = setup.config.get("PBHUB_BASE_URL") or "", base_url_configured(setup)
        checks += [
            check_secret_key(setup.config, setup.environ, reveal=True),
            check_base_url(base, configured),
            check_base_url_answers(base, configured, setup.version),
            check_outbound_hosts(
                setup.config.get("PBHUB_OUTBOUND_ALLOWED_HOSTS") or "", reveal=True
            ),
        ]
    checks.append(
        check_country_database(
            setup.lookup, setup.config.get("PBHUB_COUNTRY_HEADER"), local_now().date()
        )
    )
    checks.append(clock)
    return checks


def overall(checks: Iterable[Check]) -> str:
    """``ok``; ``degraded`` when something warns or fails; ``failing`` for the latter."""
    statuses = {check.status for check in checks}
    if FAIL in statuses:
        return "failing"
    return "degraded" if WARN in statuses else "ok"


def stores_data(checks: Iterable[Check]) -> bool:
    """Whether this process can store a conversion: its database answers and has the
    schema this code writes."""
    return not any(
        check.name in ("database", "migrations") and check.status == FAIL for check in checks
    )


# -- the database --------------------------------------------------------------------------


def database_checks(
    engine: Engine, migrations: str | Path, *, shown: str | None
) -> tuple[Check, Check, Check]:
    """The database, its migrations and its clock, over one connection: when the
    database does not answer, the other two are not asked."""
    where = f" at {shown}" if shown else ""
    unasked = "not checked: the database does not answer"
    missing = _missing_sqlite_file(engine)
    if missing is not None:
        down = Check(
            "database",
            FAIL,
            f"there is no database file{f' at {missing}' if shown else ''} yet",
            "Run pbhub db upgrade to create it.",
        )
        absent = "not checked: there is no database yet"
        return down, Check("migrations", SKIP, absent), Check("clock", SKIP, absent)
    try:
        with engine.connect() as connection:
            started = perf_counter()
            connection.execute(text("SELECT 1"))
            took = (perf_counter() - started) * 1000
            database = Check("database", OK, f"reachable{where}, answered in {took:.1f} ms")
            return database, check_migrations(connection, migrations), check_clock(connection)
    except SQLAlchemyError as exc:
        down = Check(
            "database",
            FAIL,
            f"cannot reach the database{where} ({database_reason(exc)})",
            "Start the database server, or correct DATABASE_URL; postbacks answer 503 "
            "until it answers.",
        )
        return down, Check("migrations", SKIP, unasked), Check("clock", SKIP, unasked)


def check_migrations(connection: Connection, migrations: str | Path) -> Check:
    """The database's Alembic revision against the code's newest.

    Behind is a failure: this code writes columns the database lacks. Ahead (a newer
    version already upgraded it, as during a rolling upgrade) is a warning: the old
    processes keep working until they are restarted.
    """
    try:
        head, known = _code_revisions(str(migrations))
    except (CommandError, OSError):
        return Check(
            "migrations",
            WARN,
            "cannot read this version's migrations: the install is missing its migrations "
            "directory",
            "Reinstall the hub (pip install or pipx install again); pbhub db upgrade needs "
            "them too.",
        )
    try:
        current = current_revision(connection)
        tables = set(inspect(connection).get_table_names()) if current is None else set()
    except SQLAlchemyError as exc:
        _rollback(connection)
        return Check(
            "migrations",
            FAIL,
            f"cannot read the database's revision ({database_reason(exc)})",
            "Check that DATABASE_URL's user may read the database's tables.",
        )
    upgrade = "Run pbhub db upgrade, then restart the web and worker processes."
    if current == head:
        return Check("migrations", OK, f"at revision {head}, the newest")
    if current is None and "conversions" in tables:
        return Check(
            "migrations",
            WARN,
            "the tables exist but the database records no revision: they were not made "
            "by pbhub db upgrade, and the next upgrade would try to create them again",
            f"If they are this version's tables, record that with pbhub dev db stamp {head}.",
        )
    if current is None:
        return Check("migrations", FAIL, "the database is empty: no migration was applied", upgrade)
    if current not in known:
        return Check(
            "migrations",
            WARN,
            f"at revision {current}, which this version does not know: a newer version "
            "upgraded the database",
            "Install that version here too and restart the web and worker processes.",
        )
    return Check("migrations", FAIL, f"at revision {current}; this version needs {head}", upgrade)


def check_clock(connection: Connection) -> Check:
    """This machine's clock against the database's: a click stamped by one and a
    conversion by the other must agree on which came first and how long apart."""
    if connection.dialect.name != "postgresql":
        return Check("clock", SKIP, "not needed: SQLite is a file on this machine's own clock")
    try:
        before = local_now()
        theirs = connection.execute(text("SELECT clock_timestamp()")).scalar_one()
        after = local_now()
    except SQLAlchemyError as exc:
        _rollback(connection)
        return Check(
            "clock", SKIP, f"not checked: the database did not answer ({database_reason(exc)})"
        )
    skew = (theirs - (before + (after - before) / 2)).total_seconds()
    side = "behind" if skew > 0 else "ahead of"
    found = f"this machine's clock is {abs(skew):.1f} s {side} the database's"
    if abs(skew) <= CLOCK_WARN_SECONDS:
        return Check("clock", OK, f"within {abs(skew):.3f} s of the database's clock")
    return Check(
        "clock",
        FAIL if abs(skew) > CLOCK_FAIL_SECONDS else WARN,
        found,
        "Keep both clocks synchronised with NTP (chrony or systemd-timesyncd) on this "
        "machine and on the database server.",
    )


@lru_cache(maxsize=4)
def _code_revisions(directory: str) -> tuple[str, frozenset[str]]:
    """Read once per process: the code a process runs does not change under it."""
    return head_revision(directory), known_revisions(directory)


def _rollback(connection: Connection) -> None:
    try:
        connection.rollback()
    except SQLAlchemyError:
        connection.invalidate()


#: What a driver's message means, in words (the first match wins).
DATABASE_REASONS = (
    ("connection refused", "connection refused"),
    ("password authentication failed", "the password was refused"),
    ("no password supplied", "it needs a password"),
    ("does not exist", "the database or its user does not exist"),
    ("could not translate host name", "the host name does not resolve"),
    ("name or service not known", "the host name does not resolve"),
    ("nodename nor servname", "the host name does not resolve"),
    ("failed to resolve", "the host name does not resolve"),
    ("timeout", "no answer in time"),
    ("timed out", "no answer in time"),
    ("server closed the connection", "the server closed the connection"),
    ("unable to open database file", "the file cannot be opened"),
    ("database is locked", "another process holds the file's lock"),
    ("permission denied", "permission denied"),
)


def database_reason(exc: BaseException) -> str:
    """Why a database call failed, as a phrase (never the driver's message itself)."""
    message = str(exc.orig if isinstance(exc, DBAPIError) else exc).lower()
    for marker, reason in DATABASE_REASONS:
        if marker in message:
            return reason
    return "the connection failed"


def _missing_sqlite_file(engine: Engine) -> str | None:
    """The path of a SQLite file that does not exist: connecting would create it empty,
    and a check must not leave a file behind."""
    url = engine.url
    path = url.database or ""
    if url.get_backend_name() != "sqlite" or path in ("", ":memory:") or path.startswith("file:"):
        return None
    return None if Path(path).exists() else path


def _engine_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


# -- Redis and the workers -----------------------------------------------------------------


def redis_client(url: str, timeout: float = REDIS_TIMEOUT) -> Redis:
    """A client that gives up quickly: a check must not hang on an unreachable Redis."""
    from redis import Redis

    return Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)


def check_redis(url: str | None, client: Redis | None, *, shown: str | None) -> Check:
    if not url or client is None:
        return Check(
            "redis",
            OK,
            "not configured: background jobs run inside the web process (the embedded default)",
        )
    from redis.exceptions import RedisError

    where = f" at {shown}" if shown else ""
    started = perf_counter()
    try:
        client.ping()
    except RedisError as exc:
        return Check(
            "redis",
            FAIL,
            f"cannot connect to Redis{where} ({redis_reason(exc)})",
            "Start Redis, or correct REDIS_URL; unset REDIS_URL to run jobs in the web process.",
        )
    took = (perf_counter() - started) * 1000
    return Check("redis", OK, f"reachable{where}, answered in {took:.1f} ms")


def check_worker(client: Redis | None, url: str | None, queue_name: str) -> Check:
    """Whether an RQ worker is taking jobs.

    RQ's workers refresh ``last_heartbeat`` after each job and, while idle, only every
    ``worker_ttl - 15`` seconds (405 with RQ's defaults): an idle worker's heartbeat is
    minutes old. Every worker of this hub also runs RQ's scheduler, whose lock the holder
    refreshes each second with a 61-second expiry; a held lock therefore says a worker was
    alive within the last minute even when every heartbeat is old.

    No worker at all is a failure: conversions are stored, but deliveries and Keitaro
    syncs wait in Redis until one starts.
    """
    if not url:
        return Check("worker", SKIP, "not needed: without Redis the web process runs jobs itself")
    if client is None:
        return Check("worker", SKIP, "not checked: Redis does not answer")
    from redis.exceptions import RedisError
    from rq import Queue, Worker
    from rq.scheduler import RQScheduler
    from rq.worker import WorkerStatus

    try:
        workers = [w for w in Worker.all(queue=Queue(queue_name, connection=client)) if w]
        scheduler = bool(client.exists(RQScheduler.get_locking_key(queue_name)))
    except RedisError as exc:
        return Check("worker", SKIP, f"not checked: Redis stopped answering ({redis_reason(exc)})")
    start = "Start one with pbhub worker (the Procfile's worker line) where REDIS_URL is set."
    if not workers:
        return Check(
            "worker",
            FAIL,
            f"no worker is running on queue {queue_name}: conversions are stored, but "
            "deliveries and Keitaro syncs wait until one starts",
            start,
        )
    now = local_now()
    ages = [(now - w.last_heartbeat).total_seconds() for w in workers if w.last_heartbeat]
    busy = any(w.get_state() == WorkerStatus.BUSY for w in workers)
    count = _plural(len(workers), "worker")
    if scheduler or busy or any(age <= WORKER_SEEN_SECONDS for age in ages):
        return Check("worker", OK, f"{count} on queue {queue_name}, seen within the last minute")
    last = f" (the last heartbeat was {_duration(min(ages))} ago)" if ages else ""
    return Check(
        "worker",
        WARN,
        f"{count} registered on queue {queue_name}, none seen in the last minute{last}",
        "A killed worker stays registered for up to 8 minutes: check the worker "
        f"processes and their logs, and restart them. {start}",
    )


def redis_reason(exc: BaseException) -> str:
    """Why a Redis call failed, as a phrase."""
    from redis.exceptions import AuthenticationError, ResponseError
    from redis.exceptions import TimeoutError as RedisTimeout

    if isinstance(exc, AuthenticationError):
        return "the password was refused"
    if isinstance(exc, RedisTimeout):
        return "no answer in time"
    if isinstance(exc, ResponseError):
        return "it needs a password" if "NOAUTH" in str(exc) else "it refused the command"
    for cause in _chain(exc):
        if isinstance(cause, socket.gaierror):
            return "the host name does not resolve"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, TimeoutError):
            return "no answer in time"
    message = str(exc).lower()
    if "refused" in message:
        return "connection refused"
    if "name or service not known" in message or "nodename" in message:
        return "the host name does not resolve"
    return "the connection failed"


def _chain(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


# -- SECRET_KEY ----------------------------------------------------------------------------


def check_secret_key(
    config: Mapping[str, Any], environ: Mapping[str, str], *, reveal: bool = True
) -> Check:
    """Long enough is not enough: a placeholder or a pattern is guessed, and every
    token, session and stored secret's key is derived from it. ``reveal=False`` keeps
    what makes it guessable out of the summary (``/healthz``: a hint to an attacker)."""
    key = str(config.get("SECRET_KEY") or "")
    from_environment = bool(environ.get("SECRET_KEY"))
    weakness = secret_key_weakness(key)
    if weakness is None:
        origin = "set in SECRET_KEY" if from_environment else "generated on first start"
        return Check("secret_key", OK, f"{origin}, {len(key)} characters, no pattern found")
    where = "SECRET_KEY" if from_environment else "the key generated on first start"
    return Check(
        "secret_key",
        FAIL,
        f"{where} {weakness if reveal else 'is guessable'}: anyone who guesses it can forge "
        "click tokens and sessions",
        f"Generate one with {GENERATE_KEY} and set SECRET_KEY to it for every web and worker "
        "process. Changing it invalidates outstanding _cid tokens, sessions and invitation "
        "links, and stored secrets (inbound tokens, signing secrets, Keitaro keys) must be "
        "rotated or entered again.",
    )


def secret_key_weakness(key: str) -> str | None:
    """What makes ``key`` guessable, as a phrase; None when nothing does."""
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    letters = "".join(c for c in key.lower() if c.isalpha())
    rest = letters
    for word in PLACEHOLDER_WORDS:
        rest = rest.replace(word, "")
    if rest != letters and len(set(rest)) < MIN_DISTINCT_CHARACTERS:
        return "is a well-known placeholder (such as change-me or secret), repeated or padded"
    distinct = len(set(key))
    if distinct < MIN_DISTINCT_CHARACTERS:
        return f"uses only {_plural(distinct, 'different character')}"
    period = _period(key)
    if period is not None:
        return f"repeats the same {period} characters"
    return None


def _period(key: str) -> int | None:
    """The length of the shortest block ``key`` repeats, if it repeats one at least twice."""
    for size in range(1, len(key) // 2 + 1):
        if all(key[i] == key[i % size] for i in range(len(key))):
            return size
    return None


# -- PBHUB_BASE_URL ------------------------------------------------------------------------


LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def base_url_configured(setup: Setup) -> bool:
    """Set by the operator (environment, or the app's config), not the built-in default."""
    base = setup.config.get("PBHUB_BASE_URL") or ""
    return bool(setup.environ.get("PBHUB_BASE_URL", "").strip()) or base != configured_base_url({})


def check_base_url(base: str, configured: bool) -> Check:
    """Networks call the Postback URLs built from it: it must be public, and https
    keeps their tokens off the wire."""
    if not configured:
        return Check(
            "base_url",
            WARN,
            f"PBHUB_BASE_URL is not set: Postback, Track and invitation links use {base}, "
            "which no network can reach",
            "Set PBHUB_BASE_URL to the public https:// address of this hub, such as "
            "https://hub.example.com.",
        )
    parts = urlsplit(base)
    if parts.scheme == "https":
        return Check("base_url", OK, f"{base}, served over https")
    if (parts.hostname or "") in LOCAL_HOSTS:
        return Check("base_url", OK, f"{base}: a local address, reachable from this machine only")
    return Check(
        "base_url",
        WARN,
        f"PBHUB_BASE_URL {base} uses http: Postback URLs carry their tokens unencrypted",
        "Serve the hub behind a TLS proxy (nginx, Caddy) and set PBHUB_BASE_URL to its "
        "https:// address.",
    )


def check_base_url_answers(
    base: str,
    configured: bool,
    version: str,
    get: Callable[..., Any] | None = None,
    timeout: float = PROBE_TIMEOUT,
) -> Check:
    """Whether ``<PBHUB_BASE_URL>/healthz`` answers, and as this hub: a proxy that
    forwards elsewhere answers too."""
    if not configured:
        return Check("base_url_answers", SKIP, "not checked: PBHUB_BASE_URL is not set")
    import requests

    probe = f"{base}/healthz"
    try:
        answer = (get or requests.get)(probe, timeout=timeout)
    except requests.RequestException as exc:
        return Check(
            "base_url_answers",
            FAIL,
            f"nothing answers at {probe} ({probe_reason(exc, timeout)})",
            "Start the web process, and check DNS, the firewall and the proxy in front of "
            "it; networks cannot deliver postbacks until it answers.",
        )
    try:
        body = answer.json()
    except ValueError:
        body = None
    theirs = body.get("version") if isinstance(body, dict) else None
    if not isinstance(theirs, str):
        return Check(
            "base_url_answers",
            FAIL,
            f"{probe} answers (HTTP {answer.status_code}), but not as Postback Hub",
            "Check that the proxy forwards PBHUB_BASE_URL to this hub's web process.",
        )
    if theirs != version:
        return Check(
            "base_url_answers",
            WARN,
            f"{probe} answers as Postback Hub {theirs}, but this is {version}",
            "Restart the web processes after an upgrade, or check which server the proxy "
            "forwards to.",
        )
    return Check("base_url_answers", OK, f"{probe} answers as this hub (version {version})")


def probe_reason(exc: BaseException, timeout: float) -> str:
    """Why an HTTP call failed, as a phrase."""
    import requests

    if isinstance(exc, requests.exceptions.SSLError):
        return "its TLS certificate was not accepted"
    if isinstance(exc, requests.Timeout):
        return f"no answer within {timeout:g} s"
    message = str(exc).lower()
    if "refused" in message:
        return "connection refused"
    if any(m in message for m in ("resolve", "name or service not known", "nodename")):
        return "the host name does not resolve"
    return "the connection failed"


# -- PBHUB_OUTBOUND_ALLOWED_HOSTS ----------------------------------------------------------

#: Addresses a cloud machine reads its own credentials from.
METADATA_ADDRESSES = (
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("fd00:ec2::254"),
)
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
#: Wider than this, an entry opens a whole private network rather than a receiver's.
BROAD_PREFIX = {4: 16, 6: 48}


def check_outbound_hosts(setting: str, *, reveal: bool) -> Check:
    """The exceptions to the SSRF guard: every one is a place an outbound postback URL,
    which operators type, can make this server call."""
    allowed = parse_allowed(setting)
    entries = sorted(allowed.hosts) + [str(network) for network in allowed.networks]
    if not entries:
        return Check(
            "outbound_hosts",
            OK,
            f"{ALLOWED_HOSTS} is empty: outbound calls refuse private and loopback addresses",
        )
    risks = [risk for network in allowed.networks if (risk := _breadth(network))]
    if risks:
        return Check(
            "outbound_hosts",
            WARN,
            f"{ALLOWED_HOSTS} opens {'; '.join(risks)}"
            if reveal
            else f"{ALLOWED_HOSTS} opens a very broad range",
            "List only the receivers' own hosts or small networks (such as 10.1.2.0/24); "
            "any outbound postback URL an operator types may reach what is listed.",
        )
    listed = ", ".join(entries) if reveal else _plural(len(entries), "entry", "entries")
    return Check(
        "outbound_hosts",
        OK,
        f"outbound calls may also reach {listed}; other private and loopback addresses are refused",
    )


def _breadth(network: IPNetwork) -> str | None:
    """Why allowing ``network`` is risky, as a phrase; None when it is a small one."""
    metadata = [str(a) for a in METADATA_ADDRESSES if a.version == network.version and a in network]
    if metadata:
        return (
            f"{network}, which holds the cloud metadata service ({metadata[0]}): a postback "
            "URL could read this machine's cloud credentials"
        )
    loopback = any(network.subnet_of(n) for n in LOOPBACK if n.version == network.version)
    if not loopback and network.prefixlen < BROAD_PREFIX[network.version]:
        return f"{network} ({network.num_addresses:,} addresses)"
    return None


# -- the country database ------------------------------------------------------------------


def check_country_database(lookup: CountryLookup, header: str | None, today: date) -> Check:
    """Which database names clicks' countries, and how old its data is: blocks change
    hands every week."""
    if isinstance(lookup, NoLookup):
        if header:
            return Check(
                "country_database", OK, f"off: countries come from the {header} header only"
            )
        return Check(
            "country_database",
            WARN,
            "off (PBHUB_GEOIP_DB=off): clicks get no country",
            "Unset PBHUB_GEOIP_DB to use the registries' data iptocc ships, or set it to a "
            "GeoLite2 or GeoIP2 Country .mmdb file.",
        )
    built: date | None = None
    refresh = "Restart the web and worker processes after updating it."
    if isinstance(lookup, RegistryLookup):
        built = iptocc_built()
        refresh = f"Update it with pip install -U iptocc in the hub's virtualenv. {refresh}"
    elif isinstance(lookup, MaxMindLookup):
        built = maxmind_built(lookup)
        refresh = f"Update the file with geoipupdate. {refresh}"
    if built is None:
        return Check("country_database", OK, f"{lookup.name}, built on an unknown date")
    found = (
        f"{lookup.name}, data from {built.isoformat()} ({_plural((today - built).days, 'day')} old)"
    )
    if today - built > COUNTRY_DATA_MAX_AGE:
        return Check("country_database", WARN, found, refresh)
    return Check("country_database", OK, found)


@lru_cache(maxsize=1)
def iptocc_built() -> date | None:
    """When the installed iptocc was built (its bill of materials says), or else when it
    was installed: the registries' data is compiled in, so either dates the data."""
    try:
        distribution = metadata.distribution("iptocc")
    except metadata.PackageNotFoundError:
        return None
    for file in distribution.files or ():
        if "sboms" in file.parts and file.name.endswith(".json"):
            try:
                stamp = json.loads(file.read_text())["metadata"]["timestamp"]
                return datetime.fromisoformat(stamp[:19]).date()
            except (OSError, ValueError, KeyError, TypeError):
                break
    for file in distribution.files or ():
        if file.name == "METADATA":
            try:
                return datetime.fromtimestamp(Path(file.locate()).stat().st_mtime, UTC).date()
            except OSError:
                return None
    return None


def maxmind_built(lookup: MaxMindLookup) -> date | None:
    """The build date of the file this process has open (a file replaced since is read
    by the next start, not by this process)."""
    reader = getattr(lookup, "_reader", None)
    try:
        epoch = reader.metadata().build_epoch if reader is not None else None
    except (AttributeError, ValueError):
        return None
    return datetime.fromtimestamp(epoch, UTC).date() if epoch else None


# -- words ---------------------------------------------------------------------------------


def masked_url(url: str) -> str:
    """``url`` with its password (in the authority or the query) replaced by ``***``; the
    rest exactly as written."""
    parts = urlsplit(url)
    masked = url
    if parts.password is not None:
        userinfo, _, host = parts.netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        masked = masked.replace(f"//{parts.netloc}", f"//{user}:***@{host}", 1)
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        query = urlencode(
            [(name, "***" if "pass" in name.lower() else value) for name, value in pairs],
            safe="*",
        )
        before, _, after = masked.partition("?")
        fragment = after.partition("#")[2]
        masked = f"{before}?{query}" + (f"#{fragment}" if fragment else "")
    return masked


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"
