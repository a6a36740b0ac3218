"""Keitaro's clicks and catalogue brought into the hub.

Click import reads ``clicks/log`` from the cursor (the newest click time seen) minus an
overlap, because a tracker writes clicks a little late and out of order; every click is
upserted by (connection, sub id), so reading a window twice changes nothing. One import
per connection runs at a time: a lease in the connection's row, taken by compare-and-set,
so several workers on several hosts never import the same connection at once.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Column,
    MetaData,
    String,
    Table,
    Text,
    and_,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from app.core.countries import stored_code
from app.extensions import conflict_insert, db
from app.keitaro.client import Keitaro
from app.keitaro.pages import positive_id
from app.keitaro.times import tracker_text
from app.models import Click, Conversion, KeitaroConnection, KeitaroSyncRun, Source
from app.models.bulk import insert_rows
from app.models.types import utcnow
from app.services import keitaro_catalogue as catalogue

CLICK_COLUMNS = (
    "sub_id",
    "datetime",
    "campaign_id",
    "offer_id",
    "ts_id",
    "affiliate_network_id",
    "country_code",
    "external_id",
)
WRITE_BATCH = 500
LATE_NOTE = "click_id: its Keitaro click was imported after the postback"
#: What a re-read click may change; its identity (connection, sub id, origin) stays.
UPDATED_ON_CONFLICT = (
    "source_id",
    "clicked_at",
    "tracker_campaign_id",
    "tracker_offer_id",
    "tracker_traffic_source_id",
    "country",
    "external_id",
)
LEASE = timedelta(minutes=15)

Progress = Callable[[int], None]


@dataclass(frozen=True)
class ImportWindow:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class ImportResult:
    window: ImportWindow
    #: Clicks new to the hub; ``seen`` counts every usable row read (overlap included).
    rows: int
    seen: int
    skipped: int
    cursor: datetime | None
    #: Conversions matched (or expired) because their click arrived after them.
    rematched: list[int] = field(default_factory=list)

    @property
    def matched_late(self) -> int:
        return len(self.rematched)


class Busy(Exception):
    """Another process is importing this connection's clicks right now."""


class LeaseLost(Exception):
    """This import ran past its lease and another took over; it stops writing."""


def import_window(
    row: KeitaroConnection,
    now: datetime,
    *,
    overlap: timedelta,
    backfill: timedelta,
    since: datetime | None = None,
    until: datetime | None = None,
) -> ImportWindow:
    if since is None:
        since = row.clicks_cursor - overlap if row.clicks_cursor else now - backfill
    return ImportWindow(since, min(until or now, now))


def claim(connection_id: int, now: datetime) -> str | None:
    """Take the import lease; its token, or None while another holds it."""
    token = secrets.token_hex(16)
    taken = db.session.execute(
        update(KeitaroConnection)
        .where(
            KeitaroConnection.id == connection_id,
            or_(
                KeitaroConnection.clicks_lease_until.is_(None),
                KeitaroConnection.clicks_lease_until < now,
            ),
        )
        .values(clicks_lease_until=now + LEASE, clicks_lease_token=token)
    ).rowcount
    db.session.commit()
    return token if taken else None


