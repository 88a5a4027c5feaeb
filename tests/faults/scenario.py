"""What the fault tests do to the app: deliver webhooks, run workers, let time pass."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from app.extensions import db
from app.instagram import payloads
from app.models import Contact, Conversation, Lead, Message, WebhookEvent
from tests.conftest import TEST_APP_SECRET, TEST_FERNET_KEY, TEST_VERIFY_TOKEN

ROOT = Path(__file__).resolve().parents[2]
CUSTOMER = "6100000000000042"


def inbound(account, mid: str = "m.fault.1", text: str = "Is the blue one still available?",
            customer: str = CUSTOMER) -> dict:
    """A one-message delivery as Meta sends it."""
    return payloads.delivery(payloads.entry(account.ig_user_id, [
        payloads.text_message(account.ig_user_id, customer, mid, text)]))


def counts() -> dict[str, int]:
    """Rows per table that a delivery writes (read through the test's direct connection)."""
    db.session.rollback()
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (WebhookEvent, Contact, Conversation, Message, Lead)}


def work(app) -> None:
    """A real RQ worker (in this process) until the queues are empty."""
    from app.jobs.worker import make_worker

    db.session.remove()
    make_worker(app).work(burst=True, with_scheduler=False)
    db.session.remove()


def make_due(app) -> int:
    """Let time pass for RQ: every job waiting in a scheduled registry (a delayed retry) goes to
    its queue now. Returns how many moved."""
    from rq import Queue
    from rq.job import Job
    from rq.registry import ScheduledJobRegistry

    from app.jobs import QUEUES, redis_connection

    conn = redis_connection(app)
    moved = 0
    for name in QUEUES:
        queue = Queue(name, connection=conn)
        registry = ScheduledJobRegistry(queue=queue)
        for job in Job.fetch_many(registry.get_job_ids(), connection=conn):
            if job is not None:
                registry.remove(job)
                queue.enqueue_job(job)
                moved += 1
    return moved


def age_claims(minutes: int) -> None:
    """Let time pass for the database: every send claim becomes `minutes` older."""
    db.session.execute(text("UPDATE messages SET send_claimed_at = send_claimed_at - make_interval(mins => :m) "
                            "WHERE send_claimed_at IS NOT NULL"), {"m": minutes})
    db.session.commit()


def worker_env(app) -> dict:
    """The environment `python worker.py` gets in production, pointed at this test's services."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("INSTAGRAM_", "TOKEN_"))}
    env.update(
        APP_ENV="test", SECRET_KEY=app.config["SECRET_KEY"],
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=app.config["REDIS_URL"],
        INSTAGRAM_APP_ID="test-app-id", INSTAGRAM_APP_SECRET=TEST_APP_SECRET, INSTAGRAM_VERIFY_TOKEN=TEST_VERIFY_TOKEN,
        TOKEN_ENCRYPTION_KEYS=TEST_FERNET_KEY, INSTAGRAM_GRAPH_URL=app.config["INSTAGRAM_GRAPH_URL"],
        INSTAGRAM_API_URL=app.config["INSTAGRAM_API_URL"], INSTAGRAM_GRAPH_VERSION=app.config["INSTAGRAM_GRAPH_VERSION"],
    )
    return env


def start_worker(app, *args: str) -> subprocess.Popen:
    """`python worker.py`, the Procfile's worker, against this test's services."""
    return subprocess.Popen([sys.executable, "worker.py", *args], cwd=ROOT, env=worker_env(app),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


SWEEP_LATER = timedelta(minutes=3)  # beyond the ingest sweep's grace period
