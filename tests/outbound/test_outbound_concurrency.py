"""Races between processes, run for real: threads with their own sessions and connections,
released together. Meaningful on PostgreSQL (row locks, READ COMMITTED); on SQLite writers are
serialised, so the same tests pin the sequential outcomes."""
from __future__ import annotations

import threading
import time

import pytest

from sqlalchemy import select, text, update

from app.extensions import db
from app.models import Conversation, InstagramAccount, Message, utcnow
from app.outbound import lifecycle, sending
from app.outbound.echo import match_echo
from app.outbound.jobs import deliver_message_job
from tests.meta_kit import sent_ok

ROUNDS = 8


def run_together(app, *funcs):
    """Run each function in its own thread and app context (its own session), all at once."""
    barrier = threading.Barrier(len(funcs))
    results: list = [None] * len(funcs)
    errors: list = []

    def runner(index, func):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results[index] = func()
            except Exception as exc:  # reported by the assertion below
                errors.append(exc)
            finally:
                db.session.rollback()
                db.session.remove()

    threads = [threading.Thread(target=runner, args=(i, f)) for i, f in enumerate(funcs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


def claimed_reply(world, text: str) -> int:
    now = utcnow()
    message = Message(account_id=world.account.id, conversation_id=world.conversation.id, direction="out",
                      status="pending", text=text, attachments=[], source="inbox", sent_by_id=world.user.id,
                      created_at=now, received_at=now, send_after=now)
    db.session.add(message)
    db.session.commit()
    assert sending.claim_outgoing(message.id)
    return message.id


def test_echo_and_send_response_racing_leave_one_row_with_the_mid(app, world):
    account_id, conversation_id = world.account.id, world.conversation.id
    for round_ in range(ROUNDS):
        text, mid = f"Reply number {round_}", f"mid.race.{round_}"
        message_id = claimed_reply(world, text)

        def ingestion():
            account = db.session.get(InstagramAccount, account_id)
            conversation = db.session.get(Conversation, conversation_id)
            matched = match_echo(account, conversation, mid=mid, text=text, attachments=[], timestamp=utcnow())
            db.session.commit()
            return matched.id if matched else None

        echo_result, _ = run_together(app, ingestion, lambda: lifecycle.record_sent(message_id, mid))

        assert echo_result == message_id
        db.session.expire_all()
        rows = db.session.scalars(select(Message).where(Message.mid == mid)).all()
        assert [(m.id, m.status, m.source) for m in rows] == [(message_id, "sent", "inbox")]


def test_claims_racing_have_one_winner(app, world):
    for round_ in range(ROUNDS):
        now = utcnow()
        message = Message(account_id=world.account.id, conversation_id=world.conversation.id, direction="out",
                          status="pending", text=f"claim {round_}", attachments=[], source="inbox",
                          created_at=now, received_at=now, send_after=now)
        db.session.add(message)
        db.session.commit()
        message_id = message.id
        results = run_together(app, *[lambda: sending.claim_outgoing(message_id)] * 4)
        assert sum(1 for r in results if r is not None) == 1


def test_a_claim_waiting_on_an_echo_that_settles_the_message_wins_nothing(app, world):
    """The claim (on PostgreSQL an UPDATE ... FROM ... RETURNING) queued behind ingestion's lock on
    the message: once the echo commits the mid, the claim re-checks the row and takes nothing."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: SQLite serialises writers")
    now = utcnow()
    message = Message(account_id=world.account.id, conversation_id=world.conversation.id, direction="out",
                      status="pending", text="Held", attachments=[], source="inbox",
                      created_at=now, received_at=now, send_after=now)
    db.session.add(message)
    db.session.commit()
    message_id = message.id
    db.session.remove()
    messages = Message.__table__
    claimed: list = []

    def claim():
        with app.app_context():
            claimed.append(sending.claim_outgoing(message_id))
            db.session.remove()

    with db.engine.connect() as echo:
        echo.execute(update(messages).where(messages.c.id == message_id).values(mid="mid.echoed", status="sent"))
        thread = threading.Thread(target=claim)
        thread.start()
        _until_a_backend_waits_on_a_lock()
        echo.commit()
    thread.join(timeout=30)

    assert claimed == [None]
    row = db.session.get(Message, message_id)
    assert (row.status, row.mid, row.send_claimed_at, row.send_attempts) == ("sent", "mid.echoed", None, 0)


def _until_a_backend_waits_on_a_lock(timeout: float = 10.0) -> None:
    # pg_stat_activity is read once per transaction: each look is a transaction of its own.
    deadline = time.monotonic() + timeout
    with db.engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                          "AND wait_event_type = 'Lock' AND query LIKE 'UPDATE messages%'"))
            watcher.rollback()
            if waiting:
                return
            time.sleep(0.005)  # polling another session's state; returns as soon as it waits
    raise AssertionError("the claim never waited on the echo's lock")


def test_send_jobs_racing_make_one_graph_call(app, world, meta):
    for round_ in range(4):
        meta.post(world.messages_url, **sent_ok(f"mid.job.{round_}"))
        now = utcnow()
        message = Message(account_id=world.account.id, conversation_id=world.conversation.id, direction="out",
                          status="pending", text=f"job {round_}", attachments=[], source="inbox",
                          created_at=now, received_at=now, send_after=now)
        db.session.add(message)
        db.session.commit()
        message_id = message.id
        run_together(app, *[lambda: deliver_message_job(message_id)] * 3)
        assert len(meta.calls) == round_ + 1
        db.session.expire_all()
        assert db.session.get(Message, message_id).mid == f"mid.job.{round_}"
