"""Notifications: the bell, @mentions, preferences, desktop alerts, Web Push and email alerts.

- `kinds`: the types, channels (a bitmask) and defaults;
- `create`: rows written in the event's own transaction (ingestion, assignment, notes, accounts);
- `events`: the staff-side events that notify (assignment, an account needing attention, a follow-up due);
- `feed`: what a person sees (the bell's count and poll, the list, each row's headline and target);
- `reading`: marking read (one, all, those of conversations read in the inbox);
- `preferences`: Settings → Notifications;
- `routes`: the bell's poll, /notifications, Settings → Notifications; `jobs`: pruning.
"""
from flask import Blueprint
from flask_login import current_user

bp = Blueprint("notifications", __name__)

from app.notifications import feed, routes  # noqa: E402


@bp.app_context_processor
def _bell_globals():
    # Functions, so only the pages that draw the bell (signed in) pay for its one query.
    return {"notification_bell": lambda: feed.page_counts(current_user).bell, "bell_poll_seconds": routes.poll_seconds}
