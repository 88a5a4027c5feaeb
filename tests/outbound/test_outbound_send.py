"""The send flow: the exact requests Meta receives, and the state every outcome ends in."""
from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from app.extensions import db
from app.instagram.errors import RateLimitedError, TransientError
from app.models import InstagramAccount, Message, utcnow
from app.outbound import lifecycle, sending
from app.outbound.jobs import deliver_message_job, sweep_outbound
from app.outbound.replies import ReplyRefused, delete_failed_message, queue_reply, retry_message
from tests.meta_kit import graph_error, graph_url, sent_ok
from tests.outbound.helpers import TOKEN, refetch, sent_bodies
from tests.sql_log import sql_sent


def count_messages() -> int:
    return db.session.scalar(select(func.count()).select_from(Message))


def pending_message(world, text="Hello from the team", **fields) -> Message:
    """A committed pending reply whose job has not run (as after a lost enqueue)."""
    now = utcnow()
    fields.setdefault("source", "inbox")
    fields.setdefault("sent_by_id", world.user.id)
    message = Message(account_id=world.account.id, conversation_id=world.conversation.id, direction="out",
                      status="pending", text=text, attachments=[], created_at=now, received_at=now,
                      send_after=now, **fields)
    db.session.add(message)
    db.session.commit()
    return message


# -- The happy path -------------------------------------------------------------------------

def test_text_reply_is_sent_once_with_metas_mid(app, world, meta):
    meta.post(world.messages_url, **sent_ok("mid.abc"))

    message = queue_reply(world.conversation, text="Hi! Yes, we ship to Lisbon.", user=world.user)[-1]

    assert len(meta.calls) == 1
    call = meta.calls[0]
    assert call.request.url == graph_url(world.account.ig_user_id, "messages")
    assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent_bodies(meta) == [{"recipient": {"id": world.igsid}, "message": {"text": "Hi! Yes, we ship to Lisbon."}}]
    message = refetch(Message, message.id)
    assert (message.status, message.mid, message.direction, message.source) == ("sent", "mid.abc", "out", "inbox")
    assert message.sent_by_id == world.user.id and message.error is None and message.send_attempts == 1
    assert message.human_agent is False


def test_a_send_around_its_graph_call_is_the_claim_with_its_read_and_the_settle(app, world, meta):
    """What a send costs besides Meta (bench/bench_worker.py): on PostgreSQL two statements, each
    committing as it runs (app.autocommit: no BEGIN and COMMIT round trips); SQLite cannot return
    the joined rows from the claim's UPDATE, so it reads them after it, in the same transaction."""
    meta.post(world.messages_url, **sent_ok("mid.two"))
    message_id = pending_message(world).id
    db.session.commit()  # as a job starts: the session holds no transaction

    with sql_sent() as sent:
        deliver_message_job(message_id)

    if db.engine.dialect.name == "postgresql":
        assert [(s.statement.split()[0], s.isolation_level) for s in sent] == [("UPDATE", "AUTOCOMMIT")] * 2
        assert "RETURNING" in sent[0].statement and "FROM conversations" in sent[0].statement
    else:
        assert [s.statement.split()[0] for s in sent] == ["UPDATE", "SELECT", "UPDATE"]
    sent_message = refetch(Message, message_id)
    assert (sent_message.status, sent_message.mid) == ("sent", "mid.two")


def test_reply_updates_the_conversation_list(app, world, meta):
    meta.post(world.messages_url, **sent_ok())
    world.conversation.waiting_since = utcnow()
    db.session.commit()
    queue_reply(world.conversation, text="On its way", user=world.user)
    conversation = refetch(type(world.conversation), world.conversation.id)
    assert conversation.last_message_preview == "On its way" and conversation.waiting_since is None


def test_text_is_normalised_before_sending(app, world, meta):
    meta.post(world.messages_url, **sent_ok())
    queue_reply(world.conversation, text="  line one\r\nline two \n", user=world.user)
    assert sent_bodies(meta)[0]["message"] == {"text": "line one\nline two"}


def test_human_agent_reply_after_24_hours(app, world, meta):
    world.workspace.human_agent_enabled = True
    world.conversation.last_inbound_at = utcnow() - timedelta(days=3)
    db.session.commit()
    meta.post(world.messages_url, **sent_ok("mid.ha"))

    message = queue_reply(world.conversation, text="Sorry for the wait!", user=world.user)[-1]

    assert meta.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent_bodies(meta) == [{
        "recipient": {"id": world.igsid},
        "messaging_type": "MESSAGE_TAG",
        "tag": "HUMAN_AGENT",
        "message": {"text": "Sorry for the wait!"},
    }]
    message = refetch(Message, message.id)
    assert message.human_agent is True and message.status == "sent"


