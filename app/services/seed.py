"""Synthetic traffic for trying the hub at scale: ``pbhub dev seed``.

Rows look like a busy operator's: Track URL clicks with real ``_cid`` tokens and imported
Keitaro clicks spread over the days asked for, busier in the evening; conversions of every
event, status and currency, most matched to one of those clicks, some unmatched, some
expired, some sent twice, some approved later. Everything is written in bulk: PostgreSQL
``COPY`` (about a million rows in seconds), batched inserts on SQLite. Seeded conversions
are history: no outbound delivery is planned for them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, select, update

from app.core import cid
from app.core.keys import Keyring
from app.extensions import db
from app.models import Click, Conversion, KeitaroConnection, Source, StatusChange
from app.models.bulk import insert_rows
from app.services import sources as source_service

BATCH = 5_000
#: Rows per COPY and commit on PostgreSQL: few round trips, progress still moves.
COPY_BATCH = 50_000
#: What a day of traffic looks like: (event, share, payout range) of conversions.
EVENT_MIX = (
    ("registration", 0.45, (0, 2)),
    ("ftd", 0.18, (20, 150)),
    ("qftd", 0.07, (40, 200)),
    ("deposit", 0.15, (5, 80)),
    ("ngr", 0.05, (1, 30)),
    ("cpa", 0.08, (8, 60)),
    ("unknown", 0.02, (0, 5)),
)
CURRENCIES = ("USD", "USD", "USD", "EUR", "EUR", "GBP")
COUNTRIES = ("DE", "GB", "US", "BR", "IN", "FR", "ES", "IT", "PL", "TR")
USER_AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 Chrome/126.0 Mobile",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari",
)
#: Shares of conversions that are not simply matched and approved.
UNMATCHED, EXPIRED, DUPLICATES, PENDING, REJECTED, APPROVED_LATER = (
    0.12,
    0.02,
    0.05,
    0.10,
    0.04,
    0.06,
)
KEITARO_SHARE = 0.3
#: Clicks kept for conversions to come back on; a click may convert more than once
#: (a registration, then a deposit), as real ones do.
SAMPLE = 200_000
#: Most clicks come in the evening: relative weight of each UTC hour.
HOURLY = (3, 2, 2, 1, 1, 1, 2, 3, 4, 5, 5, 6, 6, 6, 6, 7, 8, 9, 10, 10, 9, 7, 5, 4)


@dataclass
class Plan:
    clicks: int
    conversions: int
    days: int
    sources: int
    seed: int = 7


@dataclass
class Seeded:
    sources: int = 0
    clicks: int = 0
    conversions: int = 0
    duplicates: int = 0
    status_changes: int = 0


Progress = Callable[[int], None]


def seed(plan: Plan, keyring: Keyring, base_url: str, now: datetime, progress: Progress) -> Seeded:
    """Write ``plan``'s rows; ``progress(n)`` after every ``n`` rows (clicks, then
    conversions)."""
    rng = random.Random(plan.seed)
    result = Seeded()
    sources = _sources(plan.sources, keyring, base_url)
    result.sources = len(sources)
    connection = _connection(keyring, sources[0].id)
    start = now - timedelta(days=plan.days)
    #: Marks this run's ids, so that seeding again adds rows instead of colliding.
    run = f"{int(now.timestamp() * 1000):x}"
    moments = _Moments(rng, start, now)

    keep = min(max(plan.conversions, 1), SAMPLE)
    sample: list[tuple[int, str, datetime, str]] = []

    imported = 0

    def clicks() -> Iterator[dict[str, Any]]:
        nonlocal imported
        for n in range(plan.clicks):
            source = sources[n % len(sources)]
            at = moments.next()
            if rng.random() < KEITARO_SHARE:
                click = _keitaro_click(rng, source.id, connection.id, at, f"{run}-{n:x}")
                imported += 1
            else:
                click = _track_click(rng, keyring, source.id, at)
            # Keep a uniform sample of clicks for conversions to come back on.
            if len(sample) < keep:
                sample.append((source.id, click["click_id"], at, click["country"]))
            elif (slot := rng.randrange(n + 1)) < keep:
                sample[slot] = (source.id, click["click_id"], at, click["country"])
            yield click

    result.clicks = _write(Click.__table__, clicks(), progress)
    db.session.execute(
        update(KeitaroConnection)
        .where(KeitaroConnection.id == connection.id)
        .values(clicks_imported=KeitaroConnection.clicks_imported + imported)
    )

    windows = {s.id: timedelta(days=s.attribution_window_days) for s in sources}

    def conversions() -> Iterator[dict[str, Any]]:
        for n in range(plan.conversions):
            yield _conversion(rng, n, run, sources, sample, windows, moments, now)

    result.conversions = _write(Conversion.__table__, conversions(), progress)
    result.duplicates = _duplicates(rng, plan, now)
    result.status_changes = _approved_later(plan)
    db.session.commit()
    return result


# -- rows ---------------------------------------------------------------------------------


class _Moments:
    """Random moments between ``start`` and ``end``, more of them in busy hours."""

    def __init__(self, rng: random.Random, start: datetime, end: datetime) -> None:
        self._rng, self._start = rng, start
        self._days = max((end - start).days, 1)
        self._span = max((end - start).total_seconds(), 1.0)
        #: Each hour as often as its weight: one ``randrange`` picks a weighted hour.
        self._hours = [hour for hour, weight in enumerate(HOURLY) for _ in range(weight)]
        self._midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)

    def next(self) -> datetime:
        """Drawn again when it falls outside the span: clamping would pile the rest of
        today's traffic onto the last instant."""
        rng = self._rng
        while True:
            seconds = (
                rng.randrange(self._days + 1) * 86400
                + self._hours[rng.randrange(len(self._hours))] * 3600
                + rng.random() * 3600
            )
            offset = (self._midnight - self._start).total_seconds() + seconds
            if 0.0 <= offset <= self._span:
                return self._start + timedelta(seconds=offset)


