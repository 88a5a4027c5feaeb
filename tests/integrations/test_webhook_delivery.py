"""Outbound webhooks end to end against a real receiver on 127.0.0.1: the body is signed with the
secret the API's 201 returned, a failing receiver is retried on the backoff schedule (the sweep run
with a moved clock, no sleeps) until it answers 2xx, every attempt is listed for admins, Redeliver
sends the same id again, the guard refuses a local address that OUTBOUND_ALLOW_HOSTS does not name
(at save time and at send time), and events are written in the change's own transaction."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

from sqlalchemy import func, select

from app.api.serializers import lead_json
from app.extensions import db
from app.instagram import payloads as p
from app.integrations import events as webhook_events
from app.integrations.jobs import dispatch_webhooks
from app.integrations.sending import BACKOFF, MAX_ATTEMPTS
from app.leads.actions import update_lead
from app.models import Lead, Message, WebhookAttempt, WebhookDelivery, utcnow
from tests.api.conftest import error_of
from tests.conftest import _flush_app_keys
from tests.inbox.test_unread_rules import C1, deliver, now_ms
from tests.sql_log import sql_sent


def _register(api, url, events):
    response = api.post("/webhooks", json={"url": url, "events": events})
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert set(data) == {"id", "url", "events", "secret"}
    return data


def _verify(received, secret: str) -> dict:
    expected = "sha256=" + hmac.new(secret.encode(), received.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(received.headers["x-inbox-signature"], expected)
    body = json.loads(received.body)
    assert received.headers["x-inbox-event"] == body["event"]
    assert received.headers["x-inbox-delivery"] == body["id"]
    assert received.headers["content-type"] == "application/json"
    return body


def _later(**delta):
    return utcnow() + timedelta(**delta)


def test_lead_updated_arrives_signed_after_two_failures_and_every_attempt_is_listed(
        admin_api, receiver, factory, auth, client):
    hook = _register(admin_api, receiver.url, ["lead.updated"])
    lead = factory.lead(factory.conversation(admin_api.account))
    receiver.answer(500, 500)  # then 200

    response = admin_api.patch(f"/leads/{lead.id}", json={"notes": "called back, wants 3"})
    assert response.status_code == 200
    # The first try ran after the response (inline jobs), and failed.
    assert [r.headers["x-inbox-event"] for r in receiver.received] == ["lead.updated"]
    delivery = db.session.scalar(select(WebhookDelivery))
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.next_attempt_at > utcnow() + BACKOFF[0] - timedelta(seconds=30)

    # The list of endpoints says this one fails (it showed a green "active" and nothing else).
    auth.login(admin_api.user)

    def listed():
        page = " ".join(client.get("/settings/integrations").get_data(as_text=True).split())
        return page[page.index(f'id="endpoint-{hook["id"]}"'):]

    assert "failing" in listed() and ": HTTP 500. Failed events are retried" in listed()

    assert dispatch_webhooks() == 0  # not due yet: nothing is sent early
    assert len(receiver.received) == 1
    dispatch_webhooks(now=_later(minutes=2))  # the clock moves past the first backoff
    assert len(receiver.received) == 2
    dispatch_webhooks(now=_later(minutes=10))
    assert len(receiver.received) == 3
    db.session.expire_all()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("succeeded", 3, None)
    assert "failing" not in listed() and "Last delivered" in listed()
    dispatch_webhooks(now=_later(days=2))
    assert len(receiver.received) == 3  # done is done

    # Every try carried the same bytes, id and a valid signature with the secret from the 201.
    bodies = [_verify(r, hook["secret"]) for r in receiver.received]
    assert len({r.body for r in receiver.received}) == 1
    body = bodies[0]
    assert body["event"] == "lead.updated" and body["data"]["notes"] == "called back, wants 3"
    assert set(body) == {"id", "event", "created_at", "data"}
    assert set(body["data"]) == set(lead_json(db.session.get(Lead, lead.id)))  # the API's own shape
    assert receiver.received[0].path == "/hooks/inbox"

    attempts = list(db.session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)))
    assert [(a.status_code, a.error, a.redelivery) for a in attempts] == [
        (500, "HTTP 500", False), (500, "HTTP 500", False), (200, None, False)]

    # The admin sees each attempt on the endpoint's page; Redeliver sends the same id again.
    page = client.get(f"/settings/integrations/{hook['id']}").get_data(as_text=True)
    assert page.count("HTTP 500") == 2 and body["id"] in page and "succeeded" in page
    response = auth.post(f"/settings/integrations/deliveries/{delivery.id}/redeliver")
    assert response.status_code == 302
    assert len(receiver.received) == 4
    again = _verify(receiver.received[3], hook["secret"])
    assert again["id"] == body["id"] and receiver.received[3].body == receiver.received[0].body
    last = db.session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id.desc())).first()
    assert (last.status_code, last.redelivery) == (200, True)
    assert "redelivery" in client.get(f"/settings/integrations/{hook['id']}").get_data(as_text=True)

    # A paused endpoint keeps the redelivery for later, and the page says so, not just "queued".
    delivery.endpoint.active = False
    db.session.commit()
    response = auth.post(f"/settings/integrations/deliveries/{delivery.id}/redeliver")
    assert len(receiver.received) == 4
    page = " ".join(client.get(response.headers["Location"]).get_data(as_text=True).split())
    assert "It goes out when you resume the endpoint" in page


def test_a_receiver_that_never_answers_2xx_ends_failed_after_every_retry(admin_api, receiver, factory):
    _register(admin_api, receiver.url, ["lead.updated"])
    lead = factory.lead(factory.conversation(admin_api.account))
    receiver.answer(*([503] * MAX_ATTEMPTS))
    update_lead(lead, notes="x")
    for hours in range(1, MAX_ATTEMPTS + 1):
        dispatch_webhooks(now=_later(hours=13 * hours))
    delivery = db.session.scalar(select(WebhookDelivery))
    db.session.refresh(delivery)
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)
    assert len(receiver.received) == MAX_ATTEMPTS >= 6  # the first try and at least five retries


def test_the_guard_refuses_loopback_without_the_allow_list(admin_api, receiver, app, factory):
    app.config["OUTBOUND_ALLOW_HOSTS"] = frozenset()
    error = error_of(admin_api.post("/webhooks", json={"url": receiver.url, "events": ["lead.updated"]}), 422)
    assert error["field"] == "url" and "private or local address" in error["message"]

    # Allowed when saved, no longer when sending: the send-time check refuses and records why.
    app.config["OUTBOUND_ALLOW_HOSTS"] = frozenset({"127.0.0.1"})
    _register(admin_api, receiver.url, ["lead.updated"])
    app.config["OUTBOUND_ALLOW_HOSTS"] = frozenset()
    update_lead(factory.lead(factory.conversation(admin_api.account)), notes="x")
    assert receiver.received == []
    attempt = db.session.scalar(select(WebhookAttempt))
    assert attempt.status_code is None and attempt.error.startswith("Refused:") and "127.0.0.1" in attempt.error


def test_no_endpoint_no_delivery_and_a_rolled_back_change_leaves_none(admin_api, receiver, factory, client):
    other = factory.workspace("Elsewhere")
    factory.user(other)
    conversation = factory.conversation(admin_api.account)
    lead = factory.lead(conversation)
    # Another workspace listening changes nothing here.
    from app.integrations.endpoints import create_endpoint

    create_endpoint(other.id, receiver.url, list(webhook_events.EVENTS), None)
    update_lead(lead, notes="no one listens")
    ig = admin_api.account.ig_user_id
    deliver(client, admin_api.account, p.text_message(ig, C1, "m1", "Hi", now_ms(-5)))
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0

    _register(admin_api, receiver.url, ["lead.updated", "conversation.assigned"])
    lead.notes = "never committed"
    webhook_events.lead_updated(lead)
    conversation.assignee_id = admin_api.user.id
    webhook_events.conversations_assigned([conversation])
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 2  # inside the transaction
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    db.session.commit()  # a later commit queues nothing for the rolled-back rows
    assert receiver.received == []


def test_ingestion_assignment_and_replies_send_their_events_in_the_apis_shapes(
        admin_api, receiver, client, factory, meta_ok):
    meta_ok.add_passthru(receiver.url.rsplit("/hooks", 1)[0])  # Meta is mocked; the receiver is real
    hook = _register(admin_api, receiver.url, list(webhook_events.EVENTS))
    ig = admin_api.account.ig_user_id
    deliver(client, admin_api.account, p.text_message(ig, C1, "m1", "Hi, is the blue one in stock?", now_ms(-5)))
    events = [_verify(r, hook["secret"]) for r in receiver.received]
    assert sorted(e["event"] for e in events) == ["lead.created", "message.created"]
    by_event = {e["event"]: e["data"] for e in events}
    lead = db.session.scalar(select(Lead))
    message = db.session.scalar(select(Message))
    assert (by_event["lead.created"]["id"], by_event["lead.created"]["source"]) == (lead.id, "dm")
    assert (by_event["message.created"]["id"], by_event["message.created"]["text"]) == (
        message.id, "Hi, is the blue one in stock?")
    # A redelivery of the same webhook makes nothing new, so it sends nothing.
    deliver(client, admin_api.account, p.text_message(ig, C1, "m1", "Hi, is the blue one in stock?", now_ms(-5)))
    assert len(receiver.received) == 2

    conversation_id = message.conversation_id
    response = admin_api.patch(f"/conversations/{conversation_id}", json={"assignee_id": admin_api.user.id})
    assert response.status_code == 200
    # The lead, which had no owner, became the assignee's (app.leads.ownership): said as well.
    owned, assigned = (_verify(r, hook["secret"]) for r in receiver.received[2:4])
    assert (owned["event"], owned["data"]["id"], owned["data"]["owner_id"]) == ("lead.updated", lead.id, admin_api.user.id)
    assert assigned["event"] == "conversation.assigned"
    assert (assigned["data"]["id"], assigned["data"]["assignee_id"]) == (conversation_id, admin_api.user.id)
    assert set(assigned["data"]) == set(response.get_json()["data"])

    response = admin_api.post(f"/conversations/{conversation_id}/messages", json={"text": "Yes, size M too"})
    assert response.status_code == 202
    replies = [_verify(r, hook["secret"]) for r in receiver.received[4:]]
    assert [(e["event"], e["data"]["text"], e["data"]["direction"]) for e in replies] == [
        ("message.created", "Yes, size M too", "out")]


def test_ingestion_without_endpoints_asks_once_and_writes_nothing(admin_api, client):
    ig = admin_api.account.ig_user_id
    with sql_sent() as log:
        deliver(client, admin_api.account, p.text_message(ig, C1, "m1", "Hi", now_ms(-5)))
    asked = [sent.statement for sent in log if "webhook_endpoints" in sent.statement]
    assert len(asked) == 1 and not [sent for sent in log if "webhook_deliveries" in sent.statement]


def test_queued_mode_sends_through_the_worker_and_a_lost_enqueue_waits_for_the_sweep(
        admin_api, receiver, factory, queued, app):
    hook = _register(admin_api, receiver.url, ["lead.updated"])
    lead = factory.lead(factory.conversation(admin_api.account))
    lead_id = lead.id
    update_lead(lead, notes="queued")
    assert receiver.received == [] and queued.depth() == 1  # after the commit, on Redis
    queued.work()
    assert [_verify(r, hook["secret"])["event"] for r in receiver.received] == ["lead.updated"]

    # The job lost (as if Redis had gone): the delivery row is there, and the clock's sweep sends it.
    update_lead(db.session.get(Lead, lead_id), notes="queued again")
    _flush_app_keys(queued.connection)
    queued.work()
    assert len(receiver.received) == 1
    dispatch_webhooks()
    queued.work()
    assert len(receiver.received) == 2 and json.loads(receiver.received[1].body)["data"]["notes"] == "queued again"
