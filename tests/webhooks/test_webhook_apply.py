"""Each event type lands as described, and a redelivery changes nothing (docs/architecture.md#flow-a-inbound)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.extensions import db
from app.instagram import payloads as p
from app.models import Contact, Conversation, DeferredEvent, InstagramAccount, Lead, Message, WebhookEvent, utcnow
from tests.webhooks.helpers import T0, only, post, rows, snapshot

C = "6543210987654321"  # the customer's IGSID


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


@pytest.fixture
def account(factory):
    return factory.account(username="shop")


@pytest.fixture
def deliver(client, account):
    """Post items for `account` as one delivery; asserts the 200 and returns the log row's status."""
    def deliver(*items, standby=False, times=1):
        body = p.delivery(p.entry(account.ig_user_id, list(items), standby=standby))
        for _ in range(times):
            response = post(client, body)
            assert response.status_code == 200, response.get_data(as_text=True)
        db.session.expire_all()
        return response.get_json()["status"]
    return deliver


def msg(account, mid="m1", text="Hi! Is the blue one in stock?", ts=T0, **kw):
    return p.text_message(account.ig_user_id, C, mid, text, ts, **kw)


# ------------------------------------------------------------------ first message


def test_first_message_creates_contact_conversation_message_and_lead(deliver, account):
    before = utcnow()
    assert deliver(msg(account)) == "applied"
    contact = only(Contact)
    assert (contact.account_id, contact.igsid, contact.workspace_id) == (account.id, C, account.workspace_id)
    assert contact.display_name == "Customer 4321"  # the profile follow-up ran (inline mode)
    conversation = only(Conversation)
    assert conversation.contact_id == contact.id and conversation.status == "open"
    assert conversation.unread_count == 1
    assert conversation.last_message_at == at(T0)
    assert conversation.last_message_preview == "Hi! Is the blue one in stock?"
    assert conversation.last_inbound_at == at(T0)
    assert conversation.waiting_since == at(T0)
    assert conversation.updated_at >= before
    message = only(Message)
    assert (message.mid, message.direction, message.status, message.source, message.kind) == \
        ("m1", "in", "received", "instagram", "message")
    assert message.conversation_id == conversation.id
    assert message.created_at == at(T0)
    assert message.raw["message"]["text"] == "Hi! Is the blue one in stock?"
    assert message.attachments == [] and message.reactions == []
    lead = only(Lead)
    assert (lead.contact_id, lead.conversation_id, lead.status, lead.source, lead.source_detail) == \
        (contact.id, conversation.id, "new", "dm", {})
    assert db.session.get(InstagramAccount, account.id).last_webhook_at >= before
    log = only(WebhookEvent)
    assert (log.status, log.event_count, log.ig_account_ids, log.workspace_id, log.attempts) == \
        ("applied", 1, account.ig_user_id, account.workspace_id, 1)
    assert log.applied_at is not None


def test_last_webhook_at_is_written_at_most_every_30_seconds(deliver, account):
    from app.webhooks.apply import LAST_WEBHOOK_RESOLUTION

    deliver(msg(account, "m1"))
    first = db.session.get(InstagramAccount, account.id).last_webhook_at
    deliver(msg(account, "m2", ts=T0 + 1000))
    assert db.session.get(InstagramAccount, account.id).last_webhook_at == first  # no write on the hot row
    stale = first - LAST_WEBHOOK_RESOLUTION - timedelta(seconds=1)
    db.session.get(InstagramAccount, account.id).last_webhook_at = stale
    db.session.commit()
    deliver(msg(account, "m3", ts=T0 + 2000))
    assert db.session.get(InstagramAccount, account.id).last_webhook_at > first


def test_more_messages_from_the_same_customer_add_up(deliver, account):
    deliver(msg(account, "m1", "one", T0))
    deliver(msg(account, "m2", "two", T0 + 1000), msg(account, "m3", "three", T0 + 2000))
    assert len(rows(Contact)) == 1 and len(rows(Conversation)) == 1 and len(rows(Lead)) == 1
    conversation = only(Conversation)
    assert conversation.unread_count == 3
    assert conversation.last_message_preview == "three"
    assert conversation.waiting_since == at(T0)  # the oldest unanswered one


