"""Multi-row INSERT ... ON CONFLICT DO NOTHING ... RETURNING as cached textual SQL, for the hot
path of webhook ingestion (app.webhooks).

Why not SQLAlchemy's `insert()`: its PostgreSQL and SQLite Insert constructs, the ones that carry
ON CONFLICT, are never cached by SQLAlchemy 2.0 (`inherit_cache = False`), so every delivery
compiled each of its INSERTs anew, and the ORM's bulk-insert path adds its own cost on top
(bench/bench_ingest.py measures the delivery; the figures are in its docstring and the README).
The statement text is built once per shape (table, columns, number of rows, conflict target, returned columns) and reused;
SQLAlchemy still converts every value with its column's type (JSON, timestamps, bytes).

The SQL is the same for PostgreSQL and SQLite (3.35 and later): ON CONFLICT (columns) DO NOTHING
and RETURNING. Rows that a conflict skipped are simply not returned.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable

from sqlalchemy import Boolean, Column, Executable, Result, Table, bindparam, column, select, text

from app.extensions import db


@dataclass(frozen=True)
class Returned:
    """A computed column of RETURNING: `sql` is evaluated for each inserted row (it may name the
    table's columns and hold a correlated subquery; PostgreSQL and SQLite 3.35+ both allow that).
    A constant SQL text, never user input; make one per module, so the statement cache sees the
    same object each time."""

    name: str
    sql: str
    type_: Any = field(default_factory=Boolean)


def insert_rows(model, rows: list[dict[str, Any]], unique: Iterable[str] | None = None,
                returning: Iterable[str] = (), unique_where: str | None = None,
                computed: tuple[Returned, ...] = ()) -> Result:
    """INSERT `rows` (dicts with the same keys) into `model`'s table. Columns a row leaves out get
    their Python-side defaults, as with SQLAlchemy's own insert. `unique_where` is the predicate
    of a partial unique index that `unique` names (a constant SQL text, never user input).
    `computed` adds columns to RETURNING after `returning`'s: a question about each new row that
    would otherwise cost a query of its own."""
    statement, params = _prepare(model, rows, unique, tuple(returning), unique_where, computed)
    return db.session.execute(statement, params)


def insert_entities(model, rows: list[dict[str, Any]], unique: Iterable[str], unique_where: str | None = None) -> list:
    """Like `insert_rows`, returning the inserted rows as ORM objects in the session."""
    columns = tuple(column.name for column in model.__table__.columns)
    statement, params = _prepare(model, rows, unique, columns, unique_where)
    return list(db.session.scalars(_entities(model, statement), params))


@lru_cache(maxsize=128)
def _entities(model, statement: Executable) -> Executable:
    # One ORM wrapper per cached statement: it keeps its cache key, as the statement does.
    return select(model).from_statement(statement)


def _prepare(model, rows: list[dict[str, Any]], unique: Iterable[str] | None,
             returning: tuple[str, ...], unique_where: str | None = None,
             computed: tuple[Returned, ...] = ()) -> tuple[Executable, dict[str, Any]]:
    table = model.__table__
    rows = [_with_defaults(table, row) for row in rows]
    columns = tuple(rows[0])
    if any(tuple(row) != columns for row in rows):
        raise ValueError(f"rows for {table.name} must all have the same columns")
    statement = _statement(table, columns, len(rows), tuple(unique) if unique else None, returning, unique_where,
                           computed)
    params = {f"{name}_{n}": row[name] for n, row in enumerate(rows) for name in columns}
    return statement, params


def _with_defaults(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    missing = [column for column in _defaulted_columns(table) if column.name not in row]
    if not missing:
        return row
    return {**row, **{column.name: _default_value(column) for column in missing}}


@lru_cache(maxsize=None)
def _defaulted_columns(table: Table) -> tuple[Column, ...]:
    """The columns with a Python-side default (a value or a callable), once per table."""
    return tuple(column for column in table.columns
                 if column.default is not None and (column.default.is_scalar or column.default.is_callable))


def _default_value(column: Column) -> Any:
    default = column.default
    # SQLAlchemy wraps a callable default so that it takes an execution context (ours ignore it).
    return default.arg(None) if default.is_callable else default.arg


@lru_cache(maxsize=512)
def _statement(table: Table, columns: tuple[str, ...], count: int, unique: tuple[str, ...] | None,
               returning: tuple[str, ...], unique_where: str | None = None,
               computed: tuple[Returned, ...] = ()) -> Executable:
    values = ", ".join("(" + ", ".join(f":{name}_{n}" for name in columns) + ")" for n in range(count))
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES {values}"
    if unique:
        # A partial unique index is only an arbiter when the statement repeats its predicate.
        where = f" WHERE {unique_where}" if unique_where else ""
        sql += f" ON CONFLICT ({', '.join(unique)}){where} DO NOTHING"
    returned = [*returning, *(f"{extra.sql} AS {extra.name}" for extra in computed)]
    if returned:
        sql += f" RETURNING {', '.join(returned)}"
    statement = text(sql).bindparams(*[bindparam(f"{name}_{n}", type_=table.c[name].type)
                                       for n in range(count) for name in columns])
    if returned:
        statement = statement.columns(*[table.c[name] for name in returning],
                                      *[column(extra.name, extra.type_) for extra in computed])
    return statement
