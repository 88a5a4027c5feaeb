"""Two processes applying deliveries for the same new customer at once create one of everything.

PostgreSQL only: that is where concurrent writers really interleave (SQLite serialises them)."""
from __future__ import annotations

import threading

import pytest

from app.extensions import db
from app.instagram import payloads as p
from app.models import Contact, Conversation, Lead, Message
from tests.webhooks.helpers import T0, only, post, rows

C = "6543210987654321"


@pytest.fixture
def postgres_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (run the suite with DATABASE_URL)")


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_first_messages_of_one_customer(app, factory, postgres_only, round_):
    account = factory.account()
    A = account.ig_user_id
    bodies = [p.delivery(p.entry(A, [p.text_message(A, C, f"m{n}", f"text {n}", T0 + n)])) for n in range(6)]
    bodies += bodies[:2]  # and two redeliveries racing their originals
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = []

    def deliver(body):
        client = app.test_client()
        barrier.wait()
        statuses.append(post(client, body).status_code)

    threads = [threading.Thread(target=deliver, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.expire_all()
    assert statuses.count(200) + statuses.count(503) == len(bodies)
    if 503 in statuses:  # a deadlock victim: Meta retries it, and so does the sweep
        from datetime import timedelta

        from app.models import utcnow
        from app.webhooks.jobs import sweep_ingest

        sweep_ingest(now=utcnow() + timedelta(minutes=3))
        db.session.expire_all()
    assert only(Contact) and only(Lead)
    conversation = only(Conversation)
    assert len(rows(Message)) == 6
    assert conversation.unread_count == 6
    assert conversation.last_message_preview == "text 5"