def import_clicks(
    row: KeitaroConnection,
    client: Keitaro,
    window: ImportWindow,
    *,
    now: Callable[[], datetime] = utcnow,
    page_size: int = 1000,
    progress: Progress | None = None,
    on_total: Progress | None = None,
) -> ImportResult:
    """Upsert every click of the window, oldest first.

    After each batch the cursor moves to the batch's newest click and the lease is
    renewed, in one update that holds only while this import still owns the lease: an
    import cut short (a killed worker, a job timeout, a tracker that stopped answering)
    keeps what it did, and the next one goes on from there instead of starting over.
    """
    token = claim(row.id, now())
    if token is None:
        raise Busy(f"clicks of {row.name!r} are being imported by another process")
    run = KeitaroSyncRun(
        connection_id=row.id, kind="clicks", range_from=window.start, range_to=window.end
    )
    db.session.add(run)
    db.session.commit()
    run_id, connection_id = run.id, row.id
    zone = client.timezone
    query = {
        "range": {
            "from": tracker_text(window.start, zone),
            "to": tracker_text(window.end, zone),
            "timezone": zone.key,
        },
        "columns": list(CLICK_COLUMNS),
        "sort": [{"name": "datetime", "order": "ASC"}],
    }
    written = seen = skipped = 0
    late: list[int] = []
    cursor = row.clicks_cursor
    try:
        target = _Target.of(row)
        pages = client.clicks.iter_log(query, page_size=page_size, on_total=on_total)
        for batch in _batches(pages, WRITE_BATCH):
            values, bad = _click_values(target, client, batch)
            new = _upsert(connection_id, values)
            rematched = rematch(
                [(v["click_id"], v["clicked_at"], v["country"]) for v in values], now()
            )
            newest = max((v["clicked_at"] for v in values), default=None)
            if newest is not None:
                cursor = max(cursor or newest, min(newest, window.end))
            _advance(connection_id, token, cursor, now(), imported=new)
            db.session.execute(
                update(KeitaroSyncRun).where(KeitaroSyncRun.id == run_id).values(rows=written + new)
            )
            db.session.commit()
            written, seen, skipped = written + new, seen + len(values), skipped + bad
            late += rematched
            if progress:
                progress(len(batch))
    except Exception as exc:
        db.session.rollback()
        error = f"{type(exc).__name__}: {exc}"
        _finish(connection_id, token, run_id, now(), rows=written, error=error)
        raise
    _finish(connection_id, token, run_id, now(), rows=written)
    return ImportResult(window, written, seen, skipped, cursor, late)


@dataclass(frozen=True)
class _Target:
    """Where a connection's clicks count: mapped affiliate networks, else its source.
    Mappings to sources deleted since are dropped rather than failing every insert."""

    connection_id: int
    source_id: int | None
    networks: dict[int, int]  # offer id -> affiliate network id
    sources: dict[str, int]  # affiliate network id -> hub source id

    @classmethod
    def of(cls, row: KeitaroConnection) -> _Target:
        mapping = {str(k): int(v) for k, v in (row.source_map or {}).items() if v}
        existing = set(
            db.session.scalars(select(Source.id).where(Source.id.in_(set(mapping.values()))))
        )
        return cls(
            row.id,
            row.source_id,
            catalogue.offer_networks(row.id),
            {k: v for k, v in mapping.items() if v in existing},
        )


def _batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _click_values(
    target: _Target, client: Keitaro, batch: list[Any]
) -> tuple[list[dict[str, Any]], int]:
    values, skipped = [], 0
    for item in batch:
        try:
            values.append(_click(target, client, item))
        except (ValueError, TypeError, KeyError, AttributeError):
            skipped += 1
    # Offset pages shift when clicks arrive meanwhile, so a click may come twice; the
    # batch's one upsert statement may touch a row only once: the last copy is written.
    unique = {v["click_id"]: v for v in values}
    return list(unique.values()), skipped


def _click(target: _Target, client: Keitaro, item: dict[str, Any]) -> dict[str, Any]:
    sub_id = str(item["sub_id"]).strip()
    if not sub_id or len(sub_id) > 128:
        raise ValueError("no usable sub_id")
    clicked_at = client.parse_time(item["datetime"])
    if clicked_at is None:
        raise ValueError("no datetime")
    offer_id = positive_id(item.get("offer_id"))
    network_id = positive_id(item.get("affiliate_network_id")) or target.networks.get(
        offer_id or -1
    )
    mapped = target.sources.get(str(network_id)) if network_id else None
    country = stored_code(item.get("country_code"))
    external = str(item.get("external_id") or "").strip() or None
    return {
        "connection_id": target.connection_id,
        "click_id": sub_id,
        "origin": "keitaro",
        "source_id": mapped or target.source_id,
        "clicked_at": clicked_at,
        "tracker_campaign_id": positive_id(item.get("campaign_id")),
        "tracker_offer_id": offer_id,
        "tracker_traffic_source_id": positive_id(item.get("ts_id")),
        "country": country,
        "external_id": external[:255] if external else None,
    }


#: The columns an imported click writes (``_click``'s keys): its identity, then the rest.
IMPORTED_COLUMNS = ("connection_id", "click_id", "origin", *UPDATED_ON_CONFLICT)


def _staged(column: Column[Any]) -> Column[Any]:
    return Column(column.name, Text() if isinstance(column.type, String) else column.type)


