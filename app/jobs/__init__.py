"""Background jobs: one enqueue helper for every job in the app.

Two modes (docs/architecture.md#modes):
- queued (REDIS_URL set): RQ queues `high` (sends), `default` (ingestion follow-ups), `low`
  (upkeep), run by `python worker.py`;
- inline (no REDIS_URL): jobs run in this process. Inside a request they run once the response
  has been sent (so after its commit), each in a fresh app context; elsewhere they run at once.

Jobs are plain importable functions that take ids, re-fetch, are idempotent and raise on failure.
Call `enqueue` after committing what the job will read. If Redis is unreachable the enqueue is
logged and dropped: the periodic sweep finds the undone work again, so no data depends on Redis.
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable

from flask import current_app, g, has_request_context
from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

QUEUE_HIGH = "high"
QUEUE_DEFAULT = "default"
QUEUE_LOW = "low"
QUEUES = (QUEUE_HIGH, QUEUE_DEFAULT, QUEUE_LOW)  # the worker listens in this priority order


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before re-running a failed job (seconds per retry)."""

    intervals: tuple[int, ...] = ()

    @property
    def max(self) -> int:
        return len(self.intervals)


NO_RETRY = RetryPolicy()
REDIS_TIMEOUT = 1.0  # seconds to connect, and to wait for an answer (redis_connection)


@dataclass
class InlineJob:
    func: Callable
    args: tuple
    kwargs: dict
    retry: RetryPolicy
    attempt: int = 0
    description: str = field(default="")


def redis_connection(app=None) -> Redis | None:
    app = app or current_app
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    conn = app.extensions.get("redis")
    if conn is None:
        # Short: Redis answers in milliseconds, and a hung one (a stopped host accepts connections
        # and never answers) held a reply or a sign-in for seconds per call, each request a
        # web thread. RQ's worker raises the read timeout of its own connection for its blocking
        # dequeue (rq.Worker), so these suit the web processes.
        conn = Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT,
                              health_check_interval=30)
        app.extensions["redis"] = conn
    return conn


def is_inline(app=None) -> bool:
    app = app or current_app
    return bool(app.config.get("JOBS_INLINE", True))


@dataclass(frozen=True)
class Call:
    """One job for `enqueue_all`: `func(*args)` on `queue`."""

    func: Callable
    args: tuple = ()
    queue: str = QUEUE_DEFAULT
    retry: RetryPolicy = NO_RETRY
    timeout: int = 60


def enqueue(
    func: Callable,
    *args: Any,
    queue: str = QUEUE_DEFAULT,
    retry: RetryPolicy = NO_RETRY,
    timeout: int = 60,
    job_id: str | None = None,
    delay: float = 0,
    **kwargs: Any,
) -> bool:
    """Run `func(*args, **kwargs)` in the background, no earlier than `delay` seconds from now.
    Returns False when the job could not be queued (Redis down); callers never need to act on
    that, the sweep will."""
    _check_queue(queue)
    app = current_app._get_current_object()
    if is_inline(app):
        job = InlineJob(func, args, kwargs, retry, description=_describe(func))
        if delay > 0 and app.config.get("JOBS_INLINE_RETRY_DELAYS"):
            _inline_submit_later(app, job, delay)
        else:
            _inline_submit(app, job)
        return True
    from rq import Queue

    options = _rq_options(func, args, kwargs, retry, timeout, job_id)
    try:
        rq_queue = Queue(queue, connection=redis_connection(app))
        if delay > 0:
            # Held in RQ's scheduled registry until due; the worker's scheduler moves it over.
            rq_queue.enqueue_in(timedelta(seconds=delay), func, **options)
        else:
            rq_queue.enqueue(func, **options)
        return True
    except RedisError as exc:
        log.warning("enqueue of %s failed, the sweep will redo it: %s", _describe(func), type(exc).__name__)
        return False


def enqueue_all(calls: list[Call]) -> bool:
    """Queue several jobs at once, in one Redis round trip (RQ's enqueue_many on one pipeline):
    a webhook delivery's follow-ups, say, where one `enqueue` each would cost two round trips
    per job on the request's critical path. Same promises as `enqueue`."""
    if not calls:
        return True
    for call in calls:
        _check_queue(call.queue)
    app = current_app._get_current_object()
    if is_inline(app):
        for call in calls:
            _inline_submit(app, InlineJob(call.func, call.args, {}, call.retry, description=_describe(call.func)))
        return True
    from rq import Queue

    conn = redis_connection(app)
    try:
        pipe = conn.pipeline()
        for name in dict.fromkeys(call.queue for call in calls):
            Queue(name, connection=conn).enqueue_many(
                [_prepared(call) for call in calls if call.queue == name], pipeline=pipe)
        pipe.execute()
        return True
    except RedisError as exc:
        log.warning("enqueue of %d job(s) failed, the sweep will redo them: %s", len(calls), type(exc).__name__)
        return False