def test_text_and_file_become_two_messages_sent_in_order(app, world, meta):
    from io import BytesIO

    from werkzeug.datastructures import FileStorage

    from tests.outbound.helpers import PNG

    meta.post(world.messages_url, **sent_ok("mid.1"))
    meta.post(world.messages_url, **sent_ok("mid.2"))
    upload = FileStorage(BytesIO(PNG), filename="photo.png", content_type="image/png")

    messages = queue_reply(world.conversation, text="Here it is", upload=upload, user=world.user)

    bodies = sent_bodies(meta)
    assert [list(b["message"]) for b in bodies] == [["attachment"], ["text"]]
    assert [refetch(Message, m.id).mid for m in messages] == ["mid.1", "mid.2"]


# -- Refusals: nothing stored, nothing sent -------------------------------------------------

@pytest.mark.parametrize("text, allowed", [
    ("a" * 1000, True),
    ("a" * 1001, False),
    ("é" * 500, True),     # 2 bytes each: exactly 1000 bytes
    ("é" * 501, False),    # 501 characters but 1002 bytes
    ("😀" * 250, True),     # 4 bytes each
    ("😀" * 251, False),
])
def test_text_limit_is_1000_utf8_bytes(app, world, meta, text, allowed):
    meta.post(world.messages_url, **sent_ok())
    if allowed:
        assert queue_reply(world.conversation, text=text, user=world.user)[-1].id
        assert sent_bodies(meta)[0]["message"]["text"] == text
    else:
        with pytest.raises(ReplyRefused) as refused:
            queue_reply(world.conversation, text=text, user=world.user)
        assert refused.value.code == "too_long"
        assert f"{len(text.encode()):,} bytes" in refused.value.message and "1,000" in refused.value.message
        assert count_messages() == 0 and len(meta.calls) == 0


@pytest.mark.parametrize("text", [None, "", "   \r\n "])
def test_empty_reply_is_refused(app, world, meta, text):
    with pytest.raises(ReplyRefused) as refused:
        queue_reply(world.conversation, text=text, user=world.user)
    assert refused.value.code == "empty"
    assert count_messages() == 0 and len(meta.calls) == 0


@pytest.mark.parametrize("status, token, expected", [
    ("reauth_required", TOKEN, "The Instagram connection needs to be renewed."),
    ("disconnected", None, "disconnected"),
])
def test_account_without_a_working_connection_refuses(app, world, meta, status, token, expected):
    world.account.status = status
    if token is None:
        world.account.token_encrypted = None
    db.session.commit()
    with pytest.raises(ReplyRefused) as refused:
        queue_reply(world.conversation, text="hello", user=world.user)
    assert refused.value.code == "account_unavailable" and expected in refused.value.message
    assert count_messages() == 0 and len(meta.calls) == 0


def test_unknown_source_is_a_programming_error(app, world):
    with pytest.raises(ValueError):
        queue_reply(world.conversation, text="hi", source="instagram")


# -- Errors: the right state after the right number of tries --------------------------------

TRANSIENT = graph_error(2, message="Service temporarily unavailable", status=503)
RATE_LIMITED = graph_error(4, message="Application request limit reached", status=400)


@pytest.mark.parametrize("answers, calls, status, error_part", [
    ([TRANSIENT] * 5, 5, "failed", "could not be reached after 5 tries"),
    ([TRANSIENT, TRANSIENT, sent_ok("mid.late")], 3, "sent", None),
    ([RATE_LIMITED] * 5, 5, "failed", "kept limiting"),
    ([RATE_LIMITED, sent_ok("mid.late")], 2, "sent", None),
    ([{"body": requests.exceptions.ConnectTimeout("connect timed out")}] * 5, 5, "failed", "could not be reached"),
    ([{"body": requests.exceptions.ConnectTimeout("connect timed out")}, sent_ok("mid.late")], 2, "sent", None),
    ([{"body": requests.exceptions.ReadTimeout("read timed out")}], 1, "failed", "may not have been delivered"),
    ([{"body": "<html>gateway timeout</html>", "status": 504}], 1, "failed", "may not have been delivered"),
    ([{"json": {"recipient_id": "r"}, "status": 200}], 1, "failed", "may not have been delivered"),
    ([graph_error(190, 460, "Error validating access token")], 1, "failed", "The Instagram connection needs to be renewed."),
    ([graph_error(10, 2534022, "outside of allowed window")], 1, "failed", "within 24 hours"),
    ([graph_error(551, message="This person isn't available right now.")], 1, "failed", "isn't available"),
    ([graph_error(100, 2534014, "No matching user found")], 1, "failed", "could not find this recipient"),
    ([graph_error(100, 2018109, "Attachment size exceeds")], 1, "failed", "larger than Instagram allows"),
    ([graph_error(10, message="Application does not have permission")], 1, "failed", "missing a permission"),
], ids=["transient-gives-up", "transient-recovers", "rate-limit-gives-up", "rate-limit-recovers",
        "connect-timeout-gives-up", "connect-timeout-recovers", "read-timeout", "gateway-timeout",
        "no-message-id", "token-invalid", "outside-window", "recipient-unavailable", "bad-recipient",
        "media-too-large", "missing-permission"])
