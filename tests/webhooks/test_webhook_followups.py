"""Follow-ups after a delivery: the profile lookup and its failures, Redis down, the sweep, and the
automation hook. The message and the lead never depend on any of them."""
from __future__ import annotations

from datetime import timedelta

import pytest
import requests
import responses
from redis import Redis
from sqlalchemy import select

from app.extensions import db
from app.instagram import payloads as p
from app.models import (AutomationRule, Contact, Conversation, DeferredEvent, InstagramAccount, Lead, Message,
                        WebhookEvent, utcnow)
from app.webhooks import followups
from app.webhooks.jobs import fetch_contact_profile, sweep_ingest
from tests.meta_kit import graph_error
from tests.sql_log import sql_sent
from tests.webhooks.conftest import PROFILE_URL
from tests.webhooks.helpers import T0, only, post, rows

C = "6543210987654321"


def first_message(account, mid="m1", customer=C):
    return p.delivery(p.entry(account.ig_user_id, [p.text_message(account.ig_user_id, customer, mid, "hi", T0)]))


def profile_calls(graph) -> int:
    return sum(1 for call in graph.calls if PROFILE_URL.match(call.request.url))


# ------------------------------------------------------------------ profile lookup


def test_profile_is_fetched_for_a_new_contact(client, factory, graph):
    account = factory.account()
    post(client, first_message(account))
    db.session.expire_all()
    contact = only(Contact)
    assert contact.name == "Customer 4321" and contact.username == "customer_4321"
    assert contact.profile_pic_url == f"https://cdn.example/{C}.jpg"
    assert contact.follower_count == 321
    assert (contact.is_verified_user, contact.is_user_follow_business, contact.is_business_follow_user) == (False, True, False)
    assert contact.profile_fetched_at is not None and contact.profile_error is None
    call = next(c for c in graph.calls if PROFILE_URL.match(c.request.url))
    assert call.request.headers["Authorization"] == "Bearer IGQWRtestTOKENvalue"
    assert "fields=name,username,profile_pic" in call.request.url


def test_profile_with_nulls_and_odd_types(app, factory, graph):
    account = factory.account()
    contact = factory.contact(account, igsid=C)
    graph.reset()
    graph.add(responses.GET, PROFILE_URL, json={"id": C, "name": None, "username": "x" * 500, "profile_pic": None,
                                                 "follower_count": "many", "is_verified_user": "yes"})
    fetch_contact_profile(contact.id)
    db.session.expire_all()
    contact = db.session.get(Contact, contact.id)
    assert contact.name is None and len(contact.username) == 120 and contact.profile_pic_url is None
    assert contact.follower_count is None and contact.is_verified_user is None
    assert contact.profile_fetched_at is not None


def test_token_invalid_flips_the_account_and_keeps_the_message(client, factory, graph):
    account = factory.account()
    graph.reset()
    graph.add(responses.GET, PROFILE_URL, **graph_error(190, 460))
    assert post(client, first_message(account)).status_code == 200
    db.session.expire_all()
    assert only(Message).text == "hi" and only(Lead)
    account = db.session.get(InstagramAccount, account.id)
    assert account.status == "reauth_required"
    assert "IGQWR" not in (account.last_error or "")
    contact = only(Contact)
    assert contact.profile_error is None  # fetched again once the account is reconnected
    assert profile_calls(graph) == 1
    # While the account needs reconnecting the sweep leaves the profile alone ...
    assert sweep_ingest(now=utcnow() + timedelta(minutes=3))["profiles"] == 0
    # ... and once it is reconnected the sweep fetches it.
    graph.reset()
    graph.add(responses.GET, PROFILE_URL, json={"id": C, "name": "Back Again"})
    account.status = "active"
    db.session.commit()
    assert sweep_ingest(now=utcnow() + timedelta(minutes=3))["profiles"] == 1
    db.session.expire_all()
    assert only(Contact).name == "Back Again"


@pytest.mark.parametrize("code, kind", [(100, "BadRequestError"), (230, "MissingPermissionError"),
                                        (551, "RecipientUnavailableError")])
def test_refused_profile_is_recorded_and_not_retried(client, factory, graph, code, kind):
    account = factory.account()
    graph.reset()
    graph.add(responses.GET, PROFILE_URL, **graph_error(code))
    assert post(client, first_message(account)).status_code == 200
    db.session.expire_all()
    contact = only(Contact)
    assert contact.profile_error.startswith(kind)
    assert contact.display_name == "Instagram user"
    assert only(Message) and only(Lead)
    assert db.session.get(InstagramAccount, account.id).status == "active"
    assert profile_calls(graph) == 1
    assert sweep_ingest(now=utcnow() + timedelta(minutes=3))["profiles"] == 0