#: PostgreSQL: a batch is copied into this session's own staging table, then upserted
#: from it in one statement. Rendering and binding a 500-row ``VALUES`` list cost the
#: driver more than the database's whole upsert. The stage's text columns are
#: unbounded, so a stage made before a migration widened one still takes every value (the
#: insert into ``clicks`` checks the real limits); it empties itself at each commit, in
#: place, and the import commits every batch.
_STAGE = Table(
    "keitaro_click_stage",
    MetaData(),
    *(_staged(Click.__table__.c[name]) for name in IMPORTED_COLUMNS),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DELETE ROWS",
)
_STAGE_DDL = str(CreateTable(_STAGE, if_not_exists=True).compile(dialect=postgresql.dialect()))


def _upsert(connection_id: int, values: list[dict[str, Any]]) -> int:
    """Write the batch; the number of clicks that were new."""
    if not values:
        return 0
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        connection = db.session.connection()
        connection.exec_driver_sql(_STAGE_DDL)
        insert_rows(connection, _STAGE, values)
        return sum(db.session.scalars(_upsert_statement(dialect)))
    known = set(
        db.session.scalars(
            select(Click.click_id).where(
                Click.connection_id == connection_id,
                Click.click_id.in_([v["click_id"] for v in values]),
            )
        )
    )
    db.session.execute(_upsert_statement(dialect), values).close()
    return len(values) - len(known)


@cache
def _upsert_statement(dialect: str) -> Any:
    """One statement for every batch; a row that has not changed is left alone (no
    rewrite, no dead tuple on PostgreSQL).

    On SQLite ``RETURNING`` makes SQLAlchemy send a batch as one multi-row statement
    rather than one per row. On PostgreSQL the batch comes
    from the staging table, and ``RETURNING`` says which rows are new (a row written by
    this very insert has no ``xmax``), where a lookup of the batch's ids beforehand could
    be planned, on a table not yet analysed, as a scan of the connection's clicks."""
    table = Click.__table__
    statement = conflict_insert(table, dialect)
    if dialect == "postgresql":
        statement = statement.from_select(
            IMPORTED_COLUMNS, select(*(_STAGE.c[name] for name in IMPORTED_COLUMNS))
        )
    return statement.on_conflict_do_update(
        index_elements=["connection_id", "click_id"],
        index_where=table.c.connection_id.isnot(None),
        set_={name: statement.excluded[name] for name in UPDATED_ON_CONFLICT},
        where=or_(
            *(
                table.c[name].is_distinct_from(statement.excluded[name])
                for name in UPDATED_ON_CONFLICT
            )
        ),
    ).returning(literal_column("xmax = 0") if dialect == "postgresql" else table.c.id)