def test_each_error_class_ends_in_the_right_state(app, world, meta, answers, calls, status, error_part):
    for answer in answers:
        meta.post(world.messages_url, **answer)

    message = queue_reply(world.conversation, text="Your order shipped", user=world.user)[-1]

    assert len(meta.calls) == calls
    message = refetch(Message, message.id)
    assert message.status == status
    if status == "sent":
        assert message.mid == "mid.late" and message.error is None
    else:
        assert message.mid is None and error_part in message.error
    for body in sent_bodies(meta):  # every try was the same request
        assert body == {"recipient": {"id": world.igsid}, "message": {"text": "Your order shipped"}}


def test_uncertain_failure_keeps_its_claim_and_is_never_resent_by_itself(app, world, meta):
    meta.post(world.messages_url, body=requests.exceptions.ReadTimeout("read timed out"))
    message = queue_reply(world.conversation, text="maybe", user=world.user)[-1]
    message = refetch(Message, message.id)
    assert message.status == "failed" and message.send_claimed_at is not None

    deliver_message_job(message.id)
    sweep_outbound()
    assert len(meta.calls) == 1


def test_definite_failure_releases_its_claim(app, world, meta):
    meta.post(world.messages_url, **graph_error(551))
    message = queue_reply(world.conversation, text="x", user=world.user)[-1]
    assert refetch(Message, message.id).send_claimed_at is None


def test_token_invalid_flips_the_account(app, world, meta):
    meta.post(world.messages_url, **graph_error(190, 463, f"Session has expired {TOKEN}"))
    message = queue_reply(world.conversation, text="hello", user=world.user)[-1]

    account = refetch(InstagramAccount, world.account.id)
    assert account.status == "reauth_required"
    assert TOKEN not in (account.last_error or "")
    assert refetch(Message, message.id).error == "The Instagram connection needs to be renewed."
    # Further replies are refused before anything is sent.
    with pytest.raises(ReplyRefused) as refused:
        queue_reply(world.conversation, text="again", user=world.user)
    assert refused.value.code == "account_unavailable"
    assert len(meta.calls) == 1


def test_outside_window_for_meta_retries_once_as_human_agent_when_allowed(app, world, meta):
    world.workspace.human_agent_enabled = True
    db.session.commit()
    meta.post(world.messages_url, **graph_error(10, 2534022, "outside of allowed window"))
    meta.post(world.messages_url, **sent_ok("mid.tagged"))

    message = queue_reply(world.conversation, text="Still there?", user=world.user)[-1]

    first, second = sent_bodies(meta)
    assert "tag" not in first
    assert second["messaging_type"] == "MESSAGE_TAG" and second["tag"] == "HUMAN_AGENT"
    message = refetch(Message, message.id)
    assert (message.status, message.mid, message.human_agent) == ("sent", "mid.tagged", True)


def test_automation_is_never_retried_with_the_human_agent_tag(app, world, meta):
    world.workspace.human_agent_enabled = True
    db.session.commit()
    meta.post(world.messages_url, **graph_error(10, 2534022, "outside of allowed window"))
    message = queue_reply(world.conversation, text="Auto hello", source="automation")[-1]
    assert len(meta.calls) == 1
    assert refetch(Message, message.id).status == "failed"


def test_a_waiting_retry_shows_why_and_is_due_later(app, world, meta):
    app.config["JOBS_INLINE_RETRY_DELAYS"] = True  # keep the retry waiting instead of running it now
    meta.post(world.messages_url, **RATE_LIMITED)
    message = queue_reply(world.conversation, text="soon", user=world.user)[-1]
    message = refetch(Message, message.id)
    assert message.status == "pending" and message.send_claimed_at is None
    assert "limiting" in message.error and "attempt 2 of 5" in message.error
    assert message.send_after >= utcnow() + timedelta(seconds=29)


