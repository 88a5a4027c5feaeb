"""Signed `comments` / `live_comments` deliveries become comment messages in a comments conversation
(one per person per post), idempotently by comment id (docs/architecture.md#comments)."""
from __future__ import annotations

from datetime import datetime, timezone

from app.extensions import db
from app.instagram import payloads as p
from app.models import (Contact, Conversation, ConversationUnread, InstagramMedia, Lead, Message, Notification,
                        WebhookEvent)
from tests.comments.conftest import MEDIA, comment
from tests.webhooks.helpers import only, rows, snapshot


def test_a_customers_comment_makes_a_comments_conversation_a_lead_and_fetches_the_post(deliver, account, factory, graph):
    member = factory.user(workspace=account.workspace)
    assert deliver(comment(account, username="ana.b")) == "applied"
    contact = only(Contact)
    assert (contact.igsid, contact.username) == ("5550001", "ana.b")
    conversation = only(Conversation)
    media = only(InstagramMedia)
    assert (conversation.kind, conversation.media_id) == ("comments", media.id)
    assert conversation.unread_count == 1 and conversation.waiting_since is not None
    assert conversation.last_message_preview == "Comment: PRICE please"
    # entry.time in seconds dates the comment
    assert conversation.last_message_at == datetime.fromtimestamp(1_765_000_000, tz=timezone.utc)
    message = only(Message)
    assert (message.kind, message.mid, message.direction, message.source, message.text) == (
        "comment", "c1", "in", "instagram", "PRICE please")
    lead = only(Lead)
    assert lead.source == "comment" and lead.conversation_id == conversation.id
    assert lead.source_detail == {"media_id": MEDIA}
    # Per-person unread and the new-conversation notification, as for a DM.
    assert only(ConversationUnread).user_id == member.id
    assert [n.type for n in rows(Notification)] == ["new_conversation"]
    # The follow-up job fetched the post (inline mode).
    assert graph.media_calls == [MEDIA]
    assert media.caption.startswith("New summer collection") and media.permalink.endswith(f"{MEDIA[-6:]}/")
    assert media.thumbnail_url == f"https://cdn.example/{MEDIA}.jpg" and media.fetched_at is not None
    assert only(WebhookEvent).status == "applied"


def test_an_ad_comment_delivered_twice_is_one_row_and_the_lead_names_the_ad(deliver, account):
    ad = comment(account, "c9", "how much?", ad_id="120000111", ad_title="Winter sale")
    deliver(ad, ad)  # twice inside one delivery
    first = snapshot()
    deliver(ad, times=2)  # and redelivered
    assert snapshot() == first
    assert only(Message).mid == "c9"
    assert only(Conversation).unread_count == 1
    assert only(Lead).source_detail == {"media_id": MEDIA, "ad_id": "120000111", "ad_title": "Winter sale"}
    media = only(InstagramMedia)
    assert (media.ad_id, media.ad_title, media.product_type) == ("120000111", "Winter sale", "FEED")


def test_one_conversation_per_person_per_post_and_dms_stay_apart(deliver, account, client):
    deliver(comment(account, "c1"), comment(account, "c2", media="17900000000000002"),
            comment(account, "c3", commenter="5550002"))
    assert len(rows(Conversation)) == 3 and len(rows(Contact)) == 2
    deliver(comment(account, "c4"))  # the same person on the first post again: same conversation
    assert len(rows(Conversation)) == 3
    first = db.session.scalar(db.select(Message.conversation_id).where(Message.mid == "c1"))
    assert db.session.scalar(db.select(Message.conversation_id).where(Message.mid == "c4")) == first
    assert db.session.get(Conversation, first).unread_count == 2


def test_a_commenter_who_writes_dms_is_one_contact(deliver, account, client):
    from tests.webhooks.helpers import post

    post(client, p.delivery(p.entry(account.ig_user_id, [p.text_message(account.ig_user_id, "5550001", "m1", "hi")])))
    # Matched on from.id ...
    deliver(comment(account, "c1"))
    # ... on the scoped id when the comment carries one ...
    deliver(comment(account, "c2", commenter="778899", scoped_id="5550001"))
    # ... and on the username as a last resort.
    db.session.execute(db.update(Contact).values(username="ana.b"))
    db.session.commit()
    deliver(comment(account, "c3", commenter="111222", username="ana.b"))
    contact = only(Contact)
    kinds = sorted(c.kind for c in rows(Conversation))
    assert kinds == ["comments", "dm"]
    assert {m.conversation.contact_id for m in rows(Message)} == {contact.id}
    assert only(Lead).source == "dm"  # one lead per person: the DM came first


def test_our_own_reply_is_ours_and_needs_no_reply(deliver, account, factory):
    deliver(comment(account, "c1", "PRICE"))
    conversation = only(Conversation)
    assert conversation.waiting_since is not None
    deliver(comment(account, "c2", "Sent you a DM!", commenter=account.ig_user_id, username="shop", parent_id="c1"))
    reply = db.session.scalar(db.select(Message).where(Message.mid == "c2"))
    assert (reply.direction, reply.source, reply.parent_comment_id, reply.conversation_id) == (
        "out", "app", "c1", conversation.id)
    db.session.refresh(conversation)
    assert conversation.waiting_since is None and conversation.last_speaker == "team"
    assert conversation.unread_count == 1
    assert len(rows(Lead)) == 1 and len(rows(Contact)) == 1


def test_our_own_top_level_comment_is_noted_not_applied(deliver, account):
    assert deliver(comment(account, "c1", "Thanks all!", commenter=account.ig_user_id)) == "ignored"
    assert rows(Message) == [] and rows(Conversation) == [] and rows(Lead) == []
    assert "our own comment" in only(WebhookEvent).error


def test_a_failed_post_fetch_keeps_the_comment(deliver, account, graph):
    from tests.meta_kit import graph_error_body

    graph.media[MEDIA] = (400, graph_error_body(100, 33, "Unsupported get request"))
    deliver(comment(account))
    media = only(InstagramMedia)
    assert media.fetched_at is None and "did not give the post" in media.fetch_error
    assert only(Message).text == "PRICE please"
    # A failure waits an hour before the next comment asks again.
    deliver(comment(account, "c2"))
    assert graph.media_calls == [MEDIA]


def test_live_comments_and_malformed_items(deliver, account):
    deliver(comment(account, "c1", field="live_comments", product_type="LIVE"))
    assert only(Message).kind == "comment"
    bad = {"field": "comments", "value": {"id": "c2", "text": "x", "from": {"username": "nobody"}, "media": {"id": MEDIA}}}
    assert deliver(bad) == "failed"
    assert "from.id is missing" in rows(WebhookEvent)[-1].error