def test_contact_display_falls_back_until_the_profile_arrives(deliver, account, graph):
    graph.reset()  # Meta unreachable: no profile
    deliver(msg(account))
    contact = only(Contact)
    assert contact.display_name == "Instagram user" and contact.handle == f"@{C}"
    assert only(Message).text and only(Lead)


# ------------------------------------------------------------------ message kinds


def test_attachments_are_stored_with_type_url_title_payload(deliver, account):
    deliver(p.attachment_message(account.ig_user_id, C, "m1", "image", "https://cdn.example/p.jpg", T0))
    message = only(Message)
    assert message.text is None
    assert message.attachments == [{"type": "image", "url": "https://cdn.example/p.jpg", "title": None,
                                    "payload": {"url": "https://cdn.example/p.jpg"}}]
    assert only(Conversation).last_message_preview == "Photo"


def test_shared_post_keeps_its_payload(deliver, account):
    payload = {"url": "https://cdn.example/post.jpg", "title": "Summer drop", "ig_post_media_id": "1799"}
    deliver(p.attachment_message(account.ig_user_id, C, "m1", "ig_post", ts_ms=T0, payload=payload))
    attachment = only(Message).attachments[0]
    assert attachment == {"type": "ig_post", "url": payload["url"], "title": "Summer drop", "payload": payload}


def test_story_mention_is_a_story_lead(deliver, account):
    deliver(p.story_mention(account.ig_user_id, C, "m1", "https://cdn.example/story.mp4", T0))
    message = only(Message)
    assert message.kind == "story_mention"
    assert message.attachments[0]["type"] == "story_mention"
    assert only(Conversation).last_message_preview == "Story mention"
    lead = only(Lead)
    assert lead.source == "story"
    assert lead.source_detail == {"kind": "mention", "url": "https://cdn.example/story.mp4"}


def test_story_reply_keeps_the_story_in_meta(deliver, account):
    deliver(p.story_reply(account.ig_user_id, C, "m1", "Love this!", "https://cdn.example/s.jpg", "1788", T0))
    message = only(Message)
    assert message.kind == "story_reply"
    assert message.meta == {"story": {"kind": "reply", "id": "1788", "url": "https://cdn.example/s.jpg"}}
    assert only(Conversation).last_message_preview == "Story reply: Love this!"
    assert only(Lead).source_detail == {"kind": "reply", "url": "https://cdn.example/s.jpg", "story_id": "1788"}


def test_ad_referral_makes_an_ad_lead(deliver, account):
    deliver(p.ad_referral_message(account.ig_user_id, C, "m1", "Price?", "120000001", T0,
                                  ad_title="Spring sale", ref="spring", photo_url="https://cdn.example/ad.jpg"))
    lead = only(Lead)
    assert lead.source == "ad"
    assert lead.source_detail["ad_id"] == "120000001"
    assert lead.source_detail["ad_title"] == "Spring sale"
    assert lead.source_detail["ref"] == "spring"
    assert only(Message).meta["referral"]["ad_id"] == "120000001"


def test_link_referral_for_a_new_customer_makes_a_link_lead_without_unread(deliver, account):
    deliver(p.link_referral(account.ig_user_id, C, "from-bio", T0))
    lead = only(Lead)
    assert (lead.source, lead.source_detail) == ("link", {"ref": "from-bio", "source": "SHORTLINK", "type": "OPEN_THREAD"})
    message = only(Message)
    assert message.kind == "referral" and message.direction == "in" and message.text is None
    assert message.meta["referral"]["ref"] == "from-bio"
    conversation = only(Conversation)
    assert conversation.unread_count == 0 and conversation.waiting_since is None
    assert conversation.last_inbound_at is None
    # The customer's first real message later keeps the link as the lead's source.
    deliver(msg(account, "m2", "hello", T0 + 5000))
    assert only(Lead).source == "link"
    assert only(Conversation).unread_count == 1


def test_later_referral_does_not_overwrite_the_lead(deliver, account):
    deliver(msg(account, "m1", "hello", T0))
    deliver(p.link_referral(account.ig_user_id, C, "promo", T0 + 1000))
    deliver(p.ad_referral_message(account.ig_user_id, C, "m3", "again", "999", T0 + 2000))
    lead = only(Lead)
    assert (lead.source, lead.source_detail) == ("dm", {})
    referral = db.session.scalar(select(Message).where(Message.kind == "referral"))
    assert referral.meta["referral"]["ref"] == "promo"  # kept as context in the thread


