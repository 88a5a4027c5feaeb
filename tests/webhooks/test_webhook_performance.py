"""Ingestion is set-based: a handful of statements per delivery, and big batches stay fast."""
from __future__ import annotations

import time

from sqlalchemy import event, func, select

from app.extensions import db
from app.instagram import payloads as p
from app.models import Contact, Conversation, Lead, Message, WebhookEvent
from tests.webhooks.helpers import T0, only, post


class StatementCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement.split("\n", 1)[0][:120])

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self)


def test_first_message_of_a_new_contact_is_a_handful_of_statements(client, factory, queued):
    account = factory.account()
    body = p.delivery(p.entry(account.ig_user_id, [p.text_message(account.ig_user_id, "9001", "m1", "hi", T0)]))
    with StatementCounter() as counter:
        assert post(client, body).status_code == 200
    print(f"\nnew contact's first message: {len(counter.statements)} statements")
    for statement in counter.statements:
        print("  ", statement)
    # accounts, lock (none yet), contact, conversation, message, unread, new_conversation, lead,
    # conversation update, last webhook time, raw row (bench/profile_ingest.py shows them)
    assert len(counter.statements) <= 11
    assert only(Message) and only(Lead)
    assert queued.depth() == 1  # the profile lookup, for a worker (no automation: the workspace has none)


def test_next_message_and_redelivery_are_fewer(client, factory, queued):
    account = factory.account()
    first = p.delivery(p.entry(account.ig_user_id, [p.text_message(account.ig_user_id, "9001", "m1", "hi", T0)]))
    second = p.delivery(p.entry(account.ig_user_id, [p.text_message(account.ig_user_id, "9001", "m2", "again", T0 + 1)]))
    post(client, first)
    with StatementCounter() as counter:
        post(client, second)
    print(f"\nexisting contact's next message: {len(counter.statements)} statements")
    # accounts, lock, message (which says whether deferred events wait for it), unread,
    # conversation update, raw row: no webhook_endpoints read (nobody listens), no new_message
    # fan-out (nobody is assigned), no deferred_events read (nothing waits)
    assert len(counter.statements) <= 6
    with StatementCounter() as counter:
        post(client, second)
    print(f"redelivery: {len(counter.statements)} statements")
    assert len(counter.statements) <= 4


def test_statements_do_not_grow_with_the_batch(client, factory, queued):
    account = factory.account()
    A = account.ig_user_id
    items = [p.text_message(A, f"90{n % 10:02d}", f"m{n}", f"text {n}", T0 + n) for n in range(100)]
    items += [p.reaction(A, f"90{n % 10:02d}", f"m{n}", ts_ms=T0 + 1000 + n) for n in range(20)]
    with StatementCounter() as counter:
        assert post(client, p.delivery(p.entry(A, items))).status_code == 200
    print(f"\n100 messages + 20 reactions for 10 new contacts: {len(counter.statements)} statements")
    # Per-conversation UPDATEs are the only part that grows (one per conversation, batched by the ORM).
    assert len(counter.statements) <= 30


def test_a_1000_event_batch(client, factory, queued):
    account = factory.account()
    factory.greeting_rule(account)
    A = account.ig_user_id
    customers = [f"7{n:015d}" for n in range(50)]
    items = [p.text_message(A, customers[n % 50], f"mid.{n}", f"message number {n}", T0 + n * 10) for n in range(1000)]
    items.reverse()  # newest first: the apply must sort by timestamp
    body = p.delivery(p.entry(A, items))
    started = time.perf_counter()
    response = post(client, body)
    elapsed = time.perf_counter() - started
    print(f"\n1000 messages for 50 new contacts applied in {elapsed:.2f} s ({db.engine.dialect.name})")
    assert response.get_json() == {"status": "applied"}
    db.session.expire_all()
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert (count(Message), count(Contact), count(Conversation), count(Lead)) == (1000, 50, 50, 50)
    assert only(WebhookEvent).event_count == 1000
    conversations = db.session.scalars(select(Conversation)).all()
    assert all(c.unread_count == 20 for c in conversations)
    by_contact = {c.contact_id: c for c in conversations}
    for contact in db.session.scalars(select(Contact)):
        n = customers.index(contact.igsid)
        assert by_contact[contact.id].last_message_preview == f"message number {950 + n}"
    assert queued.depth() == 50 + 1000  # a profile lookup per new contact, an automation run per message
    started = time.perf_counter()
    assert post(client, body).get_json() == {"status": "applied"}
    print(f"the same 1000 again (all duplicates) in {time.perf_counter() - started:.2f} s")
    assert count(Message) == 1000
