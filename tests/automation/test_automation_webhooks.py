"""Automation driven by real (signed) webhook deliveries, in inline and queued mode: what Meta
sends after our reply (the echo, reactions, read receipts, edits, unsends) and standby events
never trigger another automated reply."""
from __future__ import annotations

import json
import re

import pytest
import responses
from sqlalchemy import select

from app.extensions import db
from app.instagram import payloads as p
from app.models import AutomationLog, AutomationRule, AutomationSettings, Message
from tests.meta_kit import GRAPH_URL, graph_url, sent_body
from tests.webhooks.helpers import post

CUSTOMER = "9000000000000001"
LLM_ENDPOINT = "http://llm.test/v1/chat/completions"


@pytest.fixture
def account(factory):
    account = factory.account()
    db.session.add(AutomationSettings(workspace_id=account.workspace_id, timezone="UTC",
                                      business_hours={str(d): [["00:00", "24:00"]] for d in range(7)},
                                      pause_minutes=30, away_every_hours=12, ai_auto_reply=False))
    db.session.commit()
    return account


@pytest.fixture
def meta_ok(app, account, meta):
    """The suite's `meta`, where sends and profile lookups succeed, and the AI model answers on
    the same mock (both at the HTTP boundary)."""
    app.config.update(LLM_API_URL="http://llm.test", LLM_API_KEY="sk-test", LLM_MODEL="m")
    mids = iter(f"mid.reply.{n}" for n in range(1, 100))
    meta.add_callback(responses.POST, graph_url(account.ig_user_id, "messages"),
                      callback=lambda request: (200, {}, json.dumps(sent_body(next(mids), CUSTOMER))))
    meta.get(re.compile(re.escape(graph_url(CUSTOMER)) + r"\b.*"), json={"name": "Customer", "username": "customer"})
    meta.post(LLM_ENDPOINT, json={"choices": [{"message": {"content": "An AI answer"}}]})
    return meta


def deliver(client, account, *items, standby=False):
    response = post(client, p.delivery(p.entry(account.ig_user_id, list(items), standby=standby)))
    assert response.status_code == 200, response.get_data(as_text=True)


def sends(meta) -> list[dict]:
    return [json.loads(c.request.body) for c in meta.calls if c.request.method == "POST" and c.request.url.startswith(GRAPH_URL)]


def model_calls(meta):
    return [c for c in meta.calls if c.request.url == LLM_ENDPOINT]


def replies() -> list[Message]:
    db.session.expire_all()
    return list(db.session.scalars(select(Message).where(Message.source == "automation").order_by(Message.id)))


def rule(account, kind, reply, **fields):
    db.session.add(AutomationRule(workspace_id=account.workspace_id, kind=kind, reply_text=reply, enabled=True,
                                  position=len(db.session.scalars(select(AutomationRule)).all()) + 1, **fields))
    db.session.commit()


def ai_on(account):
    db.session.get(AutomationSettings, account.workspace_id).ai_auto_reply = True
    db.session.commit()


def test_a_new_customer_is_greeted_once_and_redelivery_changes_nothing(client, account, meta_ok):
    rule(account, "greeting", "Welcome to the shop!")
    item = p.text_message(account.ig_user_id, CUSTOMER, "m.hi", "hi")
    deliver(client, account, item)
    deliver(client, account, item)  # Meta retries a delivery
    assert sends(meta_ok) == [{"recipient": {"id": CUSTOMER}, "message": {"text": "Welcome to the shop!"}}]
    (reply,) = replies()
    assert (reply.status, reply.mid, reply.direction) == ("sent", "mid.reply.1", "out")


