"""Automation: rules that answer customers by themselves (greeting, away, keyword, story
mention), their settings page, and AI reply drafts.

Runs from the ingestion follow-ups: app.webhooks.followups enqueues the job
`app.automation.jobs.run_automation_for_message(message_id)` for each new inbound message of an
account it could answer (an enabled rule for the account, or the AI auto-reply on:
`rulebook.may_answer_sql`, asked with ingestion's account lookup).
"""
from flask import Blueprint

bp = Blueprint("automation", __name__)

from app.automation import routes  # noqa: E402,F401