def _track_click(
    rng: random.Random, keyring: Keyring, source_id: int, at: datetime
) -> dict[str, Any]:
    country = rng.choice(COUNTRIES)
    return {
        "source_id": source_id,
        "click_id": cid.mint(keyring.click_token, source_id, at, country),
        "origin": "track",
        "clicked_at": at,
        "ip_hash": f"{rng.getrandbits(128):032x}",
        "user_agent": rng.choice(USER_AGENTS),
        "referrer": None,
        "params": {"sub1": f"c{rng.randrange(1, 400)}", "sub2": rng.choice(COUNTRIES).lower()},
        "connection_id": None,
        "tracker_campaign_id": None,
        "tracker_offer_id": None,
        "tracker_traffic_source_id": None,
        "country": country,
        "external_id": None,
    }


def _keitaro_click(
    rng: random.Random, source_id: int, connection_id: int, at: datetime, serial: str
) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "click_id": f"kt{serial}",
        "origin": "keitaro",
        "clicked_at": at,
        "ip_hash": None,
        "user_agent": rng.choice(USER_AGENTS),
        "referrer": None,
        "params": None,
        "connection_id": connection_id,
        "tracker_campaign_id": rng.randrange(1, 40),
        "tracker_offer_id": rng.randrange(1, 120),
        "tracker_traffic_source_id": rng.randrange(1, 12),
        "country": rng.choice(COUNTRIES),
        "external_id": None,
    }


def _event(rng: random.Random) -> tuple[str, tuple[int, int]]:
    event, _, payout = rng.choices(EVENT_MIX, [share for _, share, _ in EVENT_MIX])[0]
    return event, payout


def _conversion(
    rng: random.Random,
    n: int,
    run: str,
    sources: list[Source],
    sample: list[tuple[int, str, datetime, str]],
    windows: dict[int, timedelta],
    moments: _Moments,
    now: datetime,
) -> dict[str, Any]:
    event, (low, high) = _event(rng)
    roll = rng.random()
    if sample and roll >= UNMATCHED:
        source_id, click_id, clicked_at, country = sample[n % len(sample)]
        delay = timedelta(minutes=rng.expovariate(1 / 240))
        if roll < UNMATCHED + EXPIRED:
            attribution, delay = "expired", windows[source_id] + timedelta(days=1)
        else:
            attribution = "matched"
        received_at = clicked_at + delay
        if received_at > now:
            # Its postback has not come yet: it arrived some time since the click instead
            # (clamping to ``now`` would pile these on the last instant).
            attribution, received_at = "matched", clicked_at + (now - clicked_at) * rng.random()
    else:
        source_id = sources[n % len(sources)].id
        click_id, clicked_at, attribution, country = f"ext{n:x}", None, "unmatched", None
        received_at = moments.next()
    status_roll = rng.random()
    status = (
        "pending"
        if status_roll < PENDING + APPROVED_LATER
        else "rejected"
        if status_roll < PENDING + APPROVED_LATER + REJECTED
        else "approved"
    )
    currency = rng.choice(CURRENCIES)
    payout = Decimal(rng.randrange(low * 100, high * 100 + 1)) / 100
    transaction_id = f"T{run}-{n:08d}"
    return {
        "source_id": source_id,
        "received_at": received_at,
        "updated_at": received_at,
        "attribution": attribution,
        "event_type": event,
        "raw_event": event,
        "status": status,
        "raw_status": status,
        "click_id": click_id,
        "clicked_at": clicked_at,
        "transaction_id": transaction_id,
        "gross_amount": payout * 4 if event in ("ftd", "deposit", "ngr") else None,
        "gross_currency": currency if event in ("ftd", "deposit", "ngr") else None,
        "payout_amount": payout,
        "payout_currency": currency,
        "external_user_id": f"u{rng.randrange(10**7)}",
        "country": country,
        "dedupe_key": f"tx:{source_id}:{event}:{transaction_id}",
        "duplicate_of_id": None,
        "revision": 0,
        "planned_revision": 0,
        "dispatch_pending": False,
        "parse_notes": [],
        "raw_request": {
            "method": "GET",
            "path": "/pb/…",
            "query": {"click_id": click_id, "event": event, "payout": str(payout)},
            "seeded": True,
        },
    }


