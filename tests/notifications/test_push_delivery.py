"""Web Push delivery (app/notifications/push.py, app/notifications/jobs.py) against the local
stand-in push service (tests/notifications/push_service.py), real crypto end to end: the stand-in
verifies the VAPID JWT and decrypts each body with the keys the test's "browser" generated.

Devices are added the way a browser adds them (POST /push/subscriptions), notifications the way
events write them (app.notifications.create.notify in a transaction, then the commit)."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from redis import Redis
from sqlalchemy import select

from app.extensions import db
from app.jobs.after_commit import wanted
from app.models import Notification, PushSubscription, utcnow
from app.notifications import jobs
from app.notifications.create import notify
from tests.notifications.push_service import BrowserKeys, push_enabled

PUSH_JOB = "app.notifications.jobs.deliver_push"

CUSTOMER_TEXT = "Priya: do you ship to Lyon?"


@pytest.fixture
def push_service(app):
    with push_enabled(app) as service:
        yield service


def subscribe(auth, service, user=None) -> tuple[BrowserKeys, str]:
    """Sign in (as `user`, or a new one) and add a device through the route a browser uses."""
    if auth.user is None or (user is not None and auth.user.id != user.id):
        auth.login(user)
    keys = BrowserKeys()
    endpoint = service.endpoint(keys)
    token = auth.csrf_token("/settings/profile")
    response = auth.client.post("/push/subscriptions", json=keys.subscription(endpoint),
                                headers={"X-CSRFToken": token, "User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile Safari/537.36"})
    assert response.status_code == 201, response.get_data(as_text=True)
    return keys, endpoint


def conversation_for(factory, user):
    account = factory.account(workspace=user.workspace)
    return factory.conversation(account=account)


def write_notification(user, conversation, type_="new_message", text=CUSTOMER_TEXT) -> int:
    """An event's transaction: the row, then the commit (which queues the push job)."""
    rows = notify(user.workspace_id, type_, [user.id], text_=text, conversation_id=conversation.id)
    assert rows and rows[0].push_pending
    db.session.commit()
    return rows[0].id


def test_a_notification_reaches_the_device_encrypted_and_signed(app, auth, factory, push_service):
    user = auth.login()
    keys, endpoint = subscribe(auth, push_service)
    conversation = conversation_for(factory, user)

    notification_id = write_notification(user, conversation)

    assert push_service.refused == []
    [push] = push_service.received
    assert push.payload == {"title": "New message", "body": CUSTOMER_TEXT,
                            "url": f"/conversations/{conversation.id}", "tag": f"conversation-{conversation.id}"}
    # RFC 8292: the audience is the push service's origin, the expiry within a day; the stand-in
    # checked the ES256 signature with the key in k= (the server's public key).
    assert push.claims["aud"] == push_service.origin
    assert push.claims["sub"] == "mailto:ops@inbox.test"
    assert push.headers["Urgency"] == "high"
    assert push.headers["Topic"] == f"conversation-{conversation.id}"
    assert int(push.headers["Ttl"]) == 12 * 3600
    assert CUSTOMER_TEXT.encode() not in push.raw_body  # encrypted on the wire
    db.session.expire_all()
    assert db.session.get(Notification, notification_id).push_pending is False
    device = db.session.scalar(select(PushSubscription))
    assert device.last_sent_at is not None and device.last_error is None
    assert device.device == "Chrome on Android"


def test_every_device_of_the_person_gets_it_and_nobody_elses(app, auth, factory, push_service):
    user = auth.login()
    subscribe(auth, push_service)
    subscribe(auth, push_service)
    colleague = factory.user(workspace=user.workspace, role="agent")
    other_client = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(other_client, factory).login(colleague)
    conversation = conversation_for(factory, user)

    write_notification(user, conversation, type_="assigned", text="Sam assigned you @priya")

    assert len(push_service.received) == 2
    assert {r.payload["title"] for r in push_service.received} == {"Assigned to you"}


