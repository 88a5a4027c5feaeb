"""Automation: rules that answer customers by themselves (greeting, away, keyword, story
mention), their settings page, and AI reply drafts.

Runs from the ingestion follow-ups: `run_automation_for_message(message_id)` is the job the
webhook hook enqueues for each new inbound message (app.webhooks.followups.after_inbound).
"""
from flask import Blueprint

bp = Blueprint("automation", __name__)


def __getattr__(name: str):
    # The job is re-exported lazily: this package is imported while app.models is still
    # loading (it owns tables), and the job module needs the finished models.
    if name == "run_automation_for_message":
        from app.automation.jobs import run_automation_for_message

        return run_automation_for_message
    raise AttributeError(name)


from app.automation import routes  # noqa: E402,F401
