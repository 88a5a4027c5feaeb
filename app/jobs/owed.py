"""A job a message row is owed, kept on the row so that a lost enqueue (Redis down) or a worker
that died under the job does not lose it: a column of `messages` holds when the job is due.

- `mark` sets it with the change that makes the job owed, in the same commit (or in the row's
  INSERT: ingestion's automation);
- the job holds a `lease` while it runs: the mark moves LEASE ahead, so a sweep leaves a running
  job alone; a normal end clears it, unless something marked the row again meanwhile (that
  change queued a job of its own, whose enqueue may be the one that was lost); an exception
  leaves it for RQ's retry or the sweep, unless that was the job's last try; a next try the job
  schedules itself moves it to when that try is due (`retry_at`);
- a sweep (`overdue`) finds rows whose mark is more than LOST_AFTER in the past and queues
  their job again, moving the mark to now first (so a backlog is not queued every minute, and a
  job run at once, inline, ends by clearing it).

The jobs that use it are idempotent, so a job run twice does no harm. Users:
app.outbound.state_sync (a reaction or comment action Instagram must be told of) and
app.automation.jobs (automation owed to a new customer message or comment).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from app.extensions import db
from app.models import Message, utcnow

LOST_AFTER = timedelta(minutes=2)  # a mark this far in the past: its job was lost
LEASE = timedelta(minutes=5)  # beyond the jobs' timeouts and their HTTP calls' timeouts
SWEEP_BATCH = 200


class Owed:
    """One kind of owed job: the `messages` column that holds when it is due."""

    def __init__(self, column: str) -> None:
        self.name = column
        self.column = getattr(Message, column)

    def mark(self, message: Message, now: datetime | None = None) -> None:
        """Owed from now: set before the commit of the change that makes it owed."""
        setattr(message, self.name, now or utcnow())

    def move(self, message_id: int, to: datetime | None, *, only_if: datetime | None = None) -> bool:
        """Set the mark (None: clear it) and commit; with `only_if`, only while it still holds that."""
        # updated_at kept as it is: the live polls re-send a message whose updated_at moved, and
        # nothing a person sees changed (the column's onupdate would bump it).
        statement = update(Message).where(Message.id == message_id).values({self.name: to,
                                                                            "updated_at": Message.updated_at})
        if only_if is not None:
            statement = statement.where(self.column == only_if)
        moved = db.session.execute(statement.execution_options(synchronize_session=False)).rowcount
        db.session.commit()
        return bool(moved)

    def lease(self, message_id: int, *, hold: bool = True) -> Lease:
        """`hold=False` for a job nothing else marks again and that a second run leaves alone
        (automation's claim): it saves the two writes of holding, and a run that outlasts
        LOST_AFTER may be queued once more, to no effect."""
        return Lease(self, message_id, hold)

    def overdue(self, now: datetime, *columns) -> list:
        """The rows (id and `columns`) whose job is LOST_AFTER past due, oldest first."""
        return db.session.execute(
            select(Message.id, *columns).where(self.column < now - LOST_AFTER)
            .order_by(self.column).limit(SWEEP_BATCH)).all()


class Lease:
    """A running job's hold on its row: `with owed.lease(message_id) as held:`."""

    def __init__(self, owed: Owed, message_id: int, hold: bool = True) -> None:
        self.owed = owed
        self.message_id = message_id
        self.hold = hold
        self.until: datetime | None = None  # the mark while held (None: not held, any mark is ours)
        self.handed_on = False

    def __enter__(self) -> Lease:
        if self.hold:
            self.until = utcnow() + LEASE
            self.owed.move(self.message_id, self.until)
        return self

    def retry_at(self, queued: bool, delay: float) -> None:
        """The job queued its next try `delay` seconds from now; `queued` False: that enqueue
        was lost, so the mark is due now and the sweep takes it up."""
        due = utcnow() + (timedelta(seconds=delay) if queued else timedelta(0))
        self.owed.move(self.message_id, due, only_if=self.until)
        self.handed_on = True

    def __exit__(self, kind, value, traceback) -> None:
        if self.handed_on:
            return
        if kind is None or (issubclass(kind, Exception) and _last_try()):
            # Done; or failed for good (in RQ's failed registry and the log): the sweep is for
            # lost enqueues and dead workers, not for a job that raises every time. A shutdown
            # (SystemExit, RQ's ShutDownImminentException) is not a failure: the mark stays.
            if kind is not None:
                db.session.rollback()
            self.owed.move(self.message_id, None, only_if=self.until)


def _last_try() -> bool:
    """Whether the running job gets no retry after this try: RQ counts its retries left on the job
    (none configured: None); a job run inline (no Redis) is its process's own, so the same."""
    from rq import get_current_job

    job = get_current_job()
    return job is None or not job.retries_left
