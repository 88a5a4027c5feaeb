"""One statement that is its own transaction, committed as PostgreSQL runs it.

Why: the send job's claim and its settle, and the profile lookup's read and write, are each a
single statement that commits at once (every other process must see a claim before the Graph
call; nothing may stay open during it). Through the ORM session each one cost a
BEGIN, the statement and a COMMIT (three round trips) and the session's bookkeeping around them,
which together were most of what a send adds to its Graph call (bench/profile_worker.py). On a
connection in autocommit mode the statement is one round trip with the same durable commit.

The session's own transaction keeps its meaning: when the session is inside one (a caller that
read or wrote before), the statement joins it and the session commits, as it always did, so
nothing the caller did is left out of the commit or blocked by a second connection's lock. On
SQLite the session path is always taken: a second connection writing while the session holds
SQLite's one write lock would wait on it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable, Result, Row

from app.extensions import db


@dataclass(frozen=True)
class Outcome:
    rowcount: int
    rows: list[Row]  # what RETURNING gave, fetched before the connection went back to the pool


def run_alone(statement: Executable, params: dict[str, Any]) -> Outcome:
    """Run `statement` as a transaction of its own; errors (a unique violation, a lock conflict)
    are raised with nothing committed.

    Meant for a job's steps, whose session starts empty. Called while the session holds a
    transaction, it commits that whole transaction with the statement (and rolls it all back on
    an error): call it only where the session's work so far is meant to be committed, as a
    commit would."""
    if db.session().in_transaction() or db.engine.dialect.name != "postgresql":
        try:
            outcome = _outcome(db.session.execute(statement, params))
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        return outcome
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return _outcome(connection.execute(statement, params))


def _outcome(result: Result) -> Outcome:
    if result.returns_rows:
        # One row per row changed (SQLite counts them only once they are all fetched).
        rows = result.all()
        return Outcome(len(rows), rows)
    return Outcome(result.rowcount, [])
