"""The one private reply per comment under real races: threads with their own sessions and
connections, released together (meaningful on PostgreSQL, where the claim's UPDATE waits for the
other transaction's row lock and then matches nothing; on SQLite writers are serialised, so the
same tests pin the sequential outcome)."""
from __future__ import annotations

import responses
from sqlalchemy import select

from app.comments import actions
from app.extensions import db
from app.models import Conversation, Message
from app.outbound.jobs import deliver_message_job
from app.outbound.replies import ReplyRefused
from tests.comments.helpers import add_comment, comments_thread
from tests.meta_kit import graph_url, sent_ok
from tests.outbound.test_outbound_concurrency import run_together

ROUNDS = 6


def _attempt(comment_id: int, text: str):
    def attempt():
        comment = db.session.get(Message, comment_id)
        try:
            return actions.reply_privately(comment, text).id
        except ReplyRefused as refused:
            return refused.code
    return attempt


def test_two_people_replying_privately_at_once_send_one_reply(app, factory, meta):
    thread = comments_thread(factory)
    meta.add(responses.POST, graph_url(thread.account.ig_user_id, "messages"), **sent_ok("mid.p"))
    comment_ids = [thread.comment.id] + [add_comment(factory, thread, f"c-{n}").id for n in range(1, ROUNDS)]
    for round_, comment_id in enumerate(comment_ids):
        results = run_together(app, _attempt(comment_id, f"first {round_}"), _attempt(comment_id, f"second {round_}"))
        assert sorted(map(type, results), key=str) == [int, str], results
        assert "already_replied" in results
        db.session.expire_all()
        comment = db.session.get(Message, comment_id)
        [winner] = [r for r in results if isinstance(r, int)]
        assert comment.private_reply_message_id == winner
    # One DM conversation for the person, one reply per comment, one call to Instagram per comment.
    assert db.session.scalar(select(db.func.count()).select_from(Conversation).where(Conversation.kind == "dm")) == 1
    out = db.session.scalars(select(Message).where(Message.direction == "out")).all()
    assert len(out) == ROUNDS
    sends = [c for c in meta.calls if c.request.url.endswith("/messages")]
    assert len(sends) == ROUNDS


def test_two_workers_running_the_send_job_send_the_private_reply_once(app, factory, meta, queued):
    thread = comments_thread(factory)
    meta.add(responses.POST, graph_url(thread.account.ig_user_id, "messages"), **sent_ok("mid.p"))
    reply_id = actions.reply_privately(thread.comment, "hello").id  # queued, not yet sent
    assert db.session.get(Message, reply_id).status == "pending" and not meta.calls
    run_together(app, lambda: deliver_message_job(reply_id), lambda: deliver_message_job(reply_id))
    assert len([c for c in meta.calls if c.request.url.endswith("/messages")]) == 1
    db.session.expire_all()
    assert db.session.get(Message, reply_id).status == "sent"
