"""RQ worker classes that run every job inside a fresh Flask app context."""
from __future__ import annotations

from rq import SimpleWorker
from rq.worker import HerokuWorker

from app.extensions import db


class AppContextMixin:
    """Each job gets its own app context and database session, removed afterwards, so one job's
    failed transaction can never leak into the next."""

    flask_app = None

    def perform_job(self, job, queue):
        with self.flask_app.app_context():
            try:
                return super().perform_job(job, queue)
            finally:
                db.session.remove()


class InboxWorker(AppContextMixin, HerokuWorker):
    """Forks a work horse per job; on SIGTERM (a dyno restart) the running job gets a grace
    period and is then requeued rather than lost."""


class InProcessWorker(AppContextMixin, SimpleWorker):
    """Runs jobs in this process: tests and benchmarks that need a real worker against real Redis."""


def make_worker(app, worker_class=InboxWorker, **kwargs):
    from rq import Queue

    from app.jobs import QUEUES, redis_connection

    conn = redis_connection(app)
    worker_class = type(worker_class.__name__, (worker_class,), {"flask_app": app})
    return worker_class([Queue(name, connection=conn) for name in QUEUES], connection=conn, **kwargs)
