"""Jobs queued once the transaction that wrote their rows has committed.

A writer that leaves work for a job — a notification that wants a push, an outbound webhook
delivery to send — calls `enqueue_after_commit(job)` inside its transaction, and commits as it
always does. The job is queued when the outermost transaction commits, so it sees the rows, and
forgotten when that transaction rolls back, so it never runs for rows that were never written. A
savepoint's release is not that commit. Asked for several times in one transaction, a job is
queued once. A failed enqueue (Redis down) is logged by `enqueue` and left to the job's sweep on
the clock, like every other enqueue: nothing depends on Redis.

The wanted jobs ride on the SQLAlchemy session (`Session.info`), which is per app context, so a
request, a job or a CLI command each queue their own.
"""
from __future__ import annotations

from typing import Callable

from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.jobs import QUEUE_DEFAULT, _check_queue, _describe, enqueue

INFO_KEY = "jobs_after_commit"


def enqueue_after_commit(func: Callable, *, queue: str = QUEUE_DEFAULT, session: Session | None = None) -> None:
    """Queue `func()` (no arguments: it finds its own work) after the current transaction commits."""
    _check_queue(queue)
    if session is None:
        from app.extensions import db

        session = db.session()
    if not session.in_transaction():
        # Asked before anything was read or written: begin now, so that this transaction's
        # rollback (an event only a begun transaction has) forgets the job too.
        session.begin()
    session.info.setdefault(INFO_KEY, {})[_describe(func)] = (func, queue)


def wanted(session: Session | None = None) -> list[str]:
    """The jobs waiting for this session's commit, by name (for tests and debugging)."""
    if session is None:
        from app.extensions import db

        session = db.session()
    return sorted(session.info.get(INFO_KEY, {}))


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the jobs wait for the real commit
    jobs = session.info.pop(INFO_KEY, None)
    if not jobs or not has_app_context():
        return
    for func, queue in jobs.values():
        enqueue(func, queue=queue)


def _after_soft_rollback(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested and previous_transaction.parent is None:
        session.info.pop(INFO_KEY, None)  # the rows the jobs were for went with the rollback


def listen() -> None:
    """Once per process (app.jobs.init_app); every Session, whatever app made it."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)
