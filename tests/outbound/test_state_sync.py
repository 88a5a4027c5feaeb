"""Reactions and comment actions reach Instagram even when their enqueue is lost
(app/outbound/state_sync.py): the change marks the row, the job's lease moves the mark while it
runs and clears it when done, and the outbound sweep queues the job again for a row still marked
minutes later. Found by a resilience review: with Redis down, a reaction or a hidden comment
showed as done and never reached Instagram. (The same with a real Redis killed:
tests/faults/test_fault_redis.py.)"""
from __future__ import annotations

from datetime import timedelta

import pytest
import responses

from app.comments import actions
from app.extensions import db
from app.models import Message, utcnow
from app.outbound import replies, state_sync
from app.outbound.jobs import sweep_outbound, sync_reaction_job
from tests.comments.helpers import add_comment, comments_thread
from tests.meta_kit import graph_error, graph_url, success_ok
from tests.outbound.helpers import refetch, sent_bodies

SUCCESS = {"json": {"recipient_id": "r"}, "status": 200}


@pytest.fixture
def lost_enqueues(monkeypatch):
    """Redis is away for the staff's action: its enqueue is dropped, as app.jobs.enqueue does."""
    dropped = []

    def drop(func, *args, **kwargs):
        dropped.append(func.__name__)
        return False

    for module in (replies, actions):
        monkeypatch.setattr(module, "enqueue", drop)
    return dropped


def later(minutes: int = 3) -> None:
    """Let time pass for the sweep: every mark is `minutes` older."""
    for message in db.session.query(Message).filter(Message.state_sync_due_at.isnot(None)):
        message.state_sync_due_at -= timedelta(minutes=minutes)
    db.session.commit()


def due(message_id: int):
    return refetch(Message, message_id).state_sync_due_at


def test_a_reaction_whose_enqueue_was_lost_is_sent_by_the_sweep(app, world, meta, factory, lost_enqueues):
    message = factory.message(world.conversation, text="Do you have it in blue?", mid="mid.customer.1")
    replies.react(message, world.user, "love")
    assert lost_enqueues == ["sync_reaction_job"] and due(message.id) is not None
    meta.post(world.messages_url, **SUCCESS)

    assert sweep_outbound()["states_requeued"] == 0  # a fresh mark: its job may still be on its way
    assert sent_bodies(meta) == []
    later()
    assert sweep_outbound()["states_requeued"] == 1

    assert [body["sender_action"] for body in sent_bodies(meta)] == ["react"]
    assert due(message.id) is None  # told: the next sweep has nothing to do
    assert sweep_outbound()["states_requeued"] == 0


def test_hiding_and_deleting_whose_enqueue_was_lost_reach_instagram(app, factory, meta, lost_enqueues):
    thread = comments_thread(factory)
    ours = add_comment(factory, thread, "c-ours", "Thanks!", direction="out", status="sent", source="inbox",
                       parent_comment_id="c1")
    actions.set_hidden(thread.comment, True)
    actions.delete_reply(ours)
    assert lost_enqueues == ["sync_comment_hidden_job", "delete_comment_job"]
    meta.add(responses.POST, graph_url("c1"), **success_ok())
    meta.add(responses.DELETE, graph_url("c-ours"), **success_ok())

    later()
    assert sweep_outbound()["states_requeued"] == 2

    calls = sorted((c.request.method, c.request.url.split("/")[-1]) for c in meta.calls)
    assert calls == [("DELETE", "c-ours"), ("POST", "c1?hide=true")]
    assert due(thread.comment.id) is None and due(ours.id) is None


def test_a_refusal_ends_the_sync_too(app, factory, meta, lost_enqueues):
    """Instagram refused: the comment shows again with the reason, and nothing is owed any more."""
    thread = comments_thread(factory)
    actions.set_hidden(thread.comment, True)
    meta.add(responses.POST, graph_url("c1"), **graph_error(100, 33, "Unsupported post request"))
    later()
    sweep_outbound()
    comment = refetch(Message, thread.comment.id)
    assert comment.hidden is False and "did not hide" in comment.meta["comment_error"]
    assert comment.state_sync_due_at is None


def test_a_retry_moves_the_mark_to_when_it_is_due(app, world, meta, factory, monkeypatch):
    """A transient error: the job queues its next try with a delay; the sweep must not run it
    again before then (the mark moves to the retry's time), nor lose it if that enqueue is lost
    (the mark is due now)."""
    from app.outbound import jobs

    message = factory.message(world.conversation, text="Hi", mid="mid.customer.2")
    message.reactions = [{"emoji": "❤️", "reaction": "love", "by": "business", "user_id": world.user.id}]
    state_sync.mark(message)
    db.session.commit()
    meta.post(world.messages_url, **graph_error(2, message="Service temporarily unavailable", status=503))
    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda func, *args, **kwargs: queued.append(kwargs.get("delay")) or True)
    monkeypatch.setattr(jobs.sending, "retry_delay", lambda attempt, error: 600)

    before = utcnow()
    sync_reaction_job(message.id)
    assert queued == [600]
    assert due(message.id) >= before + timedelta(seconds=600)
    assert state_sync.sweep(now=utcnow() + timedelta(minutes=5)) == 0  # the retry is not due yet

    monkeypatch.setattr(jobs, "enqueue", lambda *args, **kwargs: False)  # the retry's enqueue is lost
    sync_reaction_job(message.id)
    assert due(message.id) <= utcnow()  # due now: the sweep takes it up


def test_a_change_during_the_job_keeps_its_own_mark(app, world, meta, factory):
    """Staff react again while the job is calling Instagram: the job does not clear the newer
    change's mark (its own enqueue may be the one that was lost)."""
    message = factory.message(world.conversation, text="Hi", mid="mid.customer.3")
    message.reactions = [{"emoji": "❤️", "reaction": "love", "by": "business", "user_id": world.user.id}]
    db.session.commit()

    def meanwhile(request):
        with app.app_context():
            row = db.session.get(Message, message.id)
            row.reactions = [{"emoji": "😮", "reaction": "wow", "by": "business", "user_id": world.user.id}]
            state_sync.mark(row)
            db.session.commit()
        return 200, {}, '{"recipient_id": "r"}'

    meta.add_callback(responses.POST, world.messages_url, callback=meanwhile)
    with state_sync.lease(message.id):
        pass  # a lease on a row no one changed ends with no mark
    assert due(message.id) is None
    sync_reaction_job(message.id)
    assert due(message.id) is not None


def test_a_job_that_fails_for_good_clears_its_mark(app, world, factory, monkeypatch):
    """An unexpected error on the job's last try (inline: its only one) is in the log and RQ's
    failed registry; the sweep does not queue it again every two minutes forever."""
    from app.outbound import jobs

    message = factory.message(world.conversation, text="Hi", mid="mid.customer.4")
    state_sync.mark(message)
    db.session.commit()

    def broken():
        raise RuntimeError("a bug")

    monkeypatch.setattr(jobs, "graph_client", broken)
    with pytest.raises(RuntimeError):
        sync_reaction_job(message.id)
    assert due(message.id) is None


def test_the_mark_moves_without_touching_updated_at(app, world, factory):
    """The live polls re-send a message whose updated_at moved: the job's lease and clear (two
    writes per sync, one per automated message) must not make every open thread redraw it."""
    message = factory.message(world.conversation, text="Hi", mid="mid.customer.5")
    state_sync.mark(message)
    db.session.commit()
    before = refetch(Message, message.id).updated_at
    with state_sync.lease(message.id):
        pass
    after = refetch(Message, message.id)
    assert after.state_sync_due_at is None and after.updated_at == before