def test_previews_off_sends_no_customer_text(app, auth, factory, push_service):
    user = auth.login()
    keys, _ = subscribe(auth, push_service)
    user.notification_previews = False
    db.session.commit()
    conversation = conversation_for(factory, user)

    write_notification(user, conversation)

    [push] = push_service.received
    decrypted = json.dumps(push.payload)
    assert "Priya" not in decrypted and "Lyon" not in decrypted
    assert push.payload["body"] == "A customer wrote. Open the inbox to read it."
    assert push.payload["url"] == f"/conversations/{conversation.id}"


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_is_deleted(app, auth, factory, push_service, status):
    user = auth.login()
    _, endpoint = subscribe(auth, push_service)
    push_service.answer(endpoint, status)
    conversation = conversation_for(factory, user)

    write_notification(user, conversation)

    assert push_service.attempts == [endpoint.removeprefix(push_service.origin)]
    assert db.session.scalar(select(PushSubscription)) is None


def test_a_transient_failure_is_retried_and_then_recorded(app, auth, factory, push_service):
    user = auth.login()
    _, endpoint = subscribe(auth, push_service)
    # The batch's send, the retry job's run and its three retries.
    push_service.answer(endpoint, *[503] * (2 + jobs.PUSH_RETRY.max))
    conversation = conversation_for(factory, user)

    write_notification(user, conversation)

    assert len(push_service.attempts) == 2 + jobs.PUSH_RETRY.max
    assert push_service.received == []
    device = db.session.scalar(select(PushSubscription))
    db.session.refresh(device)
    assert device.last_error == "127.0.0.1 answered 503"
    assert device.last_sent_at is None


def test_a_retry_that_succeeds_clears_the_error(app, auth, factory, push_service):
    user = auth.login()
    _, endpoint = subscribe(auth, push_service)
    push_service.answer(endpoint, 429)
    conversation = conversation_for(factory, user)

    write_notification(user, conversation)

    assert len(push_service.attempts) == 2 and len(push_service.received) == 1
    device = db.session.scalar(select(PushSubscription))
    db.session.refresh(device)
    assert device.last_error is None and device.last_sent_at is not None


def test_a_permanent_refusal_is_recorded_without_retrying(app, auth, factory, push_service):
    user = auth.login()
    _, endpoint = subscribe(auth, push_service)
    push_service.answer(endpoint, 413)
    write_notification(user, conversation_for(factory, user))

    assert len(push_service.attempts) == 1
    device = db.session.scalar(select(PushSubscription))
    db.session.refresh(device)
    assert device.last_error == "127.0.0.1 answered 413"


def test_the_guard_is_checked_again_at_send_time(app, auth, factory, push_service):
    user = auth.login()
    subscribe(auth, push_service)
    # The operator removes the exception: 127.0.0.1 is loopback, and the endpoint is plain http.
    app.config["OUTBOUND_ALLOW_HOSTS"] = frozenset()

    notification_id = write_notification(user, conversation_for(factory, user))

    assert push_service.attempts == []
    device = db.session.scalar(select(PushSubscription))
    db.session.refresh(device)
    assert device.last_error.startswith("Refused: ")
    assert db.session.get(Notification, notification_id).push_pending is False


def test_a_rollback_forgets_the_flag_and_sends_nothing(app, auth, factory, push_service):
    user = auth.login()
    subscribe(auth, push_service)
    conversation = conversation_for(factory, user)

    notify(user.workspace_id, "new_message", [user.id], text_=CUSTOMER_TEXT, conversation_id=conversation.id)
    assert wanted() == [PUSH_JOB]
    db.session.rollback()

    assert wanted() == []
    factory.user(workspace=user.workspace)  # a later, unrelated commit queues nothing
    assert push_service.attempts == []
    assert db.session.scalar(select(Notification)) is None


def test_a_savepoint_keeps_the_flag_for_the_real_commit(app, auth, factory, push_service):
    user = auth.login()
    subscribe(auth, push_service)
    conversation = conversation_for(factory, user)

    notify(user.workspace_id, "new_message", [user.id], text_=CUSTOMER_TEXT, conversation_id=conversation.id)
    with db.session.begin_nested():
        pass  # a savepoint's commit inside the event's transaction
    assert push_service.attempts == [] and wanted() == [PUSH_JOB]
    db.session.commit()

    assert len(push_service.received) == 1


def test_a_notification_read_before_the_job_is_not_pushed(app, auth, factory, push_service):
    user = auth.login()
    subscribe(auth, push_service)
    app.config["JOBS_INLINE"] = False  # the job is queued (and lost: no Redis) rather than run
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    app.extensions["redis"] = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=0.2)
    notification_id = write_notification(user, conversation_for(factory, user))
    row = db.session.get(Notification, notification_id)
    row.read_at = utcnow()
    row.created_at = utcnow() - timedelta(minutes=2)
    db.session.commit()

    assert jobs.sweep_push() == 1

    assert push_service.attempts == []
    assert db.session.get(Notification, notification_id).push_pending is False


