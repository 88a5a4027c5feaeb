"""Parallel deliveries for many new customers of one account with round robin: every agent gets
exactly K/N conversations and none is assigned twice (the account row's lock serialises the turn);
and of two accounts of one workspace with least open, sharing the same people: the load is counted
across the workspace, so the workspace's lock (app.assignment.auto._lock_workspaces) serialises them.

PostgreSQL only: that is where concurrent writers really interleave (SQLite serialises them)."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Conversation, Notification, utcnow
from tests.assignment.helpers import new_customer_body, team
from tests.webhooks.helpers import post

AGENTS = 4
PER_AGENT = 6
THREADS = 8  # at once (the test app's connection pool is the limit), each delivering in a row


@pytest.fixture
def postgres_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (run the suite with DATABASE_URL)")


@pytest.mark.parametrize("mode, accounts", [("round_robin", 1), ("least_open", 1), ("least_open", 2)])
def test_parallel_new_customers_are_shared_exactly_evenly(app, factory, postgres_only, mode, accounts):
    first = factory.account()
    these = [first] + [factory.account(first.workspace) for _ in range(accounts - 1)]
    for account in these:
        account.assignment = mode
    db.session.commit()
    people = team(factory, first, AGENTS)
    # Interleaved: deliveries for both accounts arrive at the same instants.
    bodies = [new_customer_body(these[n % accounts], n)[0] for n in range(AGENTS * PER_AGENT)]
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []

    def deliver(share):
        client = app.test_client()
        barrier.wait()
        for body in share:
            statuses.append(post(client, body).status_code)

    threads = [threading.Thread(target=deliver, args=(bodies[n::THREADS],)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if 503 in statuses:  # a deadlock victim: Meta retries it, and so does the sweep
        from app.webhooks.jobs import sweep_ingest

        sweep_ingest(now=utcnow() + timedelta(minutes=3))
    db.session.expire_all()
    conversations = db.session.scalars(select(Conversation).where(
        Conversation.account_id.in_([account.id for account in these]))).all()
    assert len(conversations) == AGENTS * PER_AGENT
    shares = Counter(c.assignee_id for c in conversations)
    assert shares == {person.id: PER_AGENT for person in people}, shares
    assert {c.assignment_reason for c in conversations} == {mode}
    # Each conversation was assigned once: one `assigned` notification each, to its assignee.
    told = db.session.execute(select(Notification.conversation_id, Notification.user_id)
                              .where(Notification.type == "assigned")).all()
    assert sorted(told) == sorted((c.id, c.assignee_id) for c in conversations)
