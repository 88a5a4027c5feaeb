"""Automation's background jobs. Each takes an id, re-fetches, is idempotent, and raises on an
unexpected failure so RQ's retry and failed-job registry see it."""
from __future__ import annotations

from app.automation.ai import write_draft
from app.automation.respond import respond_to_message


def run_automation_for_message(message_id: int) -> None:
    """Enqueued by the webhook follow-ups (app.webhooks.followups.after_inbound) for each new
    inbound message. A retry after a claim finds the claim and sends nothing more."""
    respond_to_message(message_id)


def write_ai_draft(draft_id: int) -> None:
    """Enqueued by "Suggest reply"; fills the AiDraft row the composer polls for."""
    write_draft(draft_id)
