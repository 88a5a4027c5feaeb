"""When a person was last in the app: `users.last_seen_at`, written at most once a minute.

Email alerts wait for people who are away (app.notifications.email), and availability reads the
same column. "In the app" means a signed-in browser session making requests, and that includes
the inbox's live poll (`GET /inbox/changes`, mostly answered 204): a poll comes from an open tab,
and a person with the tab open has the bell, the badge and desktop notifications, which is what
a mail would only repeat. The cost is that a tab left open all night keeps its owner "active";
the alternative (pages only) would mail someone who is reading the inbox without clicking.
The JSON API does not count: a token is used by integrations as well as by people, and a
nightly sync must not keep its owner from ever being mailed.

The write is one conditional UPDATE (`WHERE last_seen_at IS NULL OR last_seen_at < now - 1 min`),
sent only when the signed-in user's loaded row is already a minute old, so a request costs no
statement at all in the other 59 seconds, and two requests racing write once.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, request
from flask_login import current_user
from sqlalchemy import or_, update

from app.extensions import db
from app.models import User, utcnow

# last_seen_at is at most this stale; anything reading it must not ask for a finer resolution.
SEEN_RESOLUTION = timedelta(minutes=1)


def record_activity(user: User, now: datetime | None = None) -> bool:
    """Note that `user` is in the app now, when their last note is a minute old or more; commits
    its own short transaction (it runs before the view, so nothing else is pending). True when
    written."""
    now = now or utcnow()
    if user.last_seen_at is not None and now - user.last_seen_at < SEEN_RESOLUTION:
        return False
    written = db.session.execute(
        update(User)
        .where(User.id == user.id,
               or_(User.last_seen_at.is_(None), User.last_seen_at < now - SEEN_RESOLUTION))
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return bool(written)


def seen_since(user: User, cutoff: datetime) -> bool:
    """Whether `user` has been in the app at or after `cutoff` (to SEEN_RESOLUTION)."""
    return user.last_seen_at is not None and user.last_seen_at >= cutoff


def _before_request() -> None:
    if request.endpoint in (None, "static") or request.path.startswith("/api/"):
        return
    if current_user.is_authenticated:
        record_activity(current_user._get_current_object())


def init_app(app: Flask) -> None:
    app.before_request(_before_request)