@pytest.mark.parametrize("failure", [
    {"status": 500, "body": "upstream error"},
    {"status": 503, "json": {"error": {"message": "busy", "code": 2, "type": "OAuthException"}}},
    {"body": requests.exceptions.ReadTimeout("read timed out")},
    {"body": requests.exceptions.ConnectTimeout("connect timed out")},
    {"status": 400, "json": {"error": {"message": "slow down", "code": 4, "type": "OAuthException"}}},
])
def test_transient_failures_are_retried_and_never_lose_the_message(client, factory, graph, failure):
    account = factory.account()
    graph.reset()
    graph.add(responses.GET, PROFILE_URL, **failure)
    assert post(client, first_message(account)).status_code == 200
    db.session.expire_all()
    assert only(Message).text == "hi" and only(Lead)
    contact = only(Contact)
    assert contact.profile_error is None and contact.profile_fetched_at is None
    assert profile_calls(graph) == 4  # the first try and three retries (immediate in tests)
    assert db.session.get(InstagramAccount, account.id).status == "active"
    # Meta recovers: the sweep's next pass fills the profile in.
    graph.reset()
    graph.add(responses.GET, PROFILE_URL, json={"id": C, "name": "Finally"})
    sweep_ingest(now=utcnow() + timedelta(minutes=3))
    db.session.expire_all()
    assert only(Contact).name == "Finally"


def test_stale_profiles_are_refreshed_fresh_ones_are_not(client, factory, graph):
    account = factory.account()
    stale = factory.contact(account, igsid="1111", name="Old Name", profile_fetched_at=utcnow() - timedelta(days=8))
    fresh = factory.contact(account, igsid="2222", name="Fresh Name", profile_fetched_at=utcnow() - timedelta(days=1))
    for contact in (stale, fresh):
        factory.conversation(account, contact)
    items = [p.text_message(account.ig_user_id, "1111", "a", "x", T0), p.text_message(account.ig_user_id, "2222", "b", "y", T0)]
    post(client, p.delivery(p.entry(account.ig_user_id, items)))
    db.session.expire_all()
    assert db.session.get(Contact, stale.id).name == "Customer 1111"
    assert db.session.get(Contact, fresh.id).name == "Fresh Name"
    assert profile_calls(graph) == 1


def test_the_profile_job_is_idempotent(app, factory, graph):
    account = factory.account()
    contact = factory.contact(account, igsid=C)
    fetch_contact_profile(contact.id)
    fetch_contact_profile(contact.id)
    fetch_contact_profile(987654)  # gone meanwhile: nothing to do
    assert profile_calls(graph) == 1


def test_a_profile_lookup_around_its_graph_call_is_one_read_and_one_write(app, factory, graph):
    """What a lookup costs besides Meta (bench/bench_worker.py): on PostgreSQL one read and one
    write (the contact, its conversations' bump riding on it in a CTE), each statement its own
    transaction (app.autocommit), with no BEGIN and COMMIT round trips; SQLite writes in two."""
    account = factory.account()
    contact_id = factory.contact(account, igsid=C).id
    db.session.commit()  # as a job starts: the session holds no transaction

    with sql_sent() as sent:
        fetch_contact_profile(contact_id)

    if db.engine.dialect.name == "postgresql":  # the conversations' bump rides on the write (a CTE)
        assert [(s.statement.split()[0], s.isolation_level) for s in sent] \
            == [("SELECT", "AUTOCOMMIT"), ("WITH", "AUTOCOMMIT")]
    else:
        assert [s.statement.split()[0] for s in sent] == ["SELECT", "UPDATE", "UPDATE"]
    assert db.session.get(Contact, contact_id).name == "Customer 4321"


def test_a_fetched_profile_redraws_the_customers_rows_in_open_inboxes(app, factory, graph):
    """Open inboxes redraw a row when its conversation's updated_at moves (app.inbox.live); the
    lookup changed only the contact, so a new customer stayed "Instagram user" there (a walk-through
    saw it; with a worker, every new customer would)."""
    from datetime import timedelta

    account = factory.account()
    contact = factory.contact(account, igsid=C)
    earlier = utcnow() - timedelta(minutes=5)
    dm = factory.conversation(account, contact=contact, updated_at=earlier)
    other = factory.conversation(account, updated_at=earlier)
    db.session.commit()
    fetch_contact_profile(contact.id)
    db.session.expire_all()
    assert db.session.get(Conversation, dm.id).updated_at > earlier
    assert db.session.get(Conversation, other.id).updated_at == earlier
    assert db.session.get(Contact, contact.id).name == "Customer 4321"


