"""The few things the reports need that PostgreSQL and SQLite spell differently: seconds between
two timestamps, the larger/smaller of two, percentiles, and counting timestamps per local day (when
a label or an agent narrows the rows down; see app.reports.figures._count_by_day).

Percentiles have a PostgreSQL form (percentile_cont) and a SQLite form built to give the same
numbers; tests/reports run the same fixed data through both (docs/architecture.md#reports)."""
from __future__ import annotations

import math
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Float, Integer, bindparam, case, cast, func, literal, literal_column, select, values
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import ColumnElement, Select, column

from app.extensions import db

# SQLite has no time zones: timestamps are counted in 15-minute UTC slots and each slot is given
# its local day in Python. Every zone's offset is a multiple of 15 minutes, so a local midnight
# never falls inside a slot and the days come out exactly as PostgreSQL's AT TIME ZONE makes them.
SLOT_SECONDS = 900


def dialect() -> str:
    return db.session.get_bind().dialect.name


def seconds_between(start: ColumnElement, end: ColumnElement) -> ColumnElement:
    """end - start in whole seconds (rounded: SQLite keeps milliseconds, PostgreSQL microseconds)."""
    if dialect() == "postgresql":
        return func.round(func.extract("epoch", end - start))
    return func.round((func.julianday(end) - func.julianday(start)) * 86400.0)


def epoch(at: ColumnElement) -> ColumnElement:
    """A timestamp as seconds since 1970 (a float)."""
    if dialect() == "postgresql":
        return func.date_part(literal_column("'epoch'"), at, type_=Float)  # double (extract() is numeric: slower)
    return (func.julianday(at) - 2440587.5) * 86400.0


def day_number(seconds: ColumnElement) -> ColumnElement:
    """The UTC day (days since 1970) of a time given as epoch seconds (never negative here)."""
    if dialect() == "postgresql":
        return cast(func.floor(seconds / literal_column("86400", Float)), Integer)
    return cast(seconds / 86400, Integer)  # SQLite's CAST truncates, the floor of a positive number


def greatest(a: ColumnElement, b: ColumnElement) -> ColumnElement:
    return func.greatest(a, b) if dialect() == "postgresql" else func.max(a, b)


def least(a: ColumnElement, b: ColumnElement) -> ColumnElement:
    return func.least(a, b) if dialect() == "postgresql" else func.min(a, b)


def percentiles(rows: Select, fractions: tuple[float, ...]) -> dict:
    """{key: (count, [percentile per fraction])} over `rows`, a SELECT of (key, value): the
    continuous percentile (PostgreSQL's percentile_cont: linear between the two nearest ranks) of
    the non-null values of each key. Keys without values are absent."""
    sub = rows.subquery()
    key, value = sub.c[0], sub.c[1]
    if dialect() == "postgresql":
        query = select(key, func.count(value), *[percentile(f, value) for f in fractions]) \
            .where(value.is_not(None)).group_by(key)
        return {row[0]: (row[1], [_number(v) for v in row[2:]]) for row in db.session.execute(query)}
    # SQLite: rank the values (0-based) within their key, then pick the two ranks around f*(n-1).
    ranked = select(key.label("k"), value.label("v"),
                    (func.row_number().over(partition_by=key, order_by=value) - 1).label("rn"),
                    func.count().over(partition_by=key).label("n")).where(value.is_not(None)).subquery()
    picks = []
    for f in fractions:
        low = cast(literal(f) * (ranked.c.n - 1), Integer)  # the position's floor (it is never negative)
        picks += [func.max(case((ranked.c.rn == low, ranked.c.v))), func.max(case((ranked.c.rn == low + 1, ranked.c.v)))]
    query = select(ranked.c.k, func.max(ranked.c.n), *picks).group_by(ranked.c.k)
    found = {}
    for row in db.session.execute(query):
        n, values = row[1], []
        for i, f in enumerate(fractions):
            low_value, high_value = row[2 + 2 * i], row[3 + 2 * i]
            position = f * (n - 1)
            fraction = position - math.floor(position)
            high_value = low_value if high_value is None else high_value
            values.append(_number(low_value + fraction * (high_value - low_value)))
        found[row[0]] = (n, values)
    return found


def _number(value) -> float | None:
    return None if value is None else round(float(value), 1)


def percentile(fraction: float, value: ColumnElement) -> ColumnElement:
    """PostgreSQL's continuous percentile of `value` as an aggregate (NULLs are skipped)."""
    return func.percentile_cont(fraction).within_group(cast(value, Float))


def local_day(at: ColumnElement, zone: str):
    """(an expression to GROUP BY, a function turning its value into the local date) for counting
    timestamps per day in `zone`: the 15-minute UTC slot, given its local day in Python. Both
    databases group by the slot: cheaper per row than PostgreSQL's AT TIME ZONE, and the same
    days either way (see SLOT_SECONDS)."""
    tz = ZoneInfo(zone)
    if dialect() == "postgresql":
        slot = cast(func.floor(epoch(at) / literal_column(str(SLOT_SECONDS), Float)), Integer)
    else:
        slot = cast(func.strftime("%s", at), Integer) // SLOT_SECONDS
    return slot, lambda value: _slot_day(int(value), tz)


def _slot_day(number: int, tz: ZoneInfo) -> date:
    return datetime.fromtimestamp(number * SLOT_SECONDS, timezone.utc).astimezone(tz).date()


def rows_table(name: str, columns: list[tuple[str, object]], rows: list[tuple]):
    """A small table of constant rows (the period's days, the schedule's open hours) as a CTE named
    `name`. PostgreSQL: one array parameter per column, unnested, so the statement's text is the
    same whatever the rows and SQLAlchemy compiles it once (a VALUES list is compiled again for
    every report: a year's days and hours cost a few hundred bound parameters to compile). SQLite,
    which has no arrays: a VALUES list."""
    if dialect() != "postgresql":
        return values(*[column(n, t) for n, t in columns], name=name).data(rows).cte(name)
    arrays = [bindparam(f"{name}_{n}", [row[i] for row in rows], type_=ARRAY(t)) for i, (n, t) in enumerate(columns)]
    table = func.unnest(*arrays).table_valued(*[column(n, t) for n, t in columns]).render_derived(name=f"{name}_rows")
    return select(*[table.c[n] for n, _ in columns]).cte(name)
