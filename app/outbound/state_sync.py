"""States staff change that Instagram must be told of: the business's reaction to a customer's
message, a customer's comment hidden or shown, one of our comments deleted. The inbox shows the
change at once and a job makes Instagram match (app.outbound.jobs); the row carries
`messages.state_sync_due_at` until the job is done (app.jobs.owed: the mark, the job's lease,
the sweep), so the job runs even when its enqueue is lost (Redis down) or its worker dies under
it. Running a sync twice is harmless: each sends the row's state as it is now.

Without this, a reaction or a hidden comment done while Redis was down showed as done in the
inbox and never reached Instagram (an abusive comment stayed public), with no error.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.jobs.owed import Owed
from app.models import Message, utcnow

STATE = Owed("state_sync_due_at")
mark = STATE.mark
lease = STATE.lease


def job_for(message) -> Callable | None:
    """The job that tells Instagram this row's state (None: nothing to tell)."""
    from app.outbound.jobs import delete_comment_job, sync_comment_hidden_job, sync_reaction_job

    if message.kind == "comment":
        if message.direction == "in":
            return sync_comment_hidden_job
        return delete_comment_job if message.is_deleted else None
    return sync_reaction_job


def sweep(now: datetime | None = None) -> int:
    """Queue the sync job of every row whose mark is overdue (with the outbound sweep, every
    minute); returns how many."""
    from app.jobs import QUEUE_HIGH, enqueue
    from app.outbound.sending import JOB_RETRY

    now = now or utcnow()
    queued = 0
    for row in STATE.overdue(now, Message.kind, Message.direction, Message.is_deleted):
        job = job_for(row)
        STATE.move(row.id, None if job is None else now)  # before the enqueue: see app.jobs.owed
        if job is None:
            continue
        if not enqueue(job, row.id, queue=QUEUE_HIGH, retry=JOB_RETRY):
            break  # Redis is still away: the next sweeps try again
        queued += 1
    return queued
