"""Notifications written by ingestion (app.notifications.create.on_inbound), in the delivery's own
transaction: a new conversation tells every active member while nobody is assigned, a new message in
an assigned conversation tells its assignee with one row that counts up, preferences decide the
channels, and a rolled-back delivery leaves no notification behind."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.instagram import payloads as p
from app.models import Conversation, Notification, NotificationPreference, PushSubscription
from app.notifications.kinds import DESKTOP, EMAIL, IN_APP, PUSH
from tests.inbox.test_unread_rules import C1, C2, deliver, now_ms, team  # noqa: F401,F811  (a fixture)
from tests.webhooks.conftest import graph  # noqa: F401  (autouse: profile lookups answer like Meta)


def rows(**where) -> list[Notification]:
    query = select(Notification).order_by(Notification.user_id, Notification.id)
    for key, value in where.items():
        query = query.where(getattr(Notification, key) == value)
    return list(db.session.scalars(query))


def test_a_new_conversation_tells_every_active_member_once(client, team):
    ig = team.account.ig_user_id
    deliver(client, team.account, p.text_message(ig, C1, "m1", "Hi", now_ms(-60)),
            p.text_message(ig, C1, "m2", "do you ship to Lyon?", now_ms(-30)))
    conversation = db.session.scalar(select(Conversation))
    made = rows()
    assert [(n.user_id, n.type, n.conversation_id, n.count) for n in made] == [
        (team.maya.id, "new_conversation", conversation.id, 2), (team.bob.id, "new_conversation", conversation.id, 2)]
    assert {n.text for n in made} == {"do you ship to Lyon?"}  # the newest message's preview
    assert all(n.channels == IN_APP | DESKTOP | PUSH and n.read_at is None for n in made)
    # Nobody has a device, and there is no mail server here: nothing waits to go out.
    assert not any(n.push_pending or n.email_pending for n in made)
    # A redelivery notifies nobody again; an unassigned conversation's next message is no new conversation.
    deliver(client, team.account, p.text_message(ig, C1, "m2", "do you ship to Lyon?", now_ms(-30)))
    deliver(client, team.account, p.text_message(ig, C1, "m3", "hello?", now_ms()))
    assert len(rows()) == 2


def test_a_message_in_an_assigned_conversation_tells_the_assignee_in_one_row_that_counts_up(client, team):
    ig = team.account.ig_user_id
    deliver(client, team.account, p.text_message(ig, C1, "m1", "Hi", now_ms(-60)))
    conversation = db.session.scalar(select(Conversation))
    conversation.assignee_id = team.bob.id
    db.session.commit()
    deliver(client, team.account, p.text_message(ig, C1, "m2", "price?", now_ms(-30)))
    deliver(client, team.account, p.text_message(ig, C1, "m3", "still there?", now_ms(-20)))
    [bobs] = rows(user_id=team.bob.id, type="new_message")
    assert (bobs.count, bobs.text) == (2, "still there?")
    assert rows(user_id=team.maya.id, type="new_message") == []
    # Once read, the next message starts a new row.
    bobs.read_at = bobs.created_at
    db.session.commit()
    deliver(client, team.account, p.text_message(ig, C1, "m4", "hello?", now_ms()))
    assert [(n.count, n.read_at is None) for n in rows(user_id=team.bob.id, type="new_message")] == [(2, False), (1, True)]


def test_preferences_decide_the_channels_and_a_type_switched_off_writes_nothing(client, team, app):
    app.config["MAIL_URL"] = "smtp://mail.test:587"
    db.session.add_all([
        NotificationPreference(user_id=team.maya.id, type="new_conversation", channels=0),
        NotificationPreference(user_id=team.bob.id, type="new_conversation", channels=IN_APP | PUSH | EMAIL),
        PushSubscription(user_id=team.bob.id, endpoint="https://push.test/1", endpoint_hash="a" * 64,
                         p256dh="k", auth="a"),
    ])
    db.session.commit()
    ig = team.account.ig_user_id
    deliver(client, team.account, p.text_message(ig, C2, "m1", "Hi", now_ms()))
    [only] = rows()
    assert only.user_id == team.bob.id
    # Mail is not a channel of new conversations, whatever is stored; the push waits for its job.
    assert (only.channels, only.push_pending, only.email_pending) == (IN_APP | PUSH, True, False)


def test_a_delivery_that_fails_to_apply_leaves_no_notification(client, team, monkeypatch):
    from app.webhooks import apply

    def broken(self):
        raise RuntimeError("database went away")

    monkeypatch.setattr(apply._Delivery, "finish", broken)
    ig = team.account.ig_user_id
    deliver(client, team.account, p.text_message(ig, C1, "m1", "Hi", now_ms()))
    assert rows() == [] and db.session.scalar(select(Conversation)) is None


def test_the_bell_follows_an_edit_and_forgets_an_unsent_message(client, team):
    """The notification quotes the customer's words; an unsent message's stayed in the bell after
    the thread had hidden them, and an edited one kept its typo (found by a walk-through)."""
    ig = team.account.ig_user_id
    deliver(client, team.account, p.text_message(ig, C1, "m1", "send me the invoice pls", now_ms(-60)))
    deliver(client, team.account, p.text_message(ig, C2, "m2", "How much is the blue dres?", now_ms(-50)))
    other = rows(text="How much is the blue dres?")
    deliver(client, team.account, p.unsend(ig, C1, "m1", now_ms(-40)))
    deliver(client, team.account, p.edit(ig, C2, "m2", "How much is the blue dress?", 1, now_ms(-30)))
    db.session.expire_all()
    assert {n.text for n in rows()} == {"Message deleted", "How much is the blue dress?"}
    assert len(rows(text="How much is the blue dress?")) == len(other) == 2  # each member's row