def test_quick_reply_keeps_its_payload(deliver, account):
    deliver(msg(account, "m1", "Yes please", quick_reply_payload="BUY_BLUE"))
    message = only(Message)
    assert message.kind == "quick_reply"
    assert message.meta == {"quick_reply": {"payload": "BUY_BLUE"}}
    assert message.text == "Yes please"


def test_postback_is_an_inbound_message(deliver, account):
    deliver(p.postback(account.ig_user_id, C, "pb-1", "Get started", "GET_STARTED", T0))
    message = only(Message)
    assert (message.mid, message.kind, message.direction, message.text) == ("pb-1", "postback", "in", "Get started")
    assert message.meta == {"postback": {"title": "Get started", "payload": "GET_STARTED"}}
    assert only(Conversation).unread_count == 1
    assert only(Lead).source == "dm"


def test_postback_without_mid_is_deduplicated_by_its_content(deliver, account):
    item = {"sender": {"id": C}, "recipient": {"id": account.ig_user_id}, "timestamp": T0,
            "postback": {"title": "Menu", "payload": "MENU"}}
    deliver(item, times=3)
    message = only(Message)
    assert message.mid.startswith("synthetic.postback.")
    assert only(Conversation).unread_count == 1


def test_inline_reply_and_unsupported(deliver, account):
    deliver(msg(account, "m1", "first", T0))
    deliver(msg(account, "m2", "answering that", T0 + 1, reply_to_mid="m1"))
    unsupported = {"sender": {"id": C}, "recipient": {"id": account.ig_user_id}, "timestamp": T0 + 2,
                   "message": {"mid": "m3", "is_unsupported": True}}
    deliver(unsupported)
    assert rows(Message, Message.mid == "m2")[0].reply_to_mid == "m1"
    third = rows(Message, Message.mid == "m3")[0]
    assert third.kind == "unsupported"
    assert only(Conversation).last_message_preview == "Unsupported message"


def test_customer_text_is_stored_as_sent(deliver, account):
    text = "<script>alert(1)</script> & 🙂"
    deliver(msg(account, "m1", text))
    assert only(Message).text == text
    assert only(Conversation).last_message_preview == text


def test_nul_characters_are_replaced_not_fatal(deliver, account):
    deliver(msg(account, "m1", "a\u0000b"))
    assert only(Message).text == "a\ufffdb"


def test_long_text_is_cut_in_the_preview_only(deliver, account):
    deliver(msg(account, "m1", "x" * 1500))
    assert len(only(Message).text) == 1500
    assert len(only(Conversation).last_message_preview) == 200


# ------------------------------------------------------------------ conversation state


@pytest.mark.parametrize("status", ["resolved", "snoozed"])
def test_inbound_reopens_resolved_and_snoozed(deliver, account, factory, status):
    contact = factory.contact(account, igsid=C)
    factory.conversation(account, contact, status=status, last_message_at=at(T0 - 10_000),
                         snoozed_until=utcnow() + timedelta(days=1) if status == "snoozed" else None)
    deliver(msg(account))
    conversation = only(Conversation)
    assert conversation.status == "open" and conversation.snoozed_until is None


def test_pending_stays_pending(deliver, account, factory):
    contact = factory.contact(account, igsid=C)
    factory.conversation(account, contact, status="pending", last_message_at=at(T0 - 10_000))
    deliver(msg(account))
    assert only(Conversation).status == "pending"


def test_existing_contact_without_inbound_gets_a_lead_on_first_message(deliver, account, factory):
    contact = factory.contact(account, igsid=C)
    factory.conversation(account, contact, last_message_at=at(T0 - 10_000))
    deliver(msg(account))
    assert only(Lead).contact_id == contact.id


def test_existing_customer_with_inbound_history_gets_no_new_lead(deliver, account, factory):
    contact = factory.contact(account, igsid=C)
    factory.conversation(account, contact, last_message_at=at(T0 - 10_000), last_inbound_at=at(T0 - 10_000))
    deliver(msg(account))
    assert rows(Lead) == []