def _prepared(call: Call):
    from rq import Queue

    options = _rq_options(call.func, call.args, {}, call.retry, call.timeout, None)
    options["timeout"] = options.pop("job_timeout")  # prepare_data's name for it
    return Queue.prepare_data(call.func, **options)


def _check_queue(queue: str) -> None:
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")


def _rq_options(func: Callable, args: tuple, kwargs: dict, retry: RetryPolicy, timeout: int,
                job_id: str | None) -> dict[str, Any]:
    from rq import Retry

    return dict(
        args=args,
        kwargs=kwargs,
        job_timeout=timeout,
        retry=Retry(max=retry.max, interval=list(retry.intervals)) if retry.max else None,
        job_id=job_id,
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
        description=_describe(func),
    )


def _describe(func: Callable) -> str:
    return f"{func.__module__}.{func.__qualname__}"


# --- inline mode -------------------------------------------------------------------------------

def _inline_submit(app, job: InlineJob) -> None:
    state = _inline_state()
    if state.draining:
        # A job enqueueing a job: the running drain loop picks it up (also when that loop runs
        # at the end of a request, where `g` belongs to the finished job's app context).
        state.queue.append(job)
        return
    if has_request_context():
        # Deferred to after the view: the job must see what the request committed.
        pending = g.setdefault("inline_jobs", [])
        pending.append(job)
        return
    state.queue.append(job)
    _drain(app)


class _InlineState(threading.local):
    def __init__(self) -> None:
        self.queue: deque[InlineJob] = deque()
        self.draining = False


_state = _InlineState()


def _inline_state() -> _InlineState:
    return _state


def _drain(app) -> None:
    """Run queued inline jobs one after another; jobs that enqueue jobs extend the same loop."""
    state = _inline_state()
    state.draining = True
    try:
        while state.queue:
            _run_inline(app, state.queue.popleft())
    finally:
        state.draining = False


def _run_inline(app, job: InlineJob) -> None:
    from app.extensions import db

    with app.app_context():
        try:
            job.func(*job.args, **job.kwargs)
            return
        except Exception:
            db.session.rollback()
            log.exception("inline job %s failed (attempt %d)", job.description, job.attempt + 1)
        finally:
            db.session.remove()
    if job.attempt >= job.retry.max:
        return
    delay = job.retry.intervals[job.attempt]
    job.attempt += 1
    if app.config.get("JOBS_INLINE_RETRY_DELAYS") and delay > 0:
        _inline_submit_later(app, job, delay)
    else:
        _inline_state().queue.append(job)


def _inline_submit_later(app, job: InlineJob, delay: float) -> None:
    timer = threading.Timer(delay, lambda: _inline_submit_from_thread(app, job))
    timer.daemon = True
    timer.start()


def _inline_submit_from_thread(app, job: InlineJob) -> None:
    with app.app_context():
        _inline_submit(app, job)


def run_request_jobs(response):
    """`after_request` hook: what the request enqueued runs once the response has gone out.

    The WSGI server calls the response's close() after writing its last byte, so the client has
    its whole answer before any job starts: Meta's webhook gets its 200 in milliseconds even when
    a delivery from 1000 new customers queues 1000 profile lookups (SECURITY_REVIEW F-19), and a
    slow job delays no one's page. The jobs still run after the view's commit, in this thread.
    What a crash would lose here, the periodic sweeps find again (app.jobs.schedule)."""
    jobs = g.pop("inline_jobs", None)
    if jobs:
        app = current_app._get_current_object()
        response.call_on_close(lambda: _run_after_response(app, jobs))
    return response


def _run_after_response(app, jobs: list[InlineJob]) -> None:
    state = _inline_state()
    state.queue.extend(jobs)
    if not state.draining:
        _drain(app)


def init_app(app) -> None:
    from app.jobs import after_commit

    app.after_request(run_request_jobs)
    after_commit.listen()
