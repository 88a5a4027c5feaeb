"""The demo's times as its stories tell them.

Ingestion stamps what it makes with the moment it applies a delivery, which is right for Meta's
deliveries. The demo delivers a week of stories in a second, so its conversations, leads and
notifications said "5m" beside messages from last Sunday. Each conversation the demo makes takes
the times of its story instead, once, when it is made (app.demo.seed, app.demo.comments)."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Conversation, Lead, Message, Notification


def as_it_happened(conversation: Conversation) -> None:
    """Begun with its first message (the conversation, and its lead while it is the lead's first),
    each notification at the message that caused it."""
    began = db.session.scalar(select(func.min(Message.created_at)).where(Message.conversation_id == conversation.id))
    if began is None:
        return
    conversation.created_at = min(conversation.created_at, began)
    lead = db.session.scalar(select(Lead).where(Lead.conversation_id == conversation.id))
    if lead is not None and lead.created_at > began:
        # Before app.demo.pipeline walks its stages: they are spread from here to now.
        lead.created_at = lead.stage_changed_at = began
    last_word = conversation.last_inbound_at or conversation.last_message_at
    for notification in db.session.scalars(select(Notification).where(Notification.conversation_id == conversation.id)):
        notification.created_at = began if notification.type == "new_conversation" else last_word
    db.session.commit()
