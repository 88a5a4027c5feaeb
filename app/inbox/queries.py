"""Reading the inbox: the conversation list and a thread, scoped to the workspace.

Both are keyset-paginated on indexed columns so a page costs the same at any data size, and
eager-load what each row shows so a page is a handful of queries (no N+1). The web pages and the
JSON API both read through here."""
from __future__ import annotations

from dataclasses import dataclass
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import CONVERSATION_STATUSES, Contact, Conversation, Message
from app.pagination import decode_cursor, encode_cursor
from app.scoping import scoped

@dataclass(frozen=True)
class ConversationFilters:
    status: str | None = None        # open / pending / resolved / snoozed; None = all
    unread: bool = False
    assignee: str | None = None      # "me", "unassigned", or a user id as a string
    account_id: int | None = None
    q: str | None = None

    def validate(self) -> None:
        if self.status is not None and self.status not in CONVERSATION_STATUSES:
            raise ValueError(f"status must be one of {', '.join(CONVERSATION_STATUSES)}")


def conversation_page(filters: ConversationFilters, user, cursor: str | None = None,
                      limit: int = 30) -> tuple[list[Conversation], str | None]:
    """One page of the list, newest activity first, and the cursor of the next page (or None)."""
    filters.validate()
    activity = Conversation.last_message_at
    query = scoped(Conversation).options(
        joinedload(Conversation.contact), joinedload(Conversation.account), joinedload(Conversation.assignee)
    )
    if filters.status:
        query = query.where(Conversation.status == filters.status)
    if filters.unread:
        query = query.where(Conversation.unread_count > 0)
    if filters.assignee == "me":
        query = query.where(Conversation.assignee_id == user.id)
    elif filters.assignee == "unassigned":
        query = query.where(Conversation.assignee_id.is_(None))
    elif filters.assignee and filters.assignee.isdigit():
        query = query.where(Conversation.assignee_id == int(filters.assignee))
    if filters.account_id:
        query = query.where(Conversation.account_id == filters.account_id)
    if filters.q:
        pattern = f"%{_escape_like(filters.q.strip().lstrip('@'))}%"
        query = query.join(Contact, Contact.id == Conversation.contact_id).where(or_(
            Contact.name.ilike(pattern, escape="\\"),
            Contact.username.ilike(pattern, escape="\\"),
            exists().where(Message.conversation_id == Conversation.id,
                           Message.is_deleted.is_(False), Message.text.ilike(pattern, escape="\\")),
        ))
    if cursor:
        stamp, last_id = decode_cursor(cursor)
        query = query.where(or_(activity < stamp, and_(activity == stamp, Conversation.id < last_id)))
    query = query.order_by(activity.desc(), Conversation.id.desc()).limit(limit + 1)
    rows = list(db.session.scalars(query).unique())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(last.last_message_at, last.id)
    return rows, next_cursor


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_conversations(limit: int = 30, user=None) -> list[Conversation]:
    from flask_login import current_user

    rows, _ = conversation_page(ConversationFilters(), user or current_user, limit=limit)
    return rows


def message_page(conversation: Conversation, before: str | None = None,
                 limit: int = 50) -> tuple[list[Message], str | None]:
    """The newest `limit` messages older than the cursor, returned oldest first, and the cursor
    for the page before them (None when there is nothing older)."""
    query = select(Message).where(Message.conversation_id == conversation.id)
    if before:
        stamp, last_id = decode_cursor(before)
        query = query.where(or_(Message.created_at < stamp, and_(Message.created_at == stamp, Message.id < last_id)))
    query = query.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit + 1)
    rows = list(db.session.scalars(query))
    older = None
    if len(rows) > limit:
        rows = rows[:limit]
        older = encode_cursor(rows[-1].created_at, rows[-1].id)
    rows.reverse()
    return rows, older


def thread_messages(conversation: Conversation, limit: int = 50) -> list[Message]:
    rows, _ = message_page(conversation, limit=limit)
    return rows