def test_what_follows_our_reply_never_triggers_another(client, account, meta_ok):
    ai_on(account)  # with the AI on, any new customer message would be answered
    deliver(client, account, p.text_message(account.ig_user_id, CUSTOMER, "m.1", "do you ship?"))
    assert [r.text for r in replies()] == ["An AI answer"] and len(model_calls(meta_ok)) == 1

    deliver(client, account,
            p.echo(account.ig_user_id, CUSTOMER, "mid.reply.1", "An AI answer"),  # our own reply, echoed
            p.reaction(account.ig_user_id, CUSTOMER, "mid.reply.1"),
            p.read(account.ig_user_id, CUSTOMER, "mid.reply.1"),
            p.edit(account.ig_user_id, CUSTOMER, "m.1", "do you ship to Lisbon?"),
            p.unsend(account.ig_user_id, CUSTOMER, "m.1"))
    deliver(client, account, p.echo(account.ig_user_id, CUSTOMER, "m.app.1", "Typed in the Instagram app"))
    assert len(replies()) == 1 and len(sends(meta_ok)) == 1 and len(model_calls(meta_ok)) == 1
    (reply,) = replies()  # every event was applied, none was answered
    customer_message = db.session.scalar(select(Message).where(Message.mid == "m.1"))
    assert reply.reactions and reply.status == "read" and customer_message.is_deleted

    # The echo of a person's reply in the Instagram app pauses automation, as any human reply.
    deliver(client, account, p.text_message(account.ig_user_id, CUSTOMER, "m.2", "and to Porto?"))
    assert len(replies()) == 1
    entry = db.session.scalar(select(AutomationLog).order_by(AutomationLog.id.desc()))
    assert entry.reason.startswith("Paused")


def test_standby_messages_never_reach_automation(client, account, meta_ok):
    ai_on(account)
    rule(account, "greeting", "Welcome")
    deliver(client, account, p.text_message(account.ig_user_id, CUSTOMER, "m.sb", "hello"), standby=True)
    assert replies() == [] and not sends(meta_ok) and not model_calls(meta_ok)
    assert db.session.scalar(select(AutomationLog)) is None


def test_a_story_mention_is_thanked(client, account, meta_ok):
    rule(account, "story_mention", "Thanks for the mention! 💛")
    deliver(client, account, p.story_mention(account.ig_user_id, CUSTOMER, "m.story", "https://cdn.example/s.jpg"))
    assert [s["message"]["text"] for s in sends(meta_ok)] == ["Thanks for the mention! 💛"]


def test_queued_mode_answers_from_the_worker_exactly_once(client, account, meta_ok, queued):
    rule(account, "keyword", "Our prices: ...", match_type="contains", pattern="price")
    body = p.delivery(p.entry(account.ig_user_id, [p.text_message(account.ig_user_id, CUSTOMER, "m.price", "price please")]))
    assert post(client, body).status_code == 200
    assert not sends(meta_ok)  # nothing happens in the web request
    queued.work()
    assert post(client, body).status_code == 200  # a redelivery
    queued.work()
    assert [s["message"]["text"] for s in sends(meta_ok)] == ["Our prices: ..."]
    (reply,) = replies()
    assert reply.status == "sent"


def test_a_message_whose_automation_enqueue_was_lost_is_answered_by_the_sweep(client, account, meta_ok, monkeypatch):
    """Redis away while the delivery's follow-ups are queued (found by a resilience review: the
    customer never got the greeting). The message row carries the automation it is owed
    (`automation_due_at`, set in its INSERT); the ingest sweep queues it again 2 minutes on, and
    the job clears the mark. A message owed nothing (ours, a reaction's target) carries none."""
    from datetime import timedelta

    from app.models import utcnow
    from app.webhooks import followups
    from app.webhooks.jobs import sweep_ingest

    rule(account, "keyword", "Our prices: ...", match_type="contains", pattern="price")
    monkeypatch.setattr(followups, "enqueue_all", lambda calls: False)  # what app.jobs does without Redis
    now_ms = int(utcnow().timestamp() * 1000)
    deliver(client, account, p.text_message(account.ig_user_id, CUSTOMER, "m.lost", "price please", now_ms),
            p.echo(account.ig_user_id, "9000000000000002", "m.ours", "typed in the app", now_ms))
    assert sends(meta_ok) == []
    owed = {m.mid: m.automation_due_at is not None for m in db.session.scalars(select(Message))}
    assert owed == {"m.lost": True, "m.ours": False}
    monkeypatch.undo()

    assert sweep_ingest()["automation"] == 0  # its job may still be on its way
    assert sweep_ingest(now=utcnow() + timedelta(minutes=3))["automation"] == 1
    assert [s["message"]["text"] for s in sends(meta_ok)] == ["Our prices: ..."]
    db.session.expire_all()
    assert db.session.scalars(select(Message).where(Message.mid == "m.lost")).one().automation_due_at is None
    assert sweep_ingest(now=utcnow() + timedelta(minutes=6))["automation"] == 0
