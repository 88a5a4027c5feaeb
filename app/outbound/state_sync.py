"""States staff change that Instagram must be told of: the business's reaction to a customer's
message, a customer's comment hidden or shown, one of our comments deleted. The inbox shows the
change at once and a job makes Instagram match (app.outbound.jobs); this module makes sure that
job runs even when its enqueue is lost (Redis down) or its worker dies under it.

A row whose state Instagram has not been told of carries `messages.state_sync_due_at`: set with
the change, in the same commit (`mark`). The job takes a lease when it starts (`lease`: the
mark moves LEASE ahead, so the sweep leaves a running job alone) and clears it when it is done,
whatever the outcome (sent, or refused and put back with the reason); a retry the job schedules
moves the mark to when that retry is due. `sweep` (every minute, with the outbound sweep)
queues the job again for every row whose mark is more than LOST_AFTER in the past. Running a
sync twice is harmless: each sends the row's state as it is now.

Without this, a reaction or a hidden comment done while Redis was down showed as done in the
inbox and never reached Instagram (an abusive comment stayed public), with no error.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update

from app.extensions import db
from app.models import Message, utcnow

LOST_AFTER = timedelta(minutes=2)  # a mark this far in the past: its job was lost
LEASE = timedelta(minutes=5)  # beyond the job timeout and the Graph calls' timeouts
SWEEP_BATCH = 200


def mark(message: Message) -> None:
    """The row's state changed and Instagram must be told: set before the change's commit."""
    message.state_sync_due_at = utcnow()


def _move(message_id: int, to: datetime | None, *, only_if: datetime | None = None) -> bool:
    statement = update(Message).where(Message.id == message_id).values(state_sync_due_at=to)
    if only_if is not None:
        statement = statement.where(Message.state_sync_due_at == only_if)
    moved = db.session.execute(statement.execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return bool(moved)


class Lease:
    """A running sync job's hold on its row (`with lease(message_id) as held:`). On a normal end
    the mark is cleared unless staff changed the row meanwhile (their change set a new mark,
    and queued a job of its own); on an exception it stays, for RQ's retry or the sweep."""

    def __init__(self, message_id: int) -> None:
        self.message_id = message_id
        self.until: datetime | None = None
        self.handed_on = False

    def __enter__(self) -> Lease:
        self.until = utcnow() + LEASE
        _move(self.message_id, self.until)
        return self

    def retry_at(self, queued: bool, delay: float) -> None:
        """The job scheduled its next try `delay` seconds from now (`queued` False: that enqueue
        was lost, so the sweep should take it up soon)."""
        due = utcnow() + (timedelta(seconds=delay) if queued else timedelta(0))
        _move(self.message_id, due, only_if=self.until)
        self.handed_on = True

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None and not self.handed_on:
            _move(self.message_id, None, only_if=self.until)


lease = Lease


def job_for(message) -> Callable | None:
    """The job that tells Instagram this row's state (None: nothing to tell)."""
    from app.outbound.jobs import delete_comment_job, sync_comment_hidden_job, sync_reaction_job

    if message.kind == "comment":
        if message.direction == "in":
            return sync_comment_hidden_job
        return delete_comment_job if message.is_deleted else None
    return sync_reaction_job


def sweep(now: datetime | None = None) -> int:
    """Queue the sync job of every row whose mark is LOST_AFTER past; returns how many."""
    from app.jobs import QUEUE_HIGH, enqueue
    from app.outbound.sending import JOB_RETRY

    now = now or utcnow()
    rows = db.session.execute(
        select(Message.id, Message.kind, Message.direction, Message.is_deleted)
        .where(Message.state_sync_due_at < now - LOST_AFTER)
        .order_by(Message.state_sync_due_at).limit(SWEEP_BATCH)).all()
    queued = 0
    for row in rows:
        job = job_for(row)
        # Looked at again LOST_AFTER from now if the job has not taken it by then. Moved before
        # the enqueue: a job run at once (inline mode) ends by clearing the mark.
        _move(row.id, None if job is None else now)
        if job is None:
            continue
        if not enqueue(job, row.id, queue=QUEUE_HIGH, retry=JOB_RETRY):
            break  # Redis is still away: the next sweeps try again
        queued += 1
    return queued
