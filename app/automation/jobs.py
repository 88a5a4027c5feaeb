"""Automation's background jobs. Each takes an id, re-fetches, is idempotent, and raises on an
unexpected failure so RQ's retry and failed-job registry see it."""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete

from app.automation.ai import write_draft
from app.automation.respond import respond_to_message
from app.extensions import db
from app.jobs.owed import Owed
from app.models import AiDraft, AutomationLog, Message, utcnow

# The log is the "what did automation do" history on the settings page. Old rows are safe to
# drop: the away limit looks back at most a week, a greeting needs the conversation's first
# message anyway, and a message older than an hour is never answered whatever the log says.
KEEP_LOG = timedelta(days=90)
KEEP_DRAFTS = timedelta(days=1)  # a draft is read once, seconds after it is written
PACE_WAIT_SECONDS = 60  # comment automation over the account's pace tries again after this
MAX_PACE_WAITS = 30  # ... at most this often (half an hour; a comment an hour old is not answered)
log = logging.getLogger(__name__)


# Automation owed to a new customer message or comment, marked in ingestion's INSERT
# (app.webhooks.apply) and cleared when its job has run, so a lost enqueue is found again by
# `sweep_lost_automation` (app.jobs.owed). The claim makes a second run send nothing.
OWED = Owed("automation_due_at")


def run_automation_for_message(message_id: int) -> None:
    """Enqueued by the webhook follow-ups (app.webhooks.followups.after_apply) for each new
    inbound message of an account it could answer (rulebook.may_answer_sql). A retry after a claim finds the claim and sends nothing more."""
    with OWED.lease(message_id, hold=False):
        respond_to_message(message_id)


def run_comment_automation(message_id: int, waits: int = 0) -> None:
    """Enqueued by the webhook follow-ups for each new customer comment (app.automation.comments).
    At the account's pace it runs again a minute later, having claimed nothing; after
    MAX_PACE_WAITS such waits the comment is logged as not answered (it would be too late anyway)."""
    from app.automation.comments import PaceExceeded, respond_to_comment
    from app.jobs import QUEUE_DEFAULT, enqueue

    with OWED.lease(message_id, hold=False) as held:
        try:
            respond_to_comment(message_id, give_up_at_pace=waits >= MAX_PACE_WAITS)
        except PaceExceeded as exc:
            log.info("comment automation for message %s waits: %s", message_id, exc)
            held.retry_at(enqueue(run_comment_automation, message_id, waits=waits + 1, queue=QUEUE_DEFAULT,
                                  delay=PACE_WAIT_SECONDS), PACE_WAIT_SECONDS)


def sweep_lost_automation(now=None) -> int:
    """Queue automation again for new customer messages and comments whose job was lost (the
    ingest sweep calls it every minute); returns how many. A message past automation's age limit
    is still queued: its job logs it as not answered, and clears the mark."""
    from app.jobs import enqueue_all
    from app.webhooks.followups import automation_call, comment_automation_call

    now = now or utcnow()
    rows = OWED.overdue(now, Message.kind)
    for row in rows:
        OWED.move(row.id, now)  # before the enqueue: see app.jobs.owed
    if rows and not enqueue_all([comment_automation_call(row.id) if row.kind == "comment" else automation_call(row.id)
                                 for row in rows]):
        return 0  # Redis is still away: due again at the next sweeps
    return len(rows)


def write_ai_draft(draft_id: int) -> None:
    """Enqueued by "Suggest reply"; fills the AiDraft row the composer polls for."""
    write_draft(draft_id)


def purge_automation_history() -> None:
    """Periodic (daily): forget automation log entries and AI drafts nobody needs any more."""
    now = utcnow()
    db.session.execute(delete(AutomationLog).where(AutomationLog.created_at < now - KEEP_LOG))
    db.session.execute(delete(AiDraft).where(AiDraft.created_at < now - KEEP_DRAFTS))
    db.session.commit()
