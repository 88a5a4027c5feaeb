"""Automation: rules that answer customers by themselves (greeting, away, keyword, story
mention), their settings page, and AI reply drafts.

Runs from the ingestion follow-ups: app.webhooks.followups enqueues the job
`app.automation.jobs.run_automation_for_message(message_id)` for each new inbound message.
"""
from flask import Blueprint

bp = Blueprint("automation", __name__)

from app.automation import routes  # noqa: E402,F401
