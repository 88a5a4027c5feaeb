"""The conversation's stored first customer message and first person's answer
(app.messages.first_times) stay what the messages say, whichever writer wrote them: ingestion in
any order, replies, failed sends and their retries, the sweep, echoes, history and the migration's
backfill. Each check compares with the definition worked out in Python from every message."""
from __future__ import annotations

import importlib.util
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from sqlalchemy import select, text, update

from app.extensions import db
from app.instagram import payloads as p
from app.messages import first_times
from app.models import Conversation, Message, utcnow
from app.outbound import lifecycle
from app.outbound.echo import match_echo
from app.outbound.jobs import sweep_outbound
from app.outbound.replies import ReplyRefused, delete_failed_message, queue_reply, retry_message
from tests.meta_kit import graph_error, graph_url, sent_ok
from tests.webhooks.helpers import T0, post

C = "6543210987654321"
MIGRATION = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0022_conversation_first_times.py"


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def by_definition(conversation_id: int) -> tuple[datetime | None, datetime | None]:
    """The two times read off the messages in Python, the docstring's words and nothing else."""
    messages = db.session.scalars(select(Message).where(Message.conversation_id == conversation_id)).all()
    first_in = min((m.created_at for m in messages if m.direction == "in" and m.kind != "referral"), default=None)
    answers = [m.created_at for m in messages if m.direction == "out" and m.source != "automation"
               and m.status != "failed" and first_in is not None and m.created_at >= first_in]
    return first_in, min(answers, default=None)


def stored(conversation_id: int) -> tuple[datetime | None, datetime | None]:
    db.session.expire_all()
    c = db.session.get(Conversation, conversation_id)
    return c.first_customer_at, c.first_answer_at


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def assert_kept(conversation_id: int) -> tuple[datetime | None, datetime | None]:
    assert stored(conversation_id) == by_definition(conversation_id)
    return stored(conversation_id)


# -- Ingestion ----------------------------------------------------------------------------------

@pytest.fixture
def account(factory):
    return factory.account(username="shop")


@pytest.fixture
def deliver(client, account):
    def deliver(*items):
        response = post(client, p.delivery(p.entry(account.ig_user_id, list(items))))
        assert response.status_code == 200, response.get_data(as_text=True)
        db.session.expire_all()
    return deliver


def the_conversation() -> int:
    return db.session.scalar(select(Conversation.id))


def test_deliveries_in_any_order(deliver, account):
    ig = account.ig_user_id
    # An answer typed in the Instagram app before the customer ever wrote answers nothing.
    deliver(p.echo(ig, C, "e-early", "Welcome to the shop!", T0 + 50_000))
    cid = the_conversation()
    assert assert_kept(cid) == (None, None)
    deliver(p.text_message(ig, C, "m-1", "Is the blue one in stock?", T0 + 100_000))
    assert assert_kept(cid) == (at(T0 + 100_000), None)
    deliver(p.echo(ig, C, "e-1", "Yes!", T0 + 200_000))
    assert assert_kept(cid) == (at(T0 + 100_000), at(T0 + 200_000))
    deliver(p.text_message(ig, C, "m-2", "Great, and red?", T0 + 300_000))  # later lines change nothing
    assert assert_kept(cid) == (at(T0 + 100_000), at(T0 + 200_000))
    # A late delivery of an older first message: the early welcome now comes after it, so it counts.
    deliver(p.text_message(ig, C, "m-0", "Hello?", T0 + 10_000))
    assert assert_kept(cid) == (at(T0 + 10_000), at(T0 + 50_000))
    # Redelivered: nothing moves.
    deliver(p.text_message(ig, C, "m-0", "Hello?", T0 + 10_000))
    assert assert_kept(cid) == (at(T0 + 10_000), at(T0 + 50_000))