def test_retry_delays_grow_with_jitter_and_rate_limits_wait_longer():
    transient, limited = TransientError("x"), RateLimitedError("x")
    for attempt in (1, 2, 3, 4):
        ceiling = 5 * 3 ** (attempt - 1)
        delays = {sending.retry_delay(attempt, transient) for _ in range(20)}
        assert all(max(ceiling / 2, 10) <= d <= max(ceiling, 10) for d in delays)  # Meta's 10 s hint is a floor
        assert all(sending.retry_delay(attempt, limited) >= 60 for _ in range(20))
    assert len({sending.retry_delay(4, transient) for _ in range(20)}) > 1  # jittered
    assert sending.retry_delay(1, RateLimitedError("x", retry_after=400)) >= 400
    assert sending.retry_delay(9, RateLimitedError("x")) <= 900


# -- At most once ---------------------------------------------------------------------------

def test_a_send_job_run_twice_makes_one_graph_call(app, world, meta):
    meta.post(world.messages_url, **sent_ok("mid.once"))
    message = pending_message(world)

    deliver_message_job(message.id)
    deliver_message_job(message.id)

    assert len(meta.calls) == 1
    assert refetch(Message, message.id).mid == "mid.once"


def test_send_jobs_queued_under_the_old_name_still_run():
    # RQ stores a job's function by dotted name: jobs queued before the rename must still resolve.
    from rq.utils import import_attribute

    assert import_attribute("app.outbound.jobs.send_message_job") is deliver_message_job


def test_only_one_claim_wins(app, world):
    message = pending_message(world)
    assert sending.claim_outgoing(message.id) is not None
    assert sending.claim_outgoing(message.id) is None


def test_crash_after_metas_answer_ends_failed_may_not_have_been_delivered(app, world, meta):
    # The state a worker leaves when it dies between Meta's answer and our commit: claimed, no mid.
    message = pending_message(world)
    sending.claim_outgoing(message.id)
    deliver_message_job(message.id)  # a redelivered job must not send again
    assert len(meta.calls) == 0

    assert sweep_outbound()["failed_stale"] == 0  # a fresh claim may still be at work
    db.session.execute(Message.__table__.update().where(Message.id == message.id)
                       .values(send_claimed_at=utcnow() - timedelta(minutes=6)))
    db.session.commit()
    assert sweep_outbound()["failed_stale"] == 1
    message = refetch(Message, message.id)
    assert message.status == "failed" and "may not have been delivered" in message.error
    assert len(meta.calls) == 0


def test_sweep_sends_what_was_never_enqueued(app, world, meta):
    meta.post(world.messages_url, **sent_ok("mid.swept"))
    message = pending_message(world)
    assert sweep_outbound()["requeued"] == 0  # not overdue yet
    db.session.execute(Message.__table__.update().where(Message.id == message.id)
                       .values(send_after=utcnow() - timedelta(minutes=3)))
    db.session.commit()

    assert sweep_outbound()["requeued"] == 1
    assert refetch(Message, message.id).mid == "mid.swept"
    assert sweep_outbound()["requeued"] == 0
    assert len(meta.calls) == 1


def test_the_sweep_sends_a_conversations_lost_sends_one_after_another(app, world, meta):
    """Queued as jobs of their own, a photo and its caption taken by one sweep could go in either
    order (a second rate limit on the photo let the caption first; found by a review): a sweep
    takes only a conversation's first pending send, the next sweep the one after it."""
    from app.outbound.sending import take_lost_sends

    meta.post(world.messages_url, **sent_ok("mid.first"))
    meta.post(world.messages_url, **sent_ok("mid.second"))
    first, second = pending_message(world, text="first"), pending_message(world, text="second")
    later = utcnow() + timedelta(minutes=3)
    assert take_lost_sends(now=later) == [first.id]
    db.session.execute(Message.__table__.update().where(Message.id == first.id)
                       .values(status="sent", mid="mid.first"))
    db.session.commit()
    assert take_lost_sends(now=later + timedelta(minutes=3)) == [second.id]


def test_the_window_is_checked_again_when_the_job_runs(app, world, meta):
    message = pending_message(world, source="automation", sent_by_id=None)
    world.conversation.last_inbound_at = utcnow() - timedelta(days=2)
    db.session.commit()
    deliver_message_job(message.id)
    assert len(meta.calls) == 0
    message = refetch(Message, message.id)
    assert message.status == "failed" and "24 hours" in message.error


