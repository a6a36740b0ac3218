"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.types import TypeDecorator

from app.core.money import MICROS

#: Auto-incrementing 64-bit keys; SQLite only auto-increments a plain INTEGER primary key.
BigId = BigInteger().with_variant(Integer(), "sqlite")
#: The largest value an INTEGER (the key of a small table) and a BIGINT column hold: an id
#: from outside beyond its column's range names no row, and must be told apart before
#: PostgreSQL refuses to compare it.
MAX_INTEGER = 2**31 - 1
MAX_BIGINT = 2**63 - 1


class Money(TypeDecorator):
    """A ``Decimal`` stored as whole millionths in a BIGINT.

    Integers sum exactly on every database (SQLite has no exact decimal type), so
    per-currency totals in stats never drift.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect) -> int | None:  # type: ignore[no-untyped-def]
        if value is None:
            return None
        return int((Decimal(value) * MICROS).to_integral_value())

    def process_result_value(self, value: int | None, dialect) -> Decimal | None:  # type: ignore[no-untyped-def]
        if value is None:
            return None
        return Decimal(int(value)) / MICROS


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:  # type: ignore[no-untyped-def]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:  # type: ignore[no-untyped-def]
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
