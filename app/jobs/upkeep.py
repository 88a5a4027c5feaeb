"""Upkeep jobs that keep the inbox's state true over time (run by the clock)."""
from __future__ import annotations

from sqlalchemy import delete, select, update

from app.assignment.auto import assign_arrivals, release_from_former_members
from app.extensions import db
from app.inbox import unread, viewers
from app.models import Conversation, InstagramAccount, Upload, utcnow

WAKE_CHUNK = 500  # conversation ids per IN (...) when the woken ones are looked up


def wake_snoozed_conversations() -> int:
    """Reopen snoozed conversations whose time has come, unread again for whoever follows them
    (app.inbox.unread.woken); returns how many.

    A woken conversation with nobody assigned, of an account with auto-assignment on, is given to
    the next person like an unassigned conversation a customer's message reopens (app.assignment.auto),
    in the same transaction: the UPDATE below holds the woken rows, so a person assigning one at the
    same moment waits for this commit and wins afterwards (manual always wins)."""
    now = utcnow()
    woken = db.session.scalars(
        update(Conversation)
        .where(Conversation.status == "snoozed", Conversation.snoozed_until <= now)
        .values(status="open", snoozed_until=None, updated_at=now)
        .returning(Conversation.id)
    ).all()
    unassigned: list[Conversation] = []
    for start in range(0, len(woken), WAKE_CHUNK):
        release_from_former_members(woken[start:start + WAKE_CHUNK])
        unassigned += db.session.scalars(
            select(Conversation).join(InstagramAccount, InstagramAccount.id == Conversation.account_id)
            .where(Conversation.id.in_(woken[start:start + WAKE_CHUNK]), Conversation.assignee_id.is_(None),
                   InstagramAccount.assignment != "off")
            .execution_options(populate_existing=True)).all()
    if unassigned:
        assign_arrivals(unassigned, now)
        db.session.flush()
    # Back, and it shows: bold and in the badge for whoever follows it (after auto-assignment chose).
    for start in range(0, len(woken), WAKE_CHUNK):
        unread.woken(list(db.session.scalars(
            select(Conversation).where(Conversation.id.in_(woken[start:start + WAKE_CHUNK]))
            .execution_options(populate_existing=True))))
    db.session.commit()
    return len(woken)


def purge_expired_uploads() -> int:
    """Attachments are served to Meta for a limited time; afterwards the bytes go."""
    result = db.session.execute(delete(Upload).where(Upload.expires_at <= utcnow()))
    db.session.commit()
    return result.rowcount or 0


def prune_signed_out_sessions() -> int:
    """Signed-out sessions whose cookies have expired anyway (app.auth.sessions)."""
    from app.auth.sessions import prune_signed_out

    return prune_signed_out()


def prune_conversation_viewers() -> int:
    """Rows of threads whose tab stopped saying anything an hour ago (app.inbox.viewers)."""
    return viewers.prune()