def test_redis_down_at_commit_delays_and_the_sweep_delivers(app, auth, factory, push_service):
    user = auth.login()
    subscribe(auth, push_service)
    app.config["JOBS_INLINE"] = False
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there: every enqueue fails
    app.extensions["redis"] = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=0.2)

    notification_id = write_notification(user, conversation_for(factory, user))

    assert push_service.attempts == []
    assert db.session.get(Notification, notification_id).push_pending is True
    # The sweep leaves rows younger than a minute to their own job...
    assert jobs.sweep_push() == 0
    # ...and takes them once they are older.
    row = db.session.get(Notification, notification_id)
    row.created_at = utcnow() - timedelta(minutes=2)
    db.session.commit()
    assert jobs.sweep_push() == 1

    assert len(push_service.received) == 1
    assert push_service.received[0].payload["body"] == CUSTOMER_TEXT
    db.session.expire_all()
    assert db.session.get(Notification, notification_id).push_pending is False
    assert jobs.sweep_push() == 0  # delivered once, never again


def test_queued_mode_runs_the_job_on_the_default_queue(app, auth, factory, push_service, queued):
    from rq import Queue

    user = auth.login()
    subscribe(auth, push_service)

    write_notification(user, conversation_for(factory, user))

    assert Queue("default", connection=queued.connection).count == 1
    assert push_service.attempts == []  # never in the request or the transaction
    queued.work()
    assert len(push_service.received) == 1


def test_too_old_rows_are_cleared_without_a_push(app, auth, factory, push_service):
    user = auth.login()
    subscribe(auth, push_service)
    app.config["JOBS_INLINE"] = False
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    app.extensions["redis"] = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=0.2)
    notification_id = write_notification(user, conversation_for(factory, user))
    db.session.get(Notification, notification_id).created_at = utcnow() - timedelta(days=1)
    db.session.commit()

    assert jobs.sweep_push() == 1
    assert push_service.attempts == []


def test_push_off_queues_nothing_and_the_sweep_clears_the_flags(app, auth, factory, push_service):
    user = auth.login()
    subscribe(auth, push_service)
    app.config["VAPID_PRIVATE_KEY"] = None  # the operator turned push off

    notification_id = write_notification(user, conversation_for(factory, user))
    assert db.session.get(Notification, notification_id).push_pending is True  # no job ran
    db.session.get(Notification, notification_id).created_at = utcnow() - timedelta(minutes=2)
    db.session.commit()

    assert jobs.sweep_push() == 1
    assert push_service.attempts == []
    db.session.expire_all()
    assert db.session.get(Notification, notification_id).push_pending is False


def test_the_test_button_sends_to_every_device(app, auth, factory, push_service):
    auth.login()
    subscribe(auth, push_service)
    _, second = subscribe(auth, push_service)
    push_service.answer(second, 500)

    response = auth.post("/push/test", htmx=True)

    assert response.status_code == 200
    assert "on its way to 2 devices" in response.get_data(as_text=True)
    assert [r.payload["title"] for r in push_service.received] == ["Test notification"]
    assert len(push_service.attempts) == 2  # no retry for a test
    errors = {d.endpoint: d.last_error for d in db.session.scalars(select(PushSubscription))}
    assert errors[second] == "127.0.0.1 answered 500"


def test_the_claim_skips_rows_another_job_holds(app, auth, factory, push_service):
    """Two jobs at once never take the same row: on PostgreSQL the claim skips locked rows."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("FOR UPDATE SKIP LOCKED is PostgreSQL's; SQLite serialises writers")
    user = auth.login()
    subscribe(auth, push_service)
    app.config["JOBS_INLINE"] = False
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    app.extensions["redis"] = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=0.2)
    conversation = conversation_for(factory, user)
    first = write_notification(user, conversation, type_="assigned")
    second = write_notification(user, conversation, type_="mention")

    with db.engine.connect() as other:  # another job, mid-claim on the first row
        other.execute(select(Notification.id).where(Notification.id == first).with_for_update())
        assert jobs.deliver_push() == 1
        other.rollback()
    assert [r.payload["title"] for r in push_service.received] == ["You were mentioned in a note"]
    db.session.expire_all()
    assert db.session.get(Notification, first).push_pending is True
    assert db.session.get(Notification, second).push_pending is False