# -- the set-up rows ----------------------------------------------------------------------


def _sources(count: int, keyring: Keyring, base_url: str) -> list[Source]:
    """``count`` seed networks, created once and reused by later seeds."""
    existing = {s.name: s for s in source_service.list_sources()}
    made = []
    for n in range(1, count + 1):
        name = f"Seed network {n}"
        if name in existing:
            made.append(existing[name])
            continue
        source, _ = source_service.create_source(
            {"name": name, "platform": "seed", "offer_url": f"https://offer{n}.example/lp"},
            keyring,
            base_url,
        )
        made.append(source)
    return made


def _connection(keyring: Keyring, source_id: int) -> KeitaroConnection:
    """A Keitaro connection for the imported clicks; it points nowhere and never syncs."""
    row = db.session.scalar(select(KeitaroConnection).where(KeitaroConnection.name == "seed"))
    if row is None:
        row = KeitaroConnection(
            name="seed",
            url="https://tracker.invalid",
            api_key_ciphertext=keyring.encrypt("seed"),
            timezone="UTC",
            source_id=source_id,
            source_map={},
            sync_enabled=False,
            is_default=False,
        )
        db.session.add(row)
        db.session.commit()
    return row


# -- writing in bulk ----------------------------------------------------------------------


def _write(table: Table, rows: Iterator[dict[str, Any]], progress: Progress) -> int:
    written = 0
    batch: list[dict[str, Any]] = []
    size = COPY_BATCH if db.engine.dialect.name == "postgresql" else BATCH
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            written += _flush(table, batch)
            progress(len(batch))
            batch = []
    if batch:
        written += _flush(table, batch)
        progress(len(batch))
    return written


def _flush(table: Table, batch: list[dict[str, Any]]) -> int:
    insert_rows(db.session.connection(), table, batch)
    db.session.commit()
    return len(batch)


# -- what comes after the bulk ------------------------------------------------------------


def _retried(rng: random.Random, received_at: datetime, now: datetime) -> datetime:
    """When a network's retry of a postback arrived: seconds to minutes later, or some
    time since the original when that would be after ``now`` (clamping to ``now`` would
    pile the retries of the newest conversions on the last instant)."""
    retried = received_at + timedelta(seconds=rng.randrange(5, 900))
    return retried if retried <= now else received_at + (now - received_at) * rng.random()


def _duplicates(rng: random.Random, plan: Plan, now: datetime) -> int:
    """Repeats of a share of conversions, as networks retry: stored, never counted."""
    count = int(plan.conversions * DUPLICATES)
    if not count:
        return 0
    originals = (
        db.session.execute(select(Conversion.__table__).order_by(Conversion.id.desc()).limit(count))
        .mappings()
        .all()
    )
    rows = [
        {
            **{k: v for k, v in row.items() if k != "id"},
            "attribution": "duplicate",
            "dedupe_key": None,
            "duplicate_of_id": row["id"],
            "received_at": _retried(rng, row["received_at"], now),
        }
        for row in originals
    ]
    return _write(Conversion.__table__, iter(rows), lambda _n: None)


def _approved_later(plan: Plan) -> int:
    """Some pending conversions were approved afterwards: status, history, revision."""
    count = int(plan.conversions * APPROVED_LATER)
    if not count:
        return 0
    ids = db.session.scalars(
        select(Conversion.id)
        .where(Conversion.status == "pending", Conversion.attribution != "duplicate")
        .order_by(Conversion.id)
        .limit(count)
    ).all()
    changes = []
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = db.session.execute(
            select(Conversion.id, Conversion.received_at).where(Conversion.id.in_(chunk))
        ).all()
        changes.extend(
            {
                "conversion_id": row_id,
                "revision": 1,
                "changed_at": received_at + timedelta(hours=6),
                "from_status": "pending",
                "to_status": "approved",
                "raw_status": "approved",
                "raw_request": {"seeded": True},
            }
            for row_id, received_at in rows
        )
        db.session.execute(
            Conversion.__table__.update()
            .where(Conversion.id.in_(chunk))
            .values(status="approved", raw_status="approved", revision=1, planned_revision=1)
        )
    return _write(StatusChange.__table__, iter(changes), lambda _n: None)