def test_no_profile_lookup_without_a_token(app, factory, graph):
    account = factory.account(token=None)
    contact = factory.contact(account, igsid=C)
    fetch_contact_profile(contact.id)
    assert profile_calls(graph) == 0


# ------------------------------------------------------------------ queued mode, Redis down


def test_redis_down_during_a_delivery_loses_nothing(app, client, factory, queued, graph):
    account = factory.account()
    app.extensions["redis"] = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, socket_timeout=0.2)
    response = post(client, first_message(account))
    assert response.status_code == 200
    db.session.expire_all()
    assert only(Message).text == "hi" and only(Lead) and only(Conversation).unread_count == 1
    assert only(Contact).profile_fetched_at is None
    # Redis is back: the sweep (run by the clock) finds the undone lookup, a worker does it.
    app.extensions["redis"] = queued.connection
    assert queued.depth() == 0
    done = sweep_ingest(now=utcnow() + timedelta(minutes=3))
    assert done["profiles"] == 1
    assert queued.depth() == 1
    queued.work()
    assert only(Contact).name == "Customer 4321"


def test_queued_mode_runs_the_profile_job_on_a_worker(app, client, factory, queued):
    account = factory.account()
    factory.greeting_rule(account)
    post(client, first_message(account))
    assert queued.depth() == 2  # the profile lookup and the automation run
    db.session.expire_all()
    assert only(Contact).profile_fetched_at is None
    queued.work()
    assert only(Contact).name == "Customer 4321"


def test_ingestion_queues_its_own_follow_ups(app, factory, queued):
    """The callers (the route, the log page's Replay, `flask webhooks replay`, the sweep) queue
    nothing: ingest_delivery and replay do, once their rows are committed."""
    import json

    from app.webhooks.ingest import ingest_delivery, replay

    account = factory.account()
    factory.greeting_rule(account)
    first, second = (json.dumps(first_message(account, mid=mid, customer=customer)).encode()
                     for mid, customer in (("m1", C), ("m2", "5550001")))
    outcome = ingest_delivery(first)
    assert outcome.status == "applied" and queued.depth() == 2  # the profile lookup and the automation run
    queued.work()
    assert only(Contact).name == "Customer 4321"

    stored = WebhookEvent(body=second, received_at=utcnow(), status="received", attempts=0, event_count=0)
    db.session.add(stored)
    db.session.commit()
    assert replay(stored.id).status == "applied" and queued.depth() == 2


def test_queued_transient_failure_is_retried_by_rq_with_backoff(app, client, factory, queued, graph):
    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    account = factory.account()
    graph.reset()
    graph.add(responses.GET, PROFILE_URL, status=502, body="bad gateway")
    post(client, first_message(account))
    queued.work()
    scheduled = ScheduledJobRegistry(queue=Queue("default", connection=queued.connection))
    assert scheduled.count == 1  # waiting for its retry, 30 s later
    job = Queue("default", connection=queued.connection).fetch_job(scheduled.get_job_ids()[0])
    assert job.retries_left == 2 and job.retry_intervals == [30, 120, 600]


# ------------------------------------------------------------------ the sweep


def test_sweep_applies_deliveries_stuck_in_received(app, factory):
    import json

    account = factory.account()
    # Stored but never applied: an earlier version's crash between its two commits, or a row put back by hand.
    stored = WebhookEvent(body=json.dumps(first_message(account)).encode(), received_at=utcnow(), status="received",
                          attempts=0, event_count=0)
    db.session.add(stored)
    db.session.commit()
    assert sweep_ingest()["deliveries"] == 0  # still within its grace period
    assert sweep_ingest(now=utcnow() + timedelta(minutes=3))["deliveries"] == 1
    db.session.expire_all()
    assert db.session.get(WebhookEvent, stored.id).status == "applied"
    assert only(Message).text == "hi"
    assert only(Contact).name == "Customer 4321"  # and its follow-ups ran
    assert sweep_ingest(now=utcnow() + timedelta(minutes=3))["deliveries"] == 0