def test_older_message_after_a_newer_one_does_not_move_the_list_backwards(deliver, account):
    deliver(msg(account, "new", "newer", T0 + 60_000))
    deliver(msg(account, "old", "older", T0))
    conversation = only(Conversation)
    assert conversation.last_message_at == at(T0 + 60_000)
    assert conversation.last_message_preview == "newer"
    assert conversation.last_inbound_at == at(T0 + 60_000)
    assert conversation.unread_count == 2
    thread = rows(Message, order=Message.created_at)
    assert [m.mid for m in thread] == ["old", "new"]  # thread order follows Meta's timestamps


def test_items_out_of_order_in_one_delivery(deliver, account):
    deliver(msg(account, "m3", "third", T0 + 3000), msg(account, "m1", "first", T0 + 1000),
            msg(account, "m2", "second", T0 + 2000))
    conversation = only(Conversation)
    assert conversation.last_message_preview == "third"
    assert conversation.waiting_since == at(T0 + 1000)


def test_same_mid_twice_in_one_delivery_is_one_message(deliver, account):
    deliver(msg(account, "m1", "hi", T0), msg(account, "m1", "hi", T0))
    assert len(rows(Message)) == 1
    assert only(Conversation).unread_count == 1


def test_standby_messages_are_applied_and_flagged(deliver, account):
    deliver(msg(account), standby=True)
    message = only(Message)
    assert message.meta["standby"] is True
    assert only(Conversation).unread_count == 1


# ------------------------------------------------------------------ echoes


def test_echo_of_a_message_typed_in_the_instagram_app(deliver, account):
    deliver(msg(account, "m1", "Is it in stock?", T0))
    deliver(p.echo(account.ig_user_id, C, "e1", "Yes, it is!", T0 + 60_000))
    reply = rows(Message, Message.mid == "e1")[0]
    assert (reply.direction, reply.source, reply.status, reply.text) == ("out", "app", "sent", "Yes, it is!")
    conversation = only(Conversation)
    assert conversation.waiting_since is None  # answered
    assert conversation.unread_count == 1  # our own message is not unread
    assert conversation.last_message_preview == "Yes, it is!"
    assert conversation.last_inbound_at == at(T0)


def test_echo_matches_our_own_send_instead_of_duplicating_it(deliver, account, factory):
    contact = factory.contact(account, igsid=C)
    conversation = factory.conversation(account, contact, last_message_at=at(T0), last_inbound_at=at(T0),
                                        waiting_since=at(T0))
    ours = factory.message(conversation, "On its way!", direction="out", mid=None, status="pending",
                           source="inbox", created_at=at(T0 + 1000))
    deliver(p.echo(account.ig_user_id, C, "e-ours", "On its way!", T0 + 2000), times=3)
    message = only(Message)
    assert message.id == ours.id
    assert (message.mid, message.status, message.source) == ("e-ours", "sent", "inbox")
    assert only(Conversation).waiting_since is None


def test_echo_for_a_new_contact_creates_the_thread_but_no_lead(deliver, account):
    deliver(p.echo(account.ig_user_id, C, "e1", "Hello from the shop", T0))
    assert only(Message).direction == "out"
    conversation = only(Conversation)
    assert conversation.unread_count == 0 and conversation.waiting_since is None
    assert rows(Lead) == []
    deliver(msg(account, "m2", "Oh hi", T0 + 1000))
    assert only(Lead).source == "dm"
    assert only(Conversation).waiting_since == at(T0 + 1000)


def test_late_inbound_after_our_reply_is_not_waiting(deliver, account):
    deliver(p.echo(account.ig_user_id, C, "e1", "We replied", T0 + 5000))
    deliver(msg(account, "m-late", "asked earlier", T0))
    assert only(Conversation).waiting_since is None


# ------------------------------------------------------------------ changes to messages


def test_unsend_hides_text_and_attachments(deliver, account):
    deliver(p.attachment_message(account.ig_user_id, C, "m1", "image", "https://cdn.example/x.jpg", T0, text="oops"))
    deliver(p.unsend(account.ig_user_id, C, "m1", T0 + 1000))
    message = only(Message)
    assert message.is_deleted is True
    assert message.text is None and message.attachments == []
    assert "oops" not in str(message.raw) and "x.jpg" not in str(message.meta)
    assert only(Conversation).last_message_preview == "Message deleted"
    assert len(rows(Message)) == 1  # the unsend is not a message of its own


