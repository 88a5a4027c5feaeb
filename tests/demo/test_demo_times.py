"""The demo's conversations, leads and notifications carry their story's times (app.demo.timeline):
ingestion stamps what it makes with the moment of the delivery, and the demo delivers a week of
stories in a second, so every lead said "Created 5m" and the bell "5m" beside last Sunday's
messages."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import Conversation, Lead, Message, Notification, utcnow
from tests.demo.test_demo_seed import run_demo


def _began() -> dict[int, object]:
    return dict(db.session.execute(select(Message.conversation_id, func.min(Message.created_at))
                                   .group_by(Message.conversation_id)).all())


def test_conversations_and_leads_begin_with_their_first_message(runner):
    run_demo(runner)
    began = _began()
    conversations = db.session.scalars(select(Conversation)).all()
    assert len(conversations) >= 10
    for conversation in conversations:
        if conversation.id in began:
            assert conversation.created_at <= began[conversation.id], conversation.id
    leads = db.session.scalars(select(Lead).where(Lead.conversation_id.in_(began))).all()
    assert len(leads) >= 10
    for lead in leads:
        assert lead.created_at <= began[lead.conversation_id], lead.contact_id
    # The week's stories are days old on the list, not all "just now".
    assert sum(lead.created_at < utcnow() - timedelta(days=2) for lead in leads) >= 4


def test_the_bell_says_when_the_customer_wrote(runner):
    run_demo(runner)
    rows = db.session.execute(
        select(Notification.type, Notification.created_at, Conversation.last_message_at)
        .join(Conversation, Conversation.id == Notification.conversation_id)
        .where(Notification.type.in_(("new_conversation", "new_message")))).all()
    assert rows
    for type_, created_at, last_message_at in rows:
        assert created_at <= last_message_at, type_
    assert any(created_at < utcnow() - timedelta(days=2) for _, created_at, _ in rows)
    # Delivered in the order they happened, across customers and comments: the bell, newest first
    # by id, reads newest first by time too (story by story, it jumped between days).
    for user_id in db.session.scalars(select(Notification.user_id).distinct()):
        times = list(db.session.scalars(select(Notification.created_at).where(
            Notification.user_id == user_id, Notification.type == "new_conversation").order_by(Notification.id)))
        assert len(times) >= 5 and times == sorted(times), user_id