def test_sweep_applies_waiting_events_whose_message_arrived_another_way(app, client, factory):
    account = factory.account()
    post(client, first_message(account))
    post(client, p.delivery(p.entry(account.ig_user_id, [p.read(account.ig_user_id, C, "sent-by-api", T0 + 5000)])))
    db.session.expire_all()
    assert only(DeferredEvent).kind == "read"
    # Our send job stores Meta's mid from the API response (no echo yet).
    conversation = only(Conversation)
    before = conversation.updated_at
    factory.message(conversation, "reply", direction="out", mid="sent-by-api", status="sent", source="inbox",
                    created_at=utcnow())
    assert sweep_ingest()["waiting_applied"] == 1
    db.session.expire_all()
    assert db.session.scalar(select(Message).where(Message.mid == "sent-by-api")).status == "read"
    assert rows(DeferredEvent) == []
    assert only(Conversation).updated_at > before


def test_sweep_drops_events_that_waited_a_week(app, factory):
    account = factory.account()
    db.session.add(DeferredEvent(account_id=account.id, mid="never", kind="read", payload={"at": T0},
                                 occurred_at=utcnow(), created_at=utcnow() - timedelta(days=8)))
    db.session.add(DeferredEvent(account_id=account.id, mid="soon", kind="read", payload={"at": T0},
                                 occurred_at=utcnow(), created_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    assert sweep_ingest()["waiting_dropped"] == 1
    assert [row.mid for row in rows(DeferredEvent)] == ["soon"]


def test_sweep_is_registered_every_minute():
    from app.jobs.schedule import PERIODIC_JOBS
    from app.webhooks.jobs import sweep_ingest as job

    entry = next(j for j in PERIODIC_JOBS if j.path == "app.webhooks.jobs:sweep_ingest")
    assert entry.every_seconds == 60 and entry.resolve() is job


def test_worker_preloads_the_job_module():
    import worker

    assert "app.webhooks.jobs" in worker.JOB_MODULES


# ------------------------------------------------------------------ automation hook


@pytest.fixture
def automation(monkeypatch):
    """Stands in for the automation job; records the message ids the follow-ups hand it."""
    calls: list[int] = []
    monkeypatch.setattr(followups, "run_automation_for_message", calls.append)
    return calls


def test_automation_gets_each_new_inbound_message_once(client, factory, automation):
    account = factory.account()
    factory.greeting_rule(account)
    A = account.ig_user_id
    items = [p.text_message(A, C, "m1", "hi", T0), p.echo(A, C, "e1", "hello", T0 + 1),
             p.reaction(A, C, "m1", ts_ms=T0 + 2), p.postback(A, C, "pb", "Menu", "MENU", T0 + 3),
             p.link_referral(A, C, "ref", T0 + 4)]
    body = p.delivery(p.entry(A, items))
    post(client, body)
    post(client, body)
    ids = {m.mid: m.id for m in rows(Message)}
    assert automation == [ids["m1"], ids["pb"]]


def test_standby_messages_never_reach_automation(client, factory, automation):
    account = factory.account()
    factory.greeting_rule(account)
    body = p.delivery(p.entry(account.ig_user_id, [p.text_message(account.ig_user_id, C, "m1", "hi", T0)], standby=True))
    post(client, body)
    assert only(Message) and automation == []


def test_automation_is_queued_only_where_it_could_answer(client, factory, automation):
    """No job per message for a workspace whose automation would only read its rules and stop
    (app.automation.rulebook.may_answer_sql asks respond_to_message's own first question)."""
    from app.models import AutomationSettings

    account = factory.account()
    other = factory.account(workspace=account.workspace)
    elsewhere = factory.account()
    sent = iter(range(100))

    def deliver() -> bool:
        n = next(sent)
        automation.clear()
        post(client, p.delivery(p.entry(account.ig_user_id,
                                         [p.text_message(account.ig_user_id, C, f"q{n}", "hi", T0 + n)])))
        return automation != []

    assert not deliver()  # no rules at all
    factory.greeting_rule(elsewhere)  # another workspace's rule
    assert not deliver()
    factory.greeting_rule(other, everywhere=False)  # a rule for the workspace's other account
    assert not deliver()
    disabled = factory.greeting_rule(account, everywhere=False, enabled=False)
    assert not deliver()
    disabled.enabled = True
    db.session.commit()
    assert deliver()  # a rule for this account
    db.session.delete(disabled)
    db.session.commit()
    assert not deliver()
    factory.greeting_rule(account)  # a rule for every account of the workspace
    assert deliver()
    db.session.query(AutomationRule).delete()
    db.session.add(AutomationSettings(workspace_id=account.workspace_id, ai_auto_reply=True))
    db.session.commit()
    assert deliver()  # the AI answers, no rules needed