def test_edit_changes_the_text_and_marks_it(deliver, account):
    deliver(msg(account, "m1", "helo", T0))
    deliver(p.edit(account.ig_user_id, C, "m1", "hello", 1, T0 + 1000))
    message = only(Message)
    assert (message.text, message.edited) == ("hello", True)
    assert only(Conversation).last_message_preview == "hello"
    # An older edit arriving late does not undo the newer one.
    deliver(p.edit(account.ig_user_id, C, "m1", "hello!!", 2, T0 + 3000))
    deliver(p.edit(account.ig_user_id, C, "m1", "hello!", 1, T0 + 2000))
    assert only(Message).text == "hello!!"


def test_edit_after_unsend_stays_hidden(deliver, account):
    deliver(msg(account, "m1", "secret", T0))
    deliver(p.unsend(account.ig_user_id, C, "m1", T0 + 1000))
    deliver(p.edit(account.ig_user_id, C, "m1", "secret again", 1, T0 + 2000))
    assert only(Message).text is None


def test_reactions_add_and_remove(deliver, account, factory):
    deliver(msg(account, "m1", "look", T0))
    deliver(p.reaction(account.ig_user_id, C, "m1", "love", "❤️", T0 + 1000))
    assert only(Message).reactions == [{"emoji": "❤️", "reaction": "love", "by": "customer"}]
    deliver(p.reaction(account.ig_user_id, C, "m1", "laugh", "😂", T0 + 2000))
    assert only(Message).reactions == [{"emoji": "😂", "reaction": "laugh", "by": "customer"}]
    deliver(p.reaction(account.ig_user_id, C, "m1", action="unreact", ts_ms=T0 + 3000))
    assert only(Message).reactions == []
    # A react older than the unreact, arriving late, does not bring it back.
    deliver(p.reaction(account.ig_user_id, C, "m1", "wow", "😮", T0 + 2500))
    assert only(Message).reactions == []


def test_customer_reacts_to_our_message(deliver, account, factory):
    deliver(msg(account, "m1", "hi", T0))
    deliver(p.echo(account.ig_user_id, C, "e1", "Hello!", T0 + 1000))
    deliver(p.reaction(account.ig_user_id, C, "e1", "like", "👍", T0 + 2000))
    assert rows(Message, Message.mid == "e1")[0].reactions == [{"emoji": "👍", "reaction": "like", "by": "customer"}]
    assert rows(Message, Message.mid == "m1")[0].reactions == []


def test_business_reaction_from_the_app_is_kept_apart(deliver, account):
    deliver(msg(account, "m1", "hi", T0))
    ours = {"sender": {"id": account.ig_user_id}, "recipient": {"id": C}, "timestamp": T0 + 1000,
            "reaction": {"mid": "m1", "action": "react", "reaction": "love", "emoji": "❤️"}}
    deliver(ours)
    deliver(p.reaction(account.ig_user_id, C, "m1", "like", "👍", T0 + 2000))
    assert only(Message).reactions == [{"emoji": "❤️", "reaction": "love", "by": "business"},
                                       {"emoji": "👍", "reaction": "like", "by": "customer"}]


def test_read_marks_our_messages_up_to_that_one(deliver, account, factory):
    contact = factory.contact(account, igsid=C)
    conversation = factory.conversation(account, contact, last_message_at=at(T0))
    make = lambda mid, status, ms, direction="out": factory.message(  # noqa: E731
        conversation, mid, direction=direction, mid=mid, status=status, created_at=at(ms),
        source="inbox" if direction == "out" else "instagram")
    make("o1", "sent", T0)
    make("o2", "delivered", T0 + 1000)
    make("o3", "pending", T0 + 1500)
    make("o4", "failed", T0 + 1600)
    make("i1", "received", T0 + 1700, "in")
    make("o5", "sent", T0 + 2000)
    make("o6", "sent", T0 + 3000)
    before = db.session.get(Conversation, conversation.id).updated_at
    deliver(p.read(account.ig_user_id, C, "o5", T0 + 4000))
    status = {m.mid: m.status for m in rows(Message)}
    assert status == {"o1": "read", "o2": "read", "o3": "pending", "o4": "failed", "i1": "received",
                      "o5": "read", "o6": "sent"}
    assert db.session.get(Conversation, conversation.id).updated_at > before
    # An older read arriving later never downgrades anything.
    deliver(p.read(account.ig_user_id, C, "o1", T0 + 5000))
    assert {m.mid: m.status for m in rows(Message)} == status


