"""Marking a person's notifications read: one (opening it), several or all (the page's "Mark all
read", the API), and those of conversations the person has just read in the inbox, so the bell
and the inbox agree and a `new_message` row that was in effect seen stops counting up
(app.notifications.create). Each changes only the person's own unread rows, in the caller's
transaction; the caller commits."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update

from app.extensions import db
from app.models import Notification, utcnow


def _mark(user_id: int, *where, now: datetime | None = None) -> int:
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None), *where)
        .values(read_at=now or utcnow())
        .execution_options(synchronize_session=False))
    return result.rowcount


def mark_read(user_id: int, ids: Iterable[int]) -> int:
    """These of the person's notifications are read; ids of anyone else's change nothing."""
    ids = sorted(set(ids))
    return _mark(user_id, Notification.id.in_(ids)) if ids else 0


def mark_all_read(user_id: int) -> int:
    return _mark(user_id)


def read_conversations(user_id: int, conversation_ids: Iterable[int]) -> int:
    """The person read these conversations in the inbox: their notifications about them are read
    too (through ix_notifications_conversation)."""
    ids = sorted(set(conversation_ids))
    return _mark(user_id, Notification.conversation_id.in_(ids)) if ids else 0


def notified_about(conversation) -> bool:
    """Whether the signed-in person has an unread notification about `conversation` (the template
    global `notified_about`): opening it then marks them read, as it does unread messages (a
    mention in a note stayed unread in the bell after the person had read it in the thread)."""
    from flask_login import current_user

    if not current_user or not current_user.is_authenticated:
        return False
    return db.session.scalar(
        select(Notification.id).where(Notification.conversation_id == conversation.id,
                                      Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .limit(1)) is not None
