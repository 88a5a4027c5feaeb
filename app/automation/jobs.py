"""Automation's background jobs. Each takes an id, re-fetches, is idempotent, and raises on an
unexpected failure so RQ's retry and failed-job registry see it."""
from __future__ import annotations

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


def run_automation_for_message(message_id: int) -> None:
    """Enqueued by the webhook follow-ups (app.webhooks.followups.after_apply) for each new
    inbound message. A retry after a claim finds the claim and sends nothing more."""
    respond_to_message(message_id)


def write_ai_draft(draft_id: int) -> None:
    """Enqueued by "Suggest reply"; fills the AiDraft row the composer polls for."""
    write_draft(draft_id)


def purge_automation_history() -> None:
    """Periodic (daily): forget automation log entries and AI drafts nobody needs any more."""
    now = utcnow()
    db.session.execute(delete(AutomationLog).where(AutomationLog.created_at < now - KEEP_LOG))
    db.session.execute(delete(AiDraft).where(AiDraft.created_at < now - KEEP_DRAFTS))
    db.session.commit()