def test_read_by_watermark(deliver, account, factory):
    contact = factory.contact(account, igsid=C)
    conversation = factory.conversation(account, contact, last_message_at=at(T0))
    factory.message(conversation, "a", direction="out", mid="o1", status="sent", created_at=at(T0))
    factory.message(conversation, "b", direction="out", mid="o2", status="sent", created_at=at(T0 + 5000))
    item = {"sender": {"id": C}, "recipient": {"id": account.ig_user_id}, "timestamp": T0 + 6000,
            "read": {"watermark": T0 + 1000}}
    deliver(item)
    assert {m.mid: m.status for m in rows(Message)} == {"o1": "read", "o2": "sent"}


# ------------------------------------------------------------------ out of order


def test_changes_before_their_message_wait_and_then_apply(deliver, account):
    deliver(p.reaction(account.ig_user_id, C, "m1", "love", "❤️", T0 + 1000))
    deliver(p.edit(account.ig_user_id, C, "m1", "edited text", 1, T0 + 2000))
    assert len(rows(DeferredEvent)) == 2
    assert rows(Message) == [] and rows(Contact) == []
    deliver(msg(account, "m1", "original", T0))
    message = only(Message)
    assert message.text == "edited text" and message.edited
    assert message.reactions == [{"emoji": "❤️", "reaction": "love", "by": "customer"}]
    assert rows(DeferredEvent) == []


def test_unsend_before_its_message_hides_it_on_arrival(deliver, account):
    deliver(p.unsend(account.ig_user_id, C, "m1", T0 + 1000))
    deliver(msg(account, "m1", "regret", T0))
    message = only(Message)
    assert message.is_deleted and message.text is None
    assert rows(DeferredEvent) == []


def test_read_before_our_echo_marks_it_on_arrival(deliver, account):
    deliver(msg(account, "m1", "hi", T0))
    deliver(p.read(account.ig_user_id, C, "e1", T0 + 2000))
    assert only(DeferredEvent).kind == "read"
    deliver(p.echo(account.ig_user_id, C, "e1", "Hello", T0 + 1000))
    assert rows(Message, Message.mid == "e1")[0].status == "read"
    assert rows(DeferredEvent) == []


def test_change_listed_before_its_message_in_one_delivery(deliver, account):
    deliver(p.unsend(account.ig_user_id, C, "m1", T0 + 1000), msg(account, "m1", "gone", T0))
    assert only(Message).is_deleted
    assert rows(DeferredEvent) == []


def test_waiting_events_are_not_duplicated_by_redelivery(deliver, account):
    deliver(p.reaction(account.ig_user_id, C, "m1", "love", "❤️", T0 + 1000), times=3)
    assert len(rows(DeferredEvent)) == 1


# ------------------------------------------------------------------ redelivery


def every_kind(account):
    A = account.ig_user_id
    return [
        msg(account, "m1", "hello", T0),
        p.attachment_message(A, C, "m2", "image", "https://cdn.example/a.jpg", T0 + 1000),
        p.story_mention(A, C, "m3", "https://cdn.example/s.mp4", T0 + 2000),
        p.story_reply(A, C, "m4", "nice", "https://cdn.example/r.jpg", "77", T0 + 3000),
        p.ad_referral_message(A, C, "m5", "price?", "555", T0 + 4000, ad_title="Ad"),
        msg(account, "m6", "yes", T0 + 5000, quick_reply_payload="YES"),
        p.postback(A, C, "pb1", "Start", "START", T0 + 6000),
        p.link_referral(A, C, "bio", T0 + 7000),
        p.echo(A, C, "e1", "Thanks!", T0 + 8000),
        p.reaction(A, C, "e1", "love", "❤️", T0 + 9000),
        p.reaction(A, C, "m1", action="unreact", ts_ms=T0 + 9500),
        p.edit(A, C, "m1", "hello there", 1, T0 + 10_000),
        p.unsend(A, C, "m2", T0 + 11_000),
        p.read(A, C, "e1", T0 + 12_000),
        p.reaction(A, C, "not-yet", "like", "👍", T0 + 13_000),  # waits for its message
        msg(account, "m0", "an older one, late", T0 - 5000),
    ]


