"""What SQL the app sends, for tests that count statements or look at their parameters."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

from sqlalchemy import event

from app.extensions import db


@dataclass(frozen=True)
class Sent:
    statement: str
    parameters: object
    isolation_level: str | None = None  # the connection's own, when set ("AUTOCOMMIT": app.autocommit)


@contextlib.contextmanager
def sql_sent(engine=None):
    """Every statement the engine sends while the block runs, in order (the list fills as it goes)."""
    engine = engine or db.engine
    seen: list[Sent] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(Sent(statement, parameters, conn.get_execution_options().get("isolation_level")))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
