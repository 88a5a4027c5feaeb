"""Upkeep jobs that keep the inbox's state true over time (run by the clock)."""
from __future__ import annotations

from sqlalchemy import delete, update

from app.extensions import db
from app.models import Conversation, Upload, utcnow


def wake_snoozed_conversations() -> int:
    """Reopen snoozed conversations whose time has come; returns how many."""
    now = utcnow()
    result = db.session.execute(
        update(Conversation)
        .where(Conversation.status == "snoozed", Conversation.snoozed_until <= now)
        .values(status="open", snoozed_until=None, updated_at=now)
    )
    db.session.commit()
    return result.rowcount or 0


def purge_expired_uploads() -> int:
    """Attachments are served to Meta for a limited time; afterwards the bytes go."""
    result = db.session.execute(delete(Upload).where(Upload.expires_at <= utcnow()))
    db.session.commit()
    return result.rowcount or 0