def test_a_thread_we_started_then_an_older_customer_message(deliver, account):
    """An answer stored as too early (nothing from the customer before it) counts once an older
    customer message turns up, whether or not another answer is stored (the review's cases)."""
    ig = account.ig_user_id
    deliver(p.echo(ig, C, "e-50", "New collection is in!", T0 + 50_000))
    cid = the_conversation()
    deliver(p.text_message(ig, C, "m-10", "Hi, I saw your story", T0 + 10_000))  # delivered late
    assert assert_kept(cid) == (at(T0 + 10_000), at(T0 + 50_000))


def test_a_late_first_message_when_no_answer_is_stored(deliver, account):
    ig = account.ig_user_id
    deliver(p.echo(ig, C, "e-50", "New collection is in!", T0 + 50_000))
    deliver(p.text_message(ig, C, "m-100", "Price?", T0 + 100_000))
    cid = the_conversation()
    assert assert_kept(cid) == (at(T0 + 100_000), None)
    deliver(p.text_message(ig, C, "m-10", "Hello!", T0 + 10_000))
    assert assert_kept(cid) == (at(T0 + 10_000), at(T0 + 50_000))


def test_one_delivery_out_of_order_and_an_ad_referral(deliver, account):
    ig = account.ig_user_id
    deliver(p.echo(ig, C, "e-1", "Thanks for writing!", T0 + 60_000),
            p.text_message(ig, C, "m-1", "Hi", T0 + 30_000),
            p.link_referral(ig, C, "spring", T0 + 1_000))
    # The ig.me link's referral line is older but not the customer writing; the echo after them answers.
    assert assert_kept(the_conversation()) == (at(T0 + 30_000), at(T0 + 60_000))


# -- Replies, failures, retries, the sweep, echoes ----------------------------------------------

@pytest.fixture
def thread(factory):
    workspace = factory.workspace()
    user = factory.user(workspace, name="Ana Agent")
    account = factory.account(workspace)
    conversation = factory.conversation(account, last_inbound_at=utcnow() - timedelta(hours=1))
    factory.message(conversation, "Do you ship to Lisbon?", created_at=utcnow() - timedelta(hours=1))
    return user, account, conversation


def messages_url(account) -> str:
    return graph_url(account.ig_user_id, "messages")


def test_a_reply_answers_and_a_failed_one_does_not_until_retried(app, thread, meta):
    user, account, conversation = thread
    for _ in range(5):
        meta.post(messages_url(account), **graph_error(2, status=500))
    meta.post(messages_url(account), **sent_ok("mid.retried"))
    message = queue_reply(conversation, text="We do!", user=user)[-1]
    assert fresh(Message, message.id).status == "failed"
    assert assert_kept(conversation.id)[1] is None  # it never reached the customer

    retry_message(fresh(Message, message.id), user=user)
    assert assert_kept(conversation.id)[1] == fresh(Message, message.id).created_at


def test_an_automated_reply_is_no_answer(app, thread, meta):
    user, account, conversation = thread
    meta.post(messages_url(account), **sent_ok("mid.auto"))
    queue_reply(conversation, text="We usually answer within the hour.", source="automation")
    assert assert_kept(conversation.id)[1] is None


def test_an_uncertain_failure_then_its_echo(app, thread, meta):
    user, account, conversation = thread
    meta.post(messages_url(account), body=requests.exceptions.ReadTimeout("read timed out"))
    sent = queue_reply(conversation, text="Did it go?", user=user)[-1]
    assert assert_kept(conversation.id)[1] is None
    match_echo(account, fresh(Conversation, conversation.id), mid="mid.late", text="Did it go?",
               attachments=[], timestamp=utcnow())
    db.session.commit()
    assert assert_kept(conversation.id)[1] == fresh(Message, sent.id).created_at


def test_the_sweep_fails_an_abandoned_claim(app, thread, factory):
    user, account, conversation = thread
    claimed = factory.message(conversation, "On its way", direction="out", status="pending", mid=None,
                              send_claimed_at=utcnow() - timedelta(minutes=10), sent_by_id=user.id)
    assert assert_kept(conversation.id)[1] == claimed.created_at  # pending: it may reach them
    assert sweep_outbound()["failed_stale"] == 1
    assert assert_kept(conversation.id)[1] is None


