"""The echo of our own send and the send response, in either order: one row, Meta's mid."""
from __future__ import annotations

import json
from datetime import timedelta

import requests
from sqlalchemy import select

from app.extensions import db
from app.models import Message, utcnow
from app.outbound import lifecycle, sending
from app.outbound.echo import match_echo
from app.outbound.replies import queue_reply
from tests.meta_kit import graph_error, sent_body, sent_ok
from tests.outbound.helpers import refetch


def thread(world) -> list[Message]:
    db.session.expire_all()
    return list(db.session.scalars(select(Message).where(Message.conversation_id == world.conversation.id)
                                   .order_by(Message.id)))


def echo(world, mid, text=None, attachments=(), when=None):
    return match_echo(world.account, world.conversation, mid=mid, text=text, attachments=list(attachments),
                      timestamp=when or utcnow())


def pending(world, text, **fields) -> Message:
    now = fields.pop("created_at", utcnow())
    message = Message(account_id=world.account.id, conversation_id=world.conversation.id, direction="out",
                      status="pending", text=text, attachments=fields.pop("attachments", []), source="inbox",
                      sent_by_id=world.user.id, created_at=now, received_at=now, send_after=now, **fields)
    db.session.add(message)
    db.session.commit()
    return message


def test_response_then_echo_gives_one_message(app, world, meta):
    meta.post(world.messages_url, **sent_ok("mid.R1"))
    sent = queue_reply(world.conversation, text="Thanks for your order!", user=world.user)[-1]

    matched = echo(world, "mid.R1", text="Thanks for your order!")
    db.session.commit()

    assert matched is not None and matched.id == sent.id
    [only] = thread(world)
    assert (only.mid, only.status, only.source, only.sent_by_id) == ("mid.R1", "sent", "inbox", world.user.id)


def test_echo_then_response_gives_one_message(app, world, meta):
    matched = {}

    def webhook_arrives_during_the_call(request):
        # Meta delivers the echo before our send call has returned (and before its commit),
        # applied by ingestion in its own transaction.
        with app.app_context():
            result = echo(world_copy(world), "mid.E1", text="See you tomorrow")
            matched["id"] = result.id if result else None
            db.session.commit()
        return 200, {}, json.dumps(sent_body("mid.E1"))

    meta.add_callback("POST", world.messages_url, callback=webhook_arrives_during_the_call)
    sent = queue_reply(world.conversation, text="See you tomorrow", user=world.user)[-1]

    assert matched["id"] == sent.id
    [only] = thread(world)
    assert (only.mid, only.status, only.source, only.sent_by_id) == ("mid.E1", "sent", "inbox", world.user.id)
    assert len(meta.calls) == 1


def test_echo_stored_as_app_message_before_the_response_is_merged(app, world, meta):
    # Ingestion did not recognise the echo (it arrived with a different text rendering) and stored
    # it as typed in the app before our send job committed: the job must fold it in.
    def ingestion_stores_app_row(request):
        with app.app_context():
            w = world_copy(world)
            now = utcnow()
            db.session.add(Message(account_id=w.account.id, conversation_id=w.conversation.id, direction="out",
                                   status="read", text="Price: 20 EUR", source="app", mid="mid.A1",
                                   created_at=now, received_at=now,
                                   reactions=[{"emoji": "❤️", "reaction": "love", "by": "customer"}]))
            db.session.commit()
        return 200, {}, json.dumps(sent_body("mid.A1"))

    meta.add_callback("POST", world.messages_url, callback=ingestion_stores_app_row)
    sent = queue_reply(world.conversation, text="Price: 20 €", user=world.user)[-1]

    [only] = thread(world)
    assert only.id == sent.id
    assert (only.mid, only.source, only.sent_by_id, only.text) == ("mid.A1", "inbox", world.user.id, "Price: 20 €")
    assert only.status == "read" and only.reactions[0]["by"] == "customer"  # what the echo row knew is kept


def test_echo_of_a_message_typed_in_the_app_is_not_ours(app, world, meta):
    meta.post(world.messages_url, **sent_ok("mid.ours"))
    queue_reply(world.conversation, text="Hello from the inbox", user=world.user)
    assert echo(world, "mid.app", text="Typed on my phone") is None
    assert [m.mid for m in thread(world)] == ["mid.ours"]


def test_redelivered_echo_finds_the_same_message(app, world, meta):
    meta.post(world.messages_url, **sent_ok("mid.R2"))
    sent = queue_reply(world.conversation, text="Twice?", user=world.user)[-1]
    first = echo(world, "mid.R2", text="Twice?")
    second = echo(world, "mid.R2", text="Twice?")
    db.session.commit()
    assert first.id == second.id == sent.id
    assert len(thread(world)) == 1


