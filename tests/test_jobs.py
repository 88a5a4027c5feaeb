from datetime import timedelta

from app.extensions import db
from app.jobs import RetryPolicy, enqueue
from app.jobs.upkeep import wake_snoozed_conversations
from app.models import Conversation, utcnow

CALLS: list = []


def record(value):
    CALLS.append(value)


def flaky(times_to_fail):
    CALLS.append("try")
    if CALLS.count("try") <= times_to_fail:
        raise RuntimeError("transient")


def setup_function():
    CALLS.clear()


def test_inline_outside_request_runs_at_once(app):
    enqueue(record, 1)
    assert CALLS == [1]


def test_inline_retries_up_to_policy(app):
    enqueue(flaky, 2, retry=RetryPolicy((1, 1)))
    assert CALLS == ["try", "try", "try"]
    CALLS.clear()
    enqueue(flaky, 5, retry=RetryPolicy((1,)))
    assert CALLS == ["try", "try"]


def test_inline_in_request_runs_after_the_view(app):
    seen = []

    @app.get("/_test_enqueue")
    def _view():
        enqueue(record, "job")
        seen.append(list(CALLS))  # not yet run while the view is still going
        return "ok"

    assert app.test_client().get("/_test_enqueue").status_code == 200
    assert seen == [[]]
    assert CALLS == ["job"]


def test_queued_mode_runs_on_a_real_worker(app, queued, factory):
    conversation = factory.conversation(status="snoozed", snoozed_until=utcnow() - timedelta(minutes=1))
    other = factory.conversation(status="snoozed", snoozed_until=utcnow() + timedelta(hours=1))
    due_id, later_id = conversation.id, other.id
    assert enqueue(wake_snoozed_conversations) is True
    assert queued.depth() == 1
    queued.work()
    assert queued.depth() == 0
    assert db.session.get(Conversation, due_id).status == "open"
    assert db.session.get(Conversation, later_id).status == "snoozed"


def test_enqueue_with_redis_down_is_logged_not_raised(app, queued, caplog):
    from redis import Redis

    app.extensions["redis"] = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    assert enqueue(record, 1) is False
    assert "the sweep will redo it" in caplog.text


def enqueue_record(value):
    CALLS.append("outer")
    enqueue(record, value)


def test_inline_job_enqueued_by_a_job_after_a_request_runs(app):
    @app.get("/_test_nested_enqueue")
    def _view():
        enqueue(enqueue_record, "inner")
        return "ok"

    assert app.test_client().get("/_test_nested_enqueue").status_code == 200
    assert CALLS == ["outer", "inner"]


def test_inline_delay_runs_at_once_in_tests(app):
    enqueue(record, "later", delay=30)
    assert CALLS == ["later"]


def test_queued_delay_waits_in_the_scheduled_registry(app, queued):
    from datetime import datetime, timedelta, timezone

    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    assert enqueue(record, "later", delay=120) is True
    assert queued.depth() == 0
    registry = ScheduledJobRegistry(queue=Queue("default", connection=queued.connection))
    [job_id] = registry.get_job_ids()
    assert registry.get_scheduled_time(job_id) > datetime.now(timezone.utc) + timedelta(seconds=100)
