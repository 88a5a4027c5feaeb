"""`flask demo` shows the agent's day: several customers waiting for a reply (some for hours), one
answered only by the automation, and a different unread badge for each demo person."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.inbox.queries import unread_total
from app.messages.waiting import needs_reply
from app.models import Contact, Conversation, ConversationUnread, Message, User, utcnow
from app.standin import customer_igsid
from tests.demo.test_demo_seed import run_demo


def by_customer() -> dict[str, Conversation]:
    """Each customer's DM conversation (their comments on a post are conversations of their own)."""
    db.session.expire_all()
    rows = db.session.execute(select(Contact.igsid, Conversation).join(Conversation, Conversation.contact_id == Contact.id)
                              .where(Conversation.kind == "dm"))
    return {igsid: conversation for igsid, conversation in rows}


def test_customers_wait_for_hours_and_one_got_only_the_bot(runner):
    run_demo(runner)
    conversations = by_customer()
    waiting = [c for c in conversations.values() if needs_reply(c)]
    assert len(waiting) >= 4
    assert sum(utcnow() - c.waiting_since > timedelta(hours=3) for c in waiting) >= 3
    ella = conversations[customer_igsid("ella.rose")]
    assert needs_reply(ella) and ella.last_speaker == "automation"
    bot = db.session.scalar(select(Message).where(Message.conversation_id == ella.id, Message.direction == "out"))
    assert (bot.source, bot.status) == ("automation", "sent") and bot.mid  # its echo matched it
    assert not needs_reply(conversations[customer_igsid("priya.m")])  # the team answered last
    assert not needs_reply(conversations[customer_igsid("lena.bakes")])  # resolved


def test_each_demo_person_has_their_own_unread(runner):
    run_demo(runner)
    admin = db.session.scalar(select(User).where(User.email == "demo@example.com"))
    sam = db.session.scalar(select(User).where(User.email == "sam@example.com"))

    def unread_of(user, kind="dm"):
        return set(db.session.scalars(select(Contact.username).join(Conversation, Conversation.contact_id == Contact.id)
                                      .join(ConversationUnread, ConversationUnread.conversation_id == Conversation.id)
                                      .where(ConversationUnread.user_id == user.id, Conversation.kind == kind)))

    assert "jonas.outdoors" in unread_of(admin) and "jonas.outdoors" not in unread_of(sam)
    assert "marco_fit" in unread_of(sam) and "marco_fit" not in unread_of(admin)
    assert "lena.bakes" not in unread_of(admin) | unread_of(sam)  # read by both
    # Her comment on the tote post is unread for both, like the other commenters' (app.demo.comments).
    assert {"lena.bakes", "noor.home", "kai.runs"} <= unread_of(admin, "comments") & unread_of(sam, "comments")
    assert unread_total(admin) != unread_total(sam) and unread_total(admin) > 0
    before = sorted(db.session.execute(select(ConversationUnread.user_id, ConversationUnread.conversation_id,
                                              ConversationUnread.count)).all())
    run_demo(runner)  # a second run reads nothing again and sends no second bot reply
    assert sorted(db.session.execute(select(ConversationUnread.user_id, ConversationUnread.conversation_id,
                                            ConversationUnread.count)).all()) == before
    # One bot reply among the stories (the month of history before them has greetings of its own).
    assert db.session.scalar(select(Message.id).where(Message.source == "automation",
                                                      Message.mid.not_like("demo-history-%")).offset(1)) is None
