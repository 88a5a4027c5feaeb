"""RQ worker classes that run every job inside a fresh Flask app context.

The Procfile's worker runs jobs in its own process (`InboxWorker`, RQ's SimpleWorker). RQ's
default forks a work horse per job, and for jobs as small as ours (a Graph call and a few
queries) that fork was most of the cost: every work horse opened a new PostgreSQL connection and
compiled every SQL statement afresh (bench/bench_worker.py --compare-fork measures both; the
README has the figures). Jobs stay isolated where it matters: each gets its own app context and database session, and job timeouts still apply
(SIGALRM in this process). On SIGTERM (a dyno restart) RQ lets the running job finish, well
within Heroku's 30 s (Graph calls time out after 13 s), then exits; whatever a SIGKILL cuts short
is settled by the sweeps (a claimed send ends visibly `failed`, never sent twice).

`python worker.py --fork` keeps RQ's forking worker (HerokuWorker) for jobs that must not share a
process."""
from __future__ import annotations

import logging

from rq import SimpleWorker
from rq.worker import HerokuWorker

from app.extensions import db

log = logging.getLogger(__name__)
MAINTENANCE_EVERY = 60  # seconds (RQ's default is 600)


class AppContextMixin:
    """Each job gets its own app context and database session, removed afterwards, so one job's
    failed transaction can never leak into the next."""

    flask_app = None

    def perform_job(self, job, queue):
        with self.flask_app.app_context():
            try:
                return super().perform_job(job, queue)
            finally:
                end_session()

    def stop_was_asked(self) -> bool:
        """Whether the loop ended on SIGTERM or Ctrl-C (RQ notes when it was asked), rather than on
        an error (app.jobs.keep_running starts it again then)."""
        return self._shutdown_requested_date is not None


def end_session() -> None:
    """Remove the job's session. When the database connection died under the job (a failover, a
    terminated backend), rolling back on it raises: that must not end the worker's loop (RQ
    quits on any error outside a job), and the session is dropped anyway; the pool has marked
    the dead connection invalid, and the next job checks out a live one."""
    try:
        db.session.remove()
    except Exception as exc:  # noqa: BLE001 - the job is over; only its clean-up failed
        log.warning("a job's database session could not be closed (%s); dropped",
                    type(exc).__name__)
        try:
            db.session.invalidate()  # its connections are discarded, not kept checked out
        except Exception:  # noqa: BLE001
            pass
        db.session.registry.clear()


class InboxWorker(AppContextMixin, SimpleWorker):
    """Runs each job in this process: the Procfile's worker, and the tests' real worker."""


class ForkingWorker(AppContextMixin, HerokuWorker):
    """Forks a work horse per job; on SIGTERM the running job gets a short grace period and is
    then failed into its retry policy."""


def make_worker(app, worker_class=InboxWorker, **kwargs):
    from rq import Queue

    from app.jobs import QUEUES, redis_connection

    conn = redis_connection(app)
    worker_class = type(worker_class.__name__, (worker_class,), {"flask_app": app})
    # RQ's maintenance (which also takes over the scheduler of delayed jobs and retries) every
    # minute rather than every ten: a worker started again after an outage may find the scheduler
    # lock of the one before still held for a minute, and until it runs no retry comes due.
    kwargs.setdefault("maintenance_interval", MAINTENANCE_EVERY)
    return worker_class([Queue(name, connection=conn) for name in QUEUES], connection=conn, **kwargs)