def rematch(clicks: list[tuple[str, datetime, str | None]], now: datetime) -> list[int]:
    """Conversions that arrived before their Keitaro click was imported: matched (or
    expired, past their source's window) now, as a new revision owed to the outbound
    postbacks (one sending only matched conversions has not had them yet), and given the
    click's country when the network sent none. Each update
    holds only if the conversion is still unmatched at the revision read, so a re-map
    committed meanwhile wins. The ids changed, for their follow-up jobs."""
    if not clicks:
        return []
    times = {click_id: clicked_at for click_id, clicked_at, _ in clicks}
    countries = {click_id: country for click_id, _, country in clicks}
    rows = db.session.execute(
        select(
            Conversion.id,
            Conversion.revision,
            Conversion.click_id,
            Conversion.received_at,
            Conversion.parse_notes,
            Conversion.country,
            Source.attribution_window_days,
        )
        .join(Source, Source.id == Conversion.source_id)
        .where(Conversion.attribution == "unmatched", Conversion.click_id.in_(list(times)))
    ).all()
    changed = []
    for row in rows:
        clicked_at = times[row.click_id]
        late = row.received_at - clicked_at > timedelta(days=row.attribution_window_days)
        done = db.session.execute(
            update(Conversion)
            .where(
                Conversion.id == row.id,
                Conversion.revision == row.revision,
                Conversion.attribution == "unmatched",
            )
            .values(
                attribution="expired" if late else "matched",
                clicked_at=clicked_at,
                country=row.country or stored_code(countries[row.click_id]),
                revision=row.revision + 1,
                dispatch_pending=True,
                updated_at=now,
                parse_notes=[*(row.parse_notes or []), LATE_NOTE],
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if done:
            changed.append(row.id)
    return changed


def _advance(
    connection_id: int, token: str, cursor: datetime | None, when: datetime, *, imported: int
) -> None:
    """Move the cursor and count the batch's new clicks in the batch's own transaction, so
    the count stays what the table holds even when an import dies half-way."""
    held = db.session.execute(
        update(KeitaroConnection)
        .where(
            KeitaroConnection.id == connection_id,
            KeitaroConnection.clicks_lease_token == token,
        )
        .values(
            clicks_cursor=cursor,
            clicks_lease_until=when + LEASE,
            clicks_imported=KeitaroConnection.clicks_imported + imported,
        )
    ).rowcount
    if not held:
        raise LeaseLost("another import took over this connection; stopping")


def _finish(
    connection_id: int,
    token: str,
    run_id: int,
    when: datetime,
    *,
    rows: int,
    error: str | None = None,
) -> None:
    db.session.execute(
        update(KeitaroSyncRun)
        .where(KeitaroSyncRun.id == run_id)
        .values(finished_at=when, rows=rows, error=error[:2000] if error else None)
    )
    values: dict[str, Any] = {
        "clicks_lease_until": None,
        "clicks_lease_token": None,
    }
    if error:
        values.update(clicks_last_error=error[:2000], clicks_last_error_at=when)
    else:
        values.update(clicks_last_success_at=when, clicks_last_error=None)
    db.session.execute(
        update(KeitaroConnection)
        .where(
            KeitaroConnection.id == connection_id,
            KeitaroConnection.clicks_lease_token == token,
        )
        .values(**values)
    )
    db.session.commit()


# -- status ----------------------------------------------------------------------------


def status(row: KeitaroConnection, now: datetime) -> dict[str, Any]:
    """Where the sync stands; "today" is the tracker's day, as its own reports count."""
    local = now.astimezone(ZoneInfo(row.timezone))
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    today = db.session.scalar(
        select(func.count())
        .select_from(Click)
        .where(Click.connection_id == row.id, Click.clicked_at >= day_start)
    )
    last_run = db.session.scalar(
        select(KeitaroSyncRun)
        .where(KeitaroSyncRun.connection_id == row.id, KeitaroSyncRun.kind == "clicks")
        .order_by(KeitaroSyncRun.id.desc())
        .limit(1)
    )
    running = bool(row.clicks_lease_until and row.clicks_lease_until > now)
    return {
        "connection": row.name,
        "sync_enabled": row.sync_enabled,
        "clicks": {
            "cursor": row.clicks_cursor,
            "last_success_at": row.clicks_last_success_at,
            "last_error": row.clicks_last_error,
            "last_error_at": row.clicks_last_error_at,
            "next_run_at": row.clicks_next_at,
            "running": running,
            "imported_total": row.clicks_imported,
            "clicks_today": int(today or 0),
            "last_run": (
                {
                    "started_at": last_run.started_at,
                    "finished_at": last_run.finished_at,
                    "from": last_run.range_from,
                    "to": last_run.range_to,
                    "rows": last_run.rows,
                    "error": last_run.error,
                }
                if last_run
                else None
            ),
        },
        "metadata": {
            "refreshed_at": row.metadata_refreshed_at,
            "last_error": row.metadata_last_error,
            "next_run_at": row.metadata_next_at,
        },
    }


def due_connections(now: datetime, field: str) -> list[int]:
    column = getattr(KeitaroConnection, field)
    return list(
        db.session.scalars(
            select(KeitaroConnection.id).where(
                KeitaroConnection.sync_enabled.is_(True),
                or_(column.is_(None), column <= now),
            )
        )
    )


def reserve(connection_id: int, field: str, now: datetime, interval: timedelta) -> bool:
    """Push the next run time forward by compare-and-set: one scheduler wins a slot."""
    column = getattr(KeitaroConnection, field)
    won = db.session.execute(
        update(KeitaroConnection)
        .where(and_(KeitaroConnection.id == connection_id, or_(column.is_(None), column <= now)))
        .values({field: now + interval})
    ).rowcount
    db.session.commit()
    return bool(won)
