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


def test_enqueue_all_queues_every_call_on_its_queue_in_one_round_trip(app, queued):
    from rq import Queue

    from app.jobs import Call, enqueue_all

    commands: list[int] = []
    real_pipeline = queued.connection.pipeline

    def counting_pipeline(*args, **kwargs):
        commands.append(1)
        return real_pipeline(*args, **kwargs)

    queued.connection.pipeline = counting_pipeline
    try:
        assert enqueue_all([Call(record, ("a",), queue="high", retry=RetryPolicy((5, 50)), timeout=30),
                            Call(record, ("b",)), Call(record, ("c",), queue="low")]) is True
    finally:
        del queued.connection.pipeline
    assert len(commands) == 1  # one pipeline for all three jobs
    [high] = Queue("high", connection=queued.connection).jobs
    assert (high.args, high.timeout, high.retries_left, high.retry_intervals) == (("a",), 30, 2, [5, 50])
    assert high.description == "tests.jobs.test_jobs.record"
    assert [job.args for job in Queue("default", connection=queued.connection).jobs] == [("b",)]
    assert [job.args for job in Queue("low", connection=queued.connection).jobs] == [("c",)]
    queued.work()
    assert sorted(CALLS) == ["a", "b", "c"]


def test_enqueue_all_with_redis_down_is_logged_not_raised(app, queued, caplog):
    from redis import Redis

    from app.jobs import Call, enqueue_all

    app.extensions["redis"] = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    assert enqueue_all([Call(record, (1,)), Call(record, (2,))]) is False
    assert "enqueue of 2 job(s) failed" in caplog.text


def test_enqueue_all_inline_runs_each_call(app):
    from app.jobs import Call, enqueue_all

    assert enqueue_all([Call(record, (1,)), Call(record, (2,), queue="high")]) is True
    assert CALLS == [1, 2]


def test_every_periodic_job_is_in_a_module_the_worker_preloads():
    """worker.JOB_MODULES is every feature's jobs.py plus the shared upkeep: each imports, and
    every periodic job resolves to a function of one of them."""
    import importlib

    import worker
    from app.jobs.schedule import PERIODIC_JOBS

    assert {"app.jobs.upkeep", "app.accounts.jobs", "app.team.jobs", "app.webhooks.jobs"} <= set(worker.JOB_MODULES)
    for name in worker.JOB_MODULES:
        importlib.import_module(name)
    for job in PERIODIC_JOBS:
        assert callable(job.resolve()), job.path
        assert job.path.partition(":")[0] in worker.JOB_MODULES, f"{job.path} is not in a jobs.py"


def test_jobs_queued_under_their_old_names_still_run():
    # RQ stores a job as its function's dotted name; these were queued so before the move to jobs.py.
    from rq.utils import import_attribute

    from app.accounts.data_deletion import requeue_lost_erasures
    from app.accounts.tokens import queue_token_refreshes
    from app.mail import send_mail

    assert import_attribute("app.mail.send_mail") is send_mail
    assert import_attribute("app.accounts.tokens.refresh_expiring_tokens") is queue_token_refreshes
    assert import_attribute("app.accounts.data_deletion.resume_pending_deletions") is requeue_lost_erasures
