"""The Graph API slow, failing with 5xx, rate limiting: a reply ends `sent` after retries, or
`failed` with a readable reason after a bounded number of tries, and it reaches Meta at most once.

Real HTTP to the stand-in, real RQ on a private Redis, the retries' delays skipped by moving
RQ's scheduled jobs to their queues (`make_due`) instead of waiting for them."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.instagram.graph import GraphClient
from app.models import Message, utcnow
from app.outbound.replies import queue_reply
from app.outbound.rules import MAY_NOT_HAVE_BEEN_DELIVERED
from app.outbound.sending import MAX_SEND_ATTEMPTS
from tests.faults.scenario import make_due, work
from tests.meta_kit import GRAPH_VERSION

pytestmark = pytest.mark.faults


@pytest.fixture
def conversation(factory, shop):
    return factory.conversation(shop, last_inbound_at=utcnow() - timedelta(hours=1))


def attempts(meta) -> list:
    return meta.control.requests_to(r"/messages$", method="POST")


def run_until_settled(app, message_id: int, rounds: int = MAX_SEND_ATTEMPTS + 2) -> Message:
    """Work the queues, let the scheduled retries fall due, again, until the message settles."""
    for _ in range(rounds):
        work(app)
        db.session.expire_all()
        message = db.session.get(Message, message_id)
        if message.status != "pending":
            return message
        make_due(app)
    raise AssertionError(f"message {message_id} still pending after {rounds} rounds: {message.error}")


def test_server_errors_then_success_is_sent_once(queued_app, standin_meta, conversation):
    standin_meta.control.server_error(r"/messages$", status=503, times=2)
    message_id = queue_reply(conversation, text="We have it in blue.")[-1].id

    work(queued_app)
    db.session.expire_all()
    waiting = db.session.get(Message, message_id)
    assert waiting.status == "pending"
    assert waiting.error == f"Instagram could not be reached; trying again (attempt 2 of {MAX_SEND_ATTEMPTS})."

    message = run_until_settled(queued_app, message_id)
    assert message.status == "sent" and message.mid and message.error is None
    assert [r.fault for r in attempts(standin_meta)] == ["server_error", "server_error", None]


def test_server_down_for_good_fails_readably_after_bounded_tries(queued_app, standin_meta, conversation):
    standin_meta.control.server_error(r"/messages$", status=500, times=None)
    message_id = queue_reply(conversation, text="We have it in blue.")[-1].id

    message = run_until_settled(queued_app, message_id)

    assert message.status == "failed"
    assert message.error == (f"Instagram could not be reached after {MAX_SEND_ATTEMPTS} tries, so the message "
                             "was not sent. Retry it when Instagram is back.")
    assert len(attempts(standin_meta)) == MAX_SEND_ATTEMPTS


def test_rate_limited_then_allowed_is_sent_once(queued_app, standin_meta, conversation):
    standin_meta.control.rate_limit(r"/messages$", retry_after=120, code=4, times=1)
    message_id = queue_reply(conversation, text="Thanks for waiting!")[-1].id

    work(queued_app)
    db.session.expire_all()
    waiting = db.session.get(Message, message_id)
    assert waiting.status == "pending" and "limiting this account" in waiting.error
    # Meta's Retry-After is respected: the next try is not due for at least two minutes.
    assert waiting.send_after >= utcnow() + timedelta(seconds=100)

    message = run_until_settled(queued_app, message_id)
    assert message.status == "sent" and message.mid
    assert [r.fault for r in attempts(standin_meta)] == ["rate_limit", None]


def test_rate_limited_for_good_fails_readably(queued_app, standin_meta, conversation):
    standin_meta.control.rate_limit(r"/messages$", retry_after=1, code=4, times=None)
    message_id = queue_reply(conversation, text="Thanks for waiting!")[-1].id

    message = run_until_settled(queued_app, message_id)

    assert message.status == "failed"
    assert message.error.startswith("Instagram kept limiting how fast this account may send")
    assert len(attempts(standin_meta)) == MAX_SEND_ATTEMPTS


def test_slow_answer_within_the_timeout_is_just_slow(queued_app, standin_meta, conversation):
    standin_meta.control.delay(r"/messages$", 1.0)
    message_id = queue_reply(conversation, text="One moment please")[-1].id

    message = run_until_settled(queued_app, message_id)

    assert message.status == "sent" and message.mid
    assert len(attempts(standin_meta)) == 1


def test_answer_slower_than_the_timeout_is_never_sent_twice(queued_app, standin_meta, conversation):
    """No answer in time: Meta may have delivered it, so it is not retried but ends failed with
    a reason that says so (the echo, if it comes, will still settle it as sent)."""
    queued_app.extensions["graph_client"] = GraphClient(standin_meta.graph_url, standin_meta.api_url, GRAPH_VERSION,
                                                        timeout=(2, 0.5))
    standin_meta.control.delay(r"/messages$", 2.0)
    message_id = queue_reply(conversation, text="One moment please")[-1].id

    message = run_until_settled(queued_app, message_id)

    assert message.status == "failed"
    assert message.error == MAY_NOT_HAVE_BEEN_DELIVERED
    assert len(attempts(standin_meta)) == 1
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.direction == "out")) == 1