# -- Retry and delete by staff --------------------------------------------------------------

def test_failed_message_can_be_retried(app, world, meta):
    meta.post(world.messages_url, **graph_error(2, status=500))
    meta.post(world.messages_url, **graph_error(2, status=500))
    meta.post(world.messages_url, **graph_error(2, status=500))
    meta.post(world.messages_url, **graph_error(2, status=500))
    meta.post(world.messages_url, **graph_error(2, status=500))
    meta.post(world.messages_url, **sent_ok("mid.retried"))
    message = queue_reply(world.conversation, text="persist", user=world.user)[-1]
    assert refetch(Message, message.id).status == "failed"

    retry_message(refetch(Message, message.id), user=world.user)

    message = refetch(Message, message.id)
    assert (message.status, message.mid, message.error) == ("sent", "mid.retried", None)
    assert len(meta.calls) == 6


def test_only_failed_messages_can_be_retried_or_deleted(app, world, meta):
    meta.post(world.messages_url, **sent_ok())
    message = refetch(Message, queue_reply(world.conversation, text="fine", user=world.user)[-1].id)
    with pytest.raises(ReplyRefused) as refused:
        retry_message(message)
    assert refused.value.code == "not_failed"
    with pytest.raises(ReplyRefused):
        delete_failed_message(message)
    assert refetch(Message, message.id) is not None


def test_retry_respects_the_window(app, world, meta):
    meta.post(world.messages_url, **graph_error(551))
    message = queue_reply(world.conversation, text="x", user=world.user)[-1]
    world.conversation.last_inbound_at = utcnow() - timedelta(days=9)
    db.session.commit()
    with pytest.raises(ReplyRefused) as refused:
        retry_message(refetch(Message, message.id))
    assert refused.value.code == "window_closed"
    assert refetch(Message, message.id).status == "failed"


def test_failed_message_can_be_deleted(app, world, meta):
    meta.post(world.messages_url, **graph_error(551))
    message = queue_reply(world.conversation, text="gone", user=world.user)[-1]
    delete_failed_message(refetch(Message, message.id))
    assert refetch(Message, message.id) is None
    assert count_messages() == 0


# -- Queued mode with a real worker ---------------------------------------------------------

def test_queued_mode_sends_on_the_worker(app, world, meta, queued):
    meta.post(world.messages_url, **sent_ok("mid.queued"))
    igsid = world.igsid
    message_id = queue_reply(world.conversation, text="From the worker", user=world.user)[-1].id
    assert refetch(Message, message_id).status == "pending"
    assert queued.depth() == 1 and len(meta.calls) == 0

    queued.work()

    message = refetch(Message, message_id)
    assert (message.status, message.mid) == ("sent", "mid.queued")
    assert sent_bodies(meta) == [{"recipient": {"id": igsid}, "message": {"text": "From the worker"}}]


def test_queued_mode_retries_after_a_delay(app, world, meta, queued):
    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    meta.post(world.messages_url, **TRANSIENT)
    meta.post(world.messages_url, **sent_ok("mid.second"))
    message_id = queue_reply(world.conversation, text="Try twice", user=world.user)[-1].id
    queued.work()

    assert len(meta.calls) == 1
    assert refetch(Message, message_id).status == "pending"
    queue = Queue("high", connection=queued.connection)
    registry = ScheduledJobRegistry(queue=queue)
    [job_id] = registry.get_job_ids()
    assert registry.get_scheduled_time(job_id) > utcnow() + timedelta(seconds=2)

    # Time passes: the scheduler moves the due job to its queue.
    job = queue.fetch_job(job_id)
    registry.remove(job)
    queue.enqueue_job(job)
    queued.work()

    assert len(meta.calls) == 2
    message = refetch(Message, message_id)
    assert (message.status, message.mid, message.send_attempts) == ("sent", "mid.second", 2)


def test_queued_mode_with_redis_down_is_sent_by_the_sweep(app, world, meta, queued):
    from redis import Redis

    meta.post(world.messages_url, **sent_ok("mid.later"))
    working = app.extensions["redis"]
    app.extensions["redis"] = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    message_id = queue_reply(world.conversation, text="Redis is down", user=world.user)[-1].id
    assert refetch(Message, message_id).status == "pending"  # committed, nothing lost

    app.extensions["redis"] = working
    db.session.execute(Message.__table__.update().where(Message.id == message_id)
                       .values(send_after=utcnow() - timedelta(minutes=3)))
    db.session.commit()
    sweep_outbound()
    queued.work()
    assert refetch(Message, message_id).mid == "mid.later"
