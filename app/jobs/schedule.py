"""Periodic jobs: what the clock runs, how often, on which queue.

Run by `python worker.py --clock` (Procfile `clock:`, RQ's cron scheduler) in queued mode, or by
a background thread of the web process in inline mode, so scheduled upkeep happens either way.
Every entry must be idempotent: two clocks running at once must do no harm. Each names a job in
a feature's `jobs.py` (or app.jobs.upkeep), the modules the worker preloads (worker.JOB_MODULES).
"""
from __future__ import annotations

import importlib
import logging
import threading
import time
from dataclasses import dataclass

from app.jobs import QUEUE_DEFAULT, QUEUE_LOW

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    path: str  # "module:function", imported when run so this list stays import-light
    every_seconds: int
    queue: str = QUEUE_LOW
    timeout: int = 300

    def resolve(self):
        module, _, name = self.path.partition(":")
        return getattr(importlib.import_module(module), name)


PERIODIC_JOBS: list[PeriodicJob] = [
    PeriodicJob("app.jobs.upkeep:wake_snoozed_conversations", 60, QUEUE_DEFAULT),
    PeriodicJob("app.webhooks.jobs:sweep_ingest", 60, QUEUE_DEFAULT),
    PeriodicJob("app.jobs.upkeep:purge_expired_uploads", 3600),
    # "Who else has this conversation open" rows left by tabs that went without saying so.
    PeriodicJob("app.jobs.upkeep:prune_conversation_viewers", 3600),
    PeriodicJob("app.jobs.upkeep:prune_signed_out_sessions", 24 * 3600),
    PeriodicJob("app.accounts.jobs:refresh_expiring_tokens", 24 * 3600),
    PeriodicJob("app.accounts.jobs:resume_pending_deletions", 3600),
    # History imports whose page job was lost (a killed worker, a redeploy) go on from their cursor.
    PeriodicJob("app.accounts.jobs:resume_history_imports", 300),
    # Sends left behind by a lost enqueue or a crashed worker (see app.outbound.sending).
    PeriodicJob("app.outbound.jobs:sweep_outbound", 60, QUEUE_DEFAULT),
    PeriodicJob("app.automation.jobs:purge_automation_history", 24 * 3600),
    # Outbound webhooks: retries that are due, and deliveries whose job was lost (app.integrations.jobs).
    PeriodicJob("app.integrations.jobs:dispatch_webhooks", 60, QUEUE_DEFAULT),
    PeriodicJob("app.integrations.jobs:prune_webhook_deliveries", 24 * 3600),
    # Follow-up reminders that have come due, each told once (app.leads.jobs).
    PeriodicJob("app.leads.jobs:notify_due_follow_ups", 60, QUEUE_DEFAULT),
    # Web Push for notifications whose job was lost (Redis down, a crash before the claim).
    PeriodicJob("app.notifications.jobs:sweep_push", 60, QUEUE_DEFAULT),
    # Read notifications after 30 days, any after 90 (app.notifications.jobs).
    PeriodicJob("app.notifications.jobs:prune_notifications", 24 * 3600),
    # Assignment and mention alerts mailed to people who are away (app.notifications.email).
    PeriodicJob("app.notifications.jobs:send_email_alerts", 60, QUEUE_DEFAULT),
]


def make_clock(connection):
    """Queued mode: RQ's cron scheduler, with each periodic job registered on its interval."""
    from rq.cron import CronScheduler

    class Clock(CronScheduler):
        """Notes a stop that was asked for (SIGTERM, Ctrl-C): RQ raises StopRequested, and when
        Redis is away its goodbye in `finally` raises a Redis error over it, which must not read
        as an outage to restart from (app.jobs.keep_running)."""

        stop_asked = False

        def _request_stop(self, signum, frame):
            self.stop_asked = True
            super()._request_stop(signum, frame)

    scheduler = Clock(connection=connection, name="igdm-clock")
    for job in PERIODIC_JOBS:
        scheduler.register(job.resolve(), queue_name=job.queue, interval=job.every_seconds,
                           job_timeout=job.timeout, failure_ttl=7 * 24 * 3600)
    return scheduler


def run_clock(scheduler) -> bool:
    """Run the scheduler until it is asked to stop (True). A Redis error ends its loop with the
    error: app.jobs.keep_running starts it again, the same scheduler, so each job keeps its
    place in its interval."""
    try:
        scheduler.start()
    except Exception:
        if scheduler.stop_asked:
            return True
        raise
    return True


_inline_clock_started = False
_inline_clock_lock = threading.Lock()


def start_inline_clock(app) -> None:
    """Inline mode: a daemon thread in the web process runs the periodic jobs."""
    global _inline_clock_started
    with _inline_clock_lock:
        if _inline_clock_started:
            return
        _inline_clock_started = True
    thread = threading.Thread(target=_inline_clock_loop, args=(app,), name="inline-clock", daemon=True)
    thread.start()


def _inline_clock_loop(app) -> None:
    from app.extensions import db

    next_run = {job.path: 0.0 for job in PERIODIC_JOBS}
    while True:
        now = time.monotonic()
        for job in PERIODIC_JOBS:
            if now >= next_run[job.path]:
                next_run[job.path] = now + job.every_seconds
                with app.app_context():
                    try:
                        job.resolve()()
                    except Exception:
                        db.session.rollback()
                        log.exception("periodic job %s failed", job.path)
                    finally:
                        db.session.remove()
        time.sleep(5)
