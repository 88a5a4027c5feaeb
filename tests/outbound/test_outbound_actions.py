"""Reactions and seen receipts: the exact requests Meta receives, and failures that stay quiet."""
from __future__ import annotations

import logging

import pytest

from app.extensions import db
from app.models import InstagramAccount, Message
from app.outbound.replies import ReplyRefused, queue_mark_seen, react, unreact
from tests.meta_kit import graph_error
from tests.outbound.helpers import TOKEN, refetch, sent_bodies

SUCCESS = {"json": {"recipient_id": "r"}, "status": 200}


@pytest.fixture
def customer_message(world, factory):
    return factory.message(world.conversation, text="Do you have it in blue?", mid="mid.customer.1")


def test_react_sends_the_reaction(app, world, meta, customer_message):
    meta.post(world.messages_url, **SUCCESS)

    react(customer_message, world.user, "love")

    assert meta.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent_bodies(meta) == [{"recipient": {"id": world.igsid}, "sender_action": "react",
                                  "payload": {"message_id": "mid.customer.1", "reaction": "love"}}]
    message = refetch(Message, customer_message.id)
    assert message.reactions == [{"emoji": "❤️", "reaction": "love", "by": "business", "user_id": world.user.id}]


def test_a_new_reaction_replaces_ours_and_keeps_the_customers(app, world, meta, customer_message):
    customer_message.reactions = [{"emoji": "😆", "reaction": "laugh", "by": "customer"}]
    db.session.commit()
    meta.post(world.messages_url, **SUCCESS)
    meta.post(world.messages_url, **SUCCESS)
    react(customer_message, world.user, "love")
    react(refetch(Message, customer_message.id), world.user, "like")
    reactions = refetch(Message, customer_message.id).reactions
    assert [(r["by"], r["reaction"]) for r in reactions] == [("customer", "laugh"), ("business", "like")]
    assert sent_bodies(meta)[1]["payload"] == {"message_id": "mid.customer.1", "reaction": "like"}


def test_unreact_sends_the_removal(app, world, meta, customer_message):
    meta.post(world.messages_url, **SUCCESS)
    meta.post(world.messages_url, **SUCCESS)
    react(customer_message, world.user, "wow")
    unreact(refetch(Message, customer_message.id), world.user)

    assert sent_bodies(meta)[1] == {"recipient": {"id": world.igsid}, "sender_action": "unreact",
                                    "payload": {"message_id": "mid.customer.1"}}
    assert refetch(Message, customer_message.id).reactions == []


def test_refused_reaction_is_taken_back_with_a_reason(app, world, meta, customer_message):
    meta.post(world.messages_url, **graph_error(100, message="Invalid message id"))
    react(customer_message, world.user, "love")
    message = refetch(Message, customer_message.id)
    assert message.reactions == []
    assert "could not be sent" in message.meta["reaction_error"]


def test_reaction_retries_transient_errors_then_succeeds(app, world, meta, customer_message):
    meta.post(world.messages_url, **graph_error(2, status=503))
    meta.post(world.messages_url, **SUCCESS)
    react(customer_message, world.user, "sad")
    assert len(meta.calls) == 2
    assert refetch(Message, customer_message.id).reactions[0]["reaction"] == "sad"


def test_reaction_with_dead_token_flips_the_account(app, world, meta, customer_message):
    meta.post(world.messages_url, **graph_error(190, 460))
    react(customer_message, world.user, "love")
    assert refetch(InstagramAccount, world.account.id).status == "reauth_required"
    assert refetch(Message, customer_message.id).reactions == []


@pytest.mark.parametrize("reaction", ["kiss", "", "<script>"])
def test_unknown_reactions_are_refused(app, world, meta, customer_message, reaction):
    with pytest.raises(ReplyRefused) as refused:
        react(customer_message, world.user, reaction)
    assert refused.value.code == "bad_reaction" and len(meta.calls) == 0


def test_only_customer_messages_can_be_reacted_to(app, world, meta, factory):
    ours = factory.message(world.conversation, text="ours", direction="out")
    with pytest.raises(ReplyRefused) as refused:
        react(ours, world.user, "love")
    assert refused.value.code == "cannot_react" and len(meta.calls) == 0


# -- mark_seen --------------------------------------------------------------------------------

def test_opening_a_conversation_marks_it_seen(app, world, meta):
    meta.post(world.messages_url, **SUCCESS)
    queue_mark_seen(world.conversation)
    assert meta.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert meta.calls[0].request.url == world.messages_url
    assert sent_bodies(meta) == [{"recipient": {"id": world.igsid}, "sender_action": "mark_seen"}]


def test_mark_seen_can_be_turned_off(app, world, meta):
    world.workspace.mark_seen_enabled = False
    db.session.commit()
    queue_mark_seen(world.conversation)
    assert len(meta.calls) == 0


def test_mark_seen_failures_are_logged_not_raised(app, world, meta, caplog):
    meta.post(world.messages_url, **graph_error(2, status=500))
    meta.post(world.messages_url, **graph_error(2, status=500))
    meta.post(world.messages_url, **graph_error(100, message="bad"))
    with caplog.at_level(logging.WARNING):
        queue_mark_seen(world.conversation)  # transient: one retry, then logged
        queue_mark_seen(world.conversation)  # permanent: logged
    assert len(meta.calls) == 3
    assert "mark_seen" in caplog.text


def test_mark_seen_with_dead_token_flips_the_account_quietly(app, world, meta):
    meta.post(world.messages_url, **graph_error(190, 460))
    queue_mark_seen(world.conversation)
    assert refetch(InstagramAccount, world.account.id).status == "reauth_required"
    queue_mark_seen(refetch(type(world.conversation), world.conversation.id))
    assert len(meta.calls) == 1  # not tried again on a dead connection
