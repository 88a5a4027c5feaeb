"""What every table is built from: timezone-aware UTC timestamps, CHECK constraints for columns
that hold one of a few words, and the largest id a row can have."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import CheckConstraint, DateTime, TypeDecorator

# Primary keys are 32-bit integers. A larger number from outside names no row, and PostgreSQL
# refuses to compare it with the column (an error, not an empty result), so callers check first.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out; SQLite drops the offset, so it is put back on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def enum_check(column: str, values: tuple[str, ...]) -> CheckConstraint:
    """A CHECK that `column` holds one of `values` (or is null), named `<column>_valid`."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=f"{column}_valid")


def exists_on(dialect_name: str):
    """Alembic's `include_object` for a database of `dialect_name`: leaves out a schema object
    declared for another dialect only (`Index(...).ddl_if(dialect="postgresql")`, e.g. the search
    indexes that need pg_trgm), which autogenerate would otherwise want to add on SQLite."""
    def include_object(obj, name, type_, reflected, compare_to):
        only = getattr(obj, "_ddl_if", None)
        return not (only and only.dialect and only.dialect != dialect_name)
    return include_object
