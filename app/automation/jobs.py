"""Automation's background jobs. Each takes an id, re-fetches, is idempotent, and raises on an
unexpected failure so RQ's retry and failed-job registry see it."""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete

from app.automation.ai import write_draft
from app.automation.respond import respond_to_message
from app.extensions import db
from app.models import AiDraft, AutomationLog, utcnow

# The log is the "what did automation do" history on the settings page. Old rows are safe to
# drop: the away limit looks back at most a week, a greeting needs the conversation's first
# message anyway, and a message older than an hour is never answered whatever the log says.
KEEP_LOG = timedelta(days=90)
KEEP_DRAFTS = timedelta(days=1)  # a draft is read once, seconds after it is written
PACE_WAIT_SECONDS = 60  # comment automation over the account's pace tries again after this
MAX_PACE_WAITS = 30  # ... at most this often (half an hour; a comment an hour old is not answered)
log = logging.getLogger(__name__)


def run_automation_for_message(message_id: int) -> None:
    """Enqueued by the webhook follow-ups (app.webhooks.followups.after_apply) for each new
    inbound message of an account it could answer (rulebook.may_answer_sql). A retry after a claim finds the claim and sends nothing more."""
    respond_to_message(message_id)


def run_comment_automation(message_id: int, waits: int = 0) -> None:
    """Enqueued by the webhook follow-ups for each new customer comment (app.automation.comments).
    At the account's pace it runs again a minute later, having claimed nothing; after
    MAX_PACE_WAITS such waits the comment is logged as not answered (it would be too late anyway)."""
    from app.automation.comments import PaceExceeded, respond_to_comment
    from app.jobs import QUEUE_DEFAULT, enqueue

    try:
        respond_to_comment(message_id, give_up_at_pace=waits >= MAX_PACE_WAITS)
    except PaceExceeded as exc:
        log.info("comment automation for message %s waits: %s", message_id, exc)
        enqueue(run_comment_automation, message_id, waits=waits + 1, queue=QUEUE_DEFAULT, delay=PACE_WAIT_SECONDS)


def write_ai_draft(draft_id: int) -> None:
    """Enqueued by "Suggest reply"; fills the AiDraft row the composer polls for."""
    write_draft(draft_id)


def purge_automation_history() -> None:
    """Periodic (daily): forget automation log entries and AI drafts nobody needs any more."""
    now = utcnow()
    db.session.execute(delete(AutomationLog).where(AutomationLog.created_at < now - KEEP_LOG))
    db.session.execute(delete(AiDraft).where(AiDraft.created_at < now - KEEP_DRAFTS))
    db.session.commit()