def test_echo_settles_an_in_flight_send_before_its_response(app, world):
    message = pending(world, "On my way")
    sending.claim_outgoing(message.id)

    matched = echo(world, "mid.E2", text="On my way")
    db.session.commit()

    assert matched.id == message.id
    message = refetch(Message, message.id)
    assert (message.status, message.mid) == ("sent", "mid.E2")
    # The response then arrives: same mid, same row.
    assert lifecycle.record_sent(message.id, "mid.E2") == []
    assert [(m.id, m.mid, m.status) for m in thread(world)] == [(message.id, "mid.E2", "sent")]


def test_echo_proves_an_uncertain_failure_was_delivered(app, world, meta):
    meta.post(world.messages_url, body=requests.exceptions.ReadTimeout("read timed out"))
    sent = queue_reply(world.conversation, text="Did it go?", user=world.user)[-1]
    assert refetch(Message, sent.id).status == "failed"

    matched = echo(world, "mid.late", text="Did it go?")
    db.session.commit()

    assert matched.id == sent.id
    message = refetch(Message, sent.id)
    assert (message.status, message.mid, message.error) == ("sent", "mid.late", None)


def test_definite_failures_are_not_matched(app, world, meta):
    meta.post(world.messages_url, **graph_error(551))
    queue_reply(world.conversation, text="Blocked", user=world.user)
    assert echo(world, "mid.x", text="Blocked") is None


def test_oldest_matching_reply_first_and_text_must_match(app, world):
    older = pending(world, "Same words", created_at=utcnow() - timedelta(minutes=2))
    newer = pending(world, "Same words")
    other = pending(world, "Different")
    for message in (older, newer, other):
        sending.claim_outgoing(message.id)

    assert echo(world, "m1", text="Same words").id == older.id
    assert echo(world, "m2", text="Same words").id == newer.id
    assert echo(world, "m3", text="Same words") is None
    assert echo(world, "m4", text=" Different\r\n").id == other.id  # compared as sent


def test_attachment_echo_matches_by_type(app, world):
    image = pending(world, None, attachments=[{"type": "image", "url": "http://inbox.test/media/k"}])
    sending.claim_outgoing(image.id)
    assert echo(world, "m.video", attachments=[{"type": "video", "payload": {"url": "https://cdn/x"}}]) is None
    assert echo(world, "m.image", attachments=[{"type": "image", "payload": {"url": "https://cdn/x"}}]).id == image.id


def test_old_replies_are_not_taken_for_a_new_app_message(app, world):
    stale = pending(world, "ok", created_at=utcnow() - timedelta(days=3))
    sending.claim_outgoing(stale.id)
    assert echo(world, "m.new", text="ok") is None
    # An echo dated back then (as ingestion passes it, parsed from Meta's milliseconds) takes it.
    assert echo(world, "m.then", text="ok", when=utcnow() - timedelta(days=3)).id == stale.id


def test_identical_replies_sent_together_each_end_with_their_own_mid(app, world):
    first = pending(world, "ok", created_at=utcnow() - timedelta(seconds=1))
    second = pending(world, "ok")
    sending.claim_outgoing(first.id)
    sending.claim_outgoing(second.id)

    # The second send is answered first, and its echo is taken for the (older) first reply...
    assert echo(world, "mid.second", text="ok").id == first.id
    db.session.commit()
    # ...then its response arrives: it is authoritative for its own row.
    assert lifecycle.record_sent(second.id, "mid.second") == []
    assert refetch(Message, first.id).mid is None and refetch(Message, first.id).status == "pending"
    lifecycle.record_sent(first.id, "mid.first")

    assert {(m.id, m.mid, m.status) for m in thread(world)} == {
        (first.id, "mid.first", "sent"), (second.id, "mid.second", "sent")}


def test_a_reply_wrongly_settled_by_an_app_echo_is_sent_after_all(app, world, meta):
    # Staff typed the same words in the app while our reply was still queued: the app's echo took
    # our queued reply. When the real owner of that mid turns up, ours goes back to the queue.
    queued_reply = pending(world, "thanks")
    assert echo(world, "mid.app", text="thanks").id == queued_reply.id
    db.session.commit()
    in_app = pending(world, "thanks")  # stands for the row that really owns mid.app
    sending.claim_outgoing(in_app.id)
    meta.post(world.messages_url, **sent_ok("mid.ours"))

    resend = lifecycle.record_sent(in_app.id, "mid.app")

    assert resend == [queued_reply.id]
    from app.outbound.jobs import deliver_message_job

    deliver_message_job(queued_reply.id)
    assert refetch(Message, queued_reply.id).mid == "mid.ours"


def world_copy(world):
    """The same rows, loaded in the current (other) session."""
    from app.models import Conversation, InstagramAccount
    from tests.outbound.helpers import World

    return World(world.workspace, world.user, db.session.get(InstagramAccount, world.account.id),
                 db.session.get(Conversation, world.conversation.id))
