"""app.jobs.after_commit: a job asked for inside a transaction is queued once that transaction
commits, once however often it was asked for, never when it rolls back, and not at a savepoint."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.jobs import QUEUE_LOW
from app.jobs import after_commit
from app.jobs.after_commit import enqueue_after_commit, wanted

RUNS: list[str] = []


def job_a() -> None:
    RUNS.append("a")


def job_b() -> None:
    RUNS.append("b")


@pytest.fixture
def queued(monkeypatch):
    """What after_commit hands to enqueue, in order, instead of running it."""
    calls: list[tuple[str, str]] = []
    monkeypatch.setattr(after_commit, "enqueue", lambda func, queue: calls.append((func.__name__, queue)))
    RUNS.clear()
    return calls


def test_queued_once_after_the_commit_however_often_asked(app, factory, queued):
    enqueue_after_commit(job_a)
    enqueue_after_commit(job_b, queue=QUEUE_LOW)
    enqueue_after_commit(job_a)
    assert queued == []  # nothing inside the transaction
    factory.user()  # commits

    assert queued == [("job_a", "default"), ("job_b", "low")]
    assert wanted() == []
    factory.user()  # a later commit queues nothing again
    assert len(queued) == 2


def test_a_rollback_forgets_the_jobs(app, factory, queued):
    enqueue_after_commit(job_a)
    db.session.rollback()
    assert wanted() == []
    factory.user()
    assert queued == []


def test_a_savepoint_is_not_the_commit(app, factory, queued):
    enqueue_after_commit(job_a)
    with db.session.begin_nested():
        pass
    assert queued == [] and wanted() == ["tests.jobs.test_after_commit.job_a"]
    # A savepoint rolled back is not the transaction rolled back either.
    savepoint = db.session.begin_nested()
    savepoint.rollback()
    assert wanted() == ["tests.jobs.test_after_commit.job_a"]
    db.session.commit()
    assert queued == [("job_a", "default")]


def test_inline_mode_runs_the_job_after_the_commit(app, factory):
    RUNS.clear()
    enqueue_after_commit(job_a)
    assert RUNS == []
    factory.user()
    assert RUNS == ["a"]


def test_inside_a_request_the_job_runs_after_the_response(app, client, factory):
    """The route commits, the job waits for the response to close (app.jobs.run_request_jobs),
    then runs: the same path as a Settings button that writes a delivery."""
    RUNS.clear()

    @app.post("/_test/after-commit")
    def _write_and_commit():
        enqueue_after_commit(job_a)
        db.session.commit()
        assert RUNS == []  # queued for after the response, not run in the view
        return "ok"

    app.config["WTF_CSRF_ENABLED"] = False
    response = client.post("/_test/after-commit")
    assert response.status_code == 200
    response.close()
    assert RUNS == ["a"]


def test_an_unknown_queue_is_refused_when_asked(app):
    with pytest.raises(ValueError):
        enqueue_after_commit(job_a, queue="urgent")
