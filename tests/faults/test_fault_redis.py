"""Redis stopped during ingestion: Meta still gets its 200, the rows are kept, and the follow-up
work a lost enqueue left undone is done by the sweep once Redis is back (docs/architecture.md#jobs-queues-and-the-sweeps)."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.jobs import QUEUES
from app.models import Contact, Message, utcnow
from app.standin.profiles import customer_profile
from app.webhooks.jobs import sweep_ingest
from tests.faults.scenario import CUSTOMER, SWEEP_LATER, counts, inbound, work
from tests.webhooks.helpers import post

pytestmark = pytest.mark.faults


def queue_depth(app) -> int:
    from rq import Queue

    from app.jobs import redis_connection

    return sum(Queue(name, connection=redis_connection(app)).count for name in QUEUES)


def test_redis_killed_before_a_delivery(queued_app, private_redis, shop, client):
    private_redis.kill()

    response = post(client, inbound(shop))

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"status": "applied"}
    assert counts() == {"webhook_events": 1, "contacts": 1, "conversations": 1, "messages": 1, "leads": 1}
    contact = db.session.scalars(select(Contact)).one()
    assert contact.profile_fetched_at is None  # its lookup job was lost with Redis

    private_redis.start()  # the same port: the app reconnects by itself
    assert queue_depth(queued_app) == 0
    swept = sweep_ingest(now=utcnow() + SWEEP_LATER)
    assert swept["profiles"] == 1
    work(queued_app)

    db.session.expire_all()
    contact = db.session.scalars(select(Contact)).one()
    assert contact.profile_fetched_at is not None
    assert contact.username == customer_profile(CUSTOMER).username


def test_redis_hanging_delays_a_delivery_but_never_fails_it(queued_app, private_redis, shop, client):
    """A Redis that accepts connections but never answers (a hung host): the enqueue times out,
    the request still answers 200 well inside Meta's patience, and the data is there."""
    post(client, inbound(shop, mid="m.warm"))  # the app's Redis connection is open before the hang
    private_redis.pause()
    try:
        started = time.monotonic()
        response = post(client, inbound(shop, mid="m.during-hang", customer="6100000000000043"))
        elapsed = time.monotonic() - started
    finally:
        private_redis.resume()

    assert response.status_code == 200
    assert elapsed < 5, f"a hung Redis held the webhook for {elapsed:.1f} s"
    assert db.session.scalar(select(Message).where(Message.mid == "m.during-hang")) is not None

    swept = sweep_ingest(now=utcnow() + SWEEP_LATER)
    assert swept["profiles"] >= 1
    work(queued_app)
    db.session.expire_all()
    assert db.session.scalar(select(Contact).where(Contact.igsid == "6100000000000043")).profile_fetched_at


def test_redis_back_mid_stream_loses_nothing(queued_app, private_redis, shop, client):
    """Deliveries before, during and after an outage: every message is there exactly once and
    every profile gets fetched once Redis is back and the sweep has run."""
    customers = [f"61000000000001{n:02d}" for n in range(6)]
    for n, customer in enumerate(customers):
        if n == 2:
            private_redis.kill()
        if n == 4:
            private_redis.start()
        response = post(client, inbound(shop, mid=f"m.stream.{n}", customer=customer))
        assert response.status_code == 200
    sweep_ingest(now=utcnow() + SWEEP_LATER)
    work(queued_app)

    db.session.expire_all()
    assert counts()["messages"] == len(customers)
    contacts = db.session.scalars(select(Contact).order_by(Contact.igsid)).all()
    assert [c.igsid for c in contacts] == customers
    assert all(c.username == customer_profile(c.igsid).username for c in contacts)


def test_a_comment_hidden_while_redis_is_down_is_hidden_on_instagram_once_it_is_back(queued_app, private_redis,
                                                                                     auth, factory, meta):
    """The inbox shows the comment hidden at once; its job's enqueue is lost with Redis; the
    outbound sweep queues it again once Redis is back (app/outbound/state_sync.py). Before, an
    abusive comment stayed public while the inbox said it was hidden, with no error."""
    import responses

    from app.outbound.jobs import sweep_outbound
    from tests.comments.helpers import comments_thread
    from tests.meta_kit import graph_url, success_ok

    thread = comments_thread(factory)
    comment_id = thread.comment.id
    meta.add(responses.POST, graph_url("c1"), **success_ok())
    auth.login(thread.user)
    private_redis.kill()

    response = auth.post(f"/comments/{comment_id}/hide", {"hidden": "1"}, htmx=True)
    assert response.status_code == 200 and "Unhide" in response.get_data(as_text=True)
    assert sweep_outbound()["states_requeued"] == 0  # not yet lost, and Redis is away anyway

    private_redis.start()
    db.session.execute(text("UPDATE messages SET state_sync_due_at = state_sync_due_at - interval '3 minutes'"))
    db.session.commit()
    assert sweep_outbound()["states_requeued"] == 1
    work(queued_app)

    assert [c.request.url.split("/")[-1] for c in meta.calls] == ["c1?hide=true"]
    db.session.expire_all()
    assert db.session.get(Message, comment_id).state_sync_due_at is None


def test_a_reply_while_redis_hangs_answers_at_once_and_is_sent_later(queued_app, private_redis, shop, auth, factory):
    """A hung Redis (it accepts connections and never answers) held a reply from the composer for
    7 s, a web thread the whole time (found by a resilience review): each Redis call now gives up
    after app.jobs.REDIS_TIMEOUT. The reply waits `pending` and the outbound sweep sends it once."""
    from datetime import timedelta

    from app.outbound.jobs import sweep_outbound

    rep = factory.user(shop.workspace, role="agent")
    conversation = factory.conversation(shop, last_inbound_at=utcnow() - timedelta(hours=1))
    auth.login(rep)
    assert auth.post(f"/conversations/{conversation.id}/messages", {"text": "warm"}, htmx=True).status_code == 201
    work(queued_app)  # sent: the app's Redis connection is open before the hang
    private_redis.pause()
    try:
        started = time.monotonic()
        response = auth.post(f"/conversations/{conversation.id}/messages", {"text": "Yes, in stock!"}, htmx=True)
        elapsed = time.monotonic() - started
    finally:
        private_redis.resume()
    assert response.status_code == 201 and "Sending" in response.get_data(as_text=True)
    assert elapsed < 3, f"a hung Redis held the reply for {elapsed:.1f} s"

    db.session.execute(text("UPDATE messages SET send_after = send_after - interval '3 minutes' "
                            "WHERE status = 'pending'"))
    db.session.commit()
    sweep_outbound()
    work(queued_app)
    db.session.expire_all()
    sent = db.session.scalars(select(Message).where(Message.direction == "out")).all()
    assert sorted((m.text, m.status) for m in sent) == [("Yes, in stock!", "sent"), ("warm", "sent")]