@pytest.mark.parametrize("index", range(16))
def test_each_event_delivered_three_times_is_the_same_as_once(deliver, account, index):
    items = every_kind(account)
    deliver(*items[:index])  # the context the event needs, once
    deliver(items[index])
    once = snapshot()
    deliver(items[index], times=2)
    assert snapshot() == once


def test_a_whole_mixed_delivery_three_times_is_the_same_as_once(client, deliver, account):
    assert deliver(*every_kind(account)) == "applied"
    once = snapshot()
    assert once["messages"] and once["leads"] and once["deferred_events"]
    deliver(*every_kind(account), times=2)
    assert snapshot() == once
    assert all(row.status == "applied" for row in rows(WebhookEvent))
    conversation = only(Conversation)
    assert conversation.unread_count == 8  # m0..m6 and the postback; not the referral, not the echo


def test_hand_written_meta_payloads(client, account):
    """Bodies written out as Meta documents them (docs/meta-protocol.md), not through the builders."""
    A = account.ig_user_id
    body = {
        "object": "instagram",
        "entry": [{
            "id": A, "time": 1700000005000,
            "messaging": [
                {"sender": {"id": C}, "recipient": {"id": A}, "timestamp": 1700000001000,
                 "message": {"mid": "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx", "text": "Do you ship to Lyon?",
                             "referral": {"ref": "fr-campaign", "ad_id": "6123", "source": "ADS", "type": "OPEN_THREAD",
                                          "ads_context_data": {"ad_title": "Free shipping", "photo_url": "https://cdn.example/ad.png"}}}},
                {"sender": {"id": C}, "recipient": {"id": A}, "timestamp": 1700000002000,
                 "message": {"mid": "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQy",
                             "attachments": [{"type": "ig_reel", "payload": {"url": "https://cdn.example/reel.mp4", "title": "Our reel", "reel_video_id": "1800"}}]}},
                {"sender": {"id": A}, "recipient": {"id": C}, "timestamp": 1700000003000,
                 "message": {"mid": "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQz", "text": "Yes we do!", "is_echo": True}},
                {"sender": {"id": C}, "recipient": {"id": A}, "timestamp": 1700000004000,
                 "read": {"mid": "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQz"}},
                {"sender": {"id": C}, "recipient": {"id": A}, "timestamp": 1700000004500,
                 "reaction": {"mid": "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQz", "action": "react", "reaction": "love", "emoji": "\u2764\ufe0f"}},
            ],
        }],
    }
    assert post(client, body).get_json() == {"status": "applied"}
    db.session.expire_all()
    thread = rows(Message, order=Message.created_at)
    assert [m.direction for m in thread] == ["in", "in", "out"]
    assert thread[1].attachments[0]["type"] == "ig_reel" and thread[1].attachments[0]["title"] == "Our reel"
    assert thread[2].status == "read" and thread[2].source == "app"
    assert thread[2].reactions == [{"emoji": "❤️", "reaction": "love", "by": "customer"}]
    lead = only(Lead)
    assert lead.source == "ad" and lead.source_detail["ad_title"] == "Free shipping"
    conversation = only(Conversation)
    assert conversation.unread_count == 2 and conversation.waiting_since is None
    assert conversation.last_message_preview == "Yes we do!"


def test_dashboard_sample_for_a_connected_account_with_seconds_timestamps(client, factory):
    account = factory.account(ig_user_id="23245")
    body = p.dashboard_test()
    body["entry"][0]["id"] = "23245"
    assert post(client, body).get_json() == {"status": "applied"}
    db.session.expire_all()
    message = only(Message)
    assert message.text == "random_text"
    assert message.created_at == datetime(2018, 5, 27, 22, 23, 44, tzinfo=timezone.utc)
    assert only(Contact).igsid == "12334" and only(Contact).account_id == account.id