def test_a_send_job_failure_gives_the_answer_back_to_an_earlier_one(app, thread, factory):
    user, account, conversation = thread
    first = factory.message(conversation, "One moment", direction="out", status="pending", mid=None,
                            send_claimed_at=utcnow(), sent_by_id=user.id, created_at=utcnow() - timedelta(minutes=30))
    factory.message(conversation, "Found it", direction="out", sent_by_id=user.id)
    assert lifecycle.record_failure(first.id, fresh(Message, first.id).send_claimed_at, "refused",
                                    uncertain=False)
    assert assert_kept(conversation.id)[1] > first.created_at  # the later answer is the first now


def test_a_send_response_for_a_reply_the_sweep_had_failed(app, thread, factory):
    """The job was slow, the sweep gave its claim up as "may not have been delivered", then Meta's
    answer came: sent after all, so it is the answer again."""
    user, account, conversation = thread
    reply = factory.message(conversation, "On its way", direction="out", status="failed", mid=None,
                            send_claimed_at=utcnow(), sent_by_id=user.id)
    assert assert_kept(conversation.id)[1] is None
    assert lifecycle.record_sent(reply.id, "mid.late") == []
    assert fresh(Message, reply.id).status == "sent"
    assert assert_kept(conversation.id)[1] == reply.created_at


def test_a_failed_reply_sent_after_all_cannot_be_deleted(app, thread, factory):
    user, account, conversation = thread
    reply = factory.message(conversation, "On its way", direction="out", status="failed", mid=None,
                            send_claimed_at=utcnow(), sent_by_id=user.id)
    stale = fresh(Message, reply.id)  # what the staff's page showed: failed
    db.session.execute(update(Message).where(Message.id == reply.id).values(status="sent", mid="mid.echo"))
    first_times.refresh([conversation.id])
    db.session.commit()  # an echo proved it sent meanwhile
    with pytest.raises(ReplyRefused):
        delete_failed_message(stale)
    assert fresh(Message, reply.id) is not None
    assert assert_kept(conversation.id)[1] == reply.created_at


def test_keeping_the_times_leaves_updated_at_alone(app, thread, factory):
    """The inbox's live poll watches updated_at: recomputing the reports' times changes nothing it shows."""
    user, account, conversation = thread
    before = fresh(Conversation, conversation.id).updated_at
    first_times.refresh([conversation.id])
    first_times.refresh(workspace_id=conversation.workspace_id)
    db.session.commit()
    assert fresh(Conversation, conversation.id).updated_at == before


# -- Bulk writers -------------------------------------------------------------------------------

def test_refresh_of_a_workspace_and_the_migrations_backfill_agree(app, thread, factory):
    user, account, conversation = thread
    other = factory.conversation(account, contact=factory.contact(account, name="Bo"))
    factory.message(other, "Price?", created_at=utcnow() - timedelta(minutes=5))
    factory.message(other, "20 EUR", direction="out", sent_by_id=user.id)
    factory.message(conversation, "Auto", direction="out", source="automation")
    ids = [conversation.id, other.id]
    expected = {cid: by_definition(cid) for cid in ids}

    db.session.execute(update(Conversation).values(first_customer_at=None, first_answer_at=None))
    first_times.refresh(workspace_id=conversation.workspace_id)
    db.session.commit()
    assert {cid: stored(cid) for cid in ids} == expected

    spec = importlib.util.spec_from_file_location("migration_0022", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    db.session.execute(update(Conversation).values(first_customer_at=None, first_answer_at=None))
    db.session.execute(text(migration.BACKFILL))
    db.session.commit()
    assert {cid: stored(cid) for cid in ids} == expected
    assert expected[other.id][1] is not None


def test_refresh_needs_a_scope():
    with pytest.raises(ValueError):
        first_times.refresh()
