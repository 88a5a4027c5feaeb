"""The background worker (Procfile `worker:`) and, with --clock, the scheduler (`clock:`).

`python worker.py` builds the app once, preloads the job modules and listens to the queues in
priority order: high (sends), default (ingestion follow-ups), low (upkeep), running each job in
this process (see app/jobs/worker.py for why; `--fork` forks a work horse per job instead).
Both start again by themselves after a Redis or database outage (app/jobs/keep_running.py).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from sqlalchemy.orm import configure_mappers

import app as app_package
from app import create_app
from app.extensions import db
from app.jobs import redis_connection
from app.jobs.keep_running import keep_running
from app.jobs.schedule import PERIODIC_JOBS, make_clock, run_clock
from app.jobs.worker import ForkingWorker, InboxWorker, make_worker


def _job_modules() -> tuple[str, ...]:
    """The shared upkeep jobs and every feature's `app/<feature>/jobs.py`, found on disk so a new
    feature's jobs are preloaded without anyone remembering to list them here."""
    features = sorted(path.parent.name for path in Path(app_package.__file__).parent.glob("*/jobs.py"))
    return ("app.jobs.upkeep", *(f"app.{feature}.jobs" for feature in features))


# Imported before the first job (and, with --fork, inherited by every work horse).
JOB_MODULES = _job_modules()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clock", action="store_true", help="run the periodic-job scheduler instead of a worker")
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    parser.add_argument("--fork", action="store_true", help="fork a work horse per job (RQ's HerokuWorker)")
    args = parser.parse_args(argv)

    app = create_app()
    if app.config["JOBS_INLINE"]:
        print("REDIS_URL is not set: jobs run inline in the web process and no worker is needed.", file=sys.stderr)
        return 2
    for name in JOB_MODULES:
        importlib.import_module(name)
    for job in PERIODIC_JOBS:
        job.resolve()
    # Mapper configuration costs tens of milliseconds the first time a model is queried: done
    # once here, before the first job (and inherited by forked work horses).
    configure_mappers()

    conn = redis_connection(app)
    if args.clock:
        scheduler = make_clock(conn)
        return keep_running(lambda: run_clock(scheduler), what="The clock")

    with app.app_context():
        engine = db.engine
    # A forked process (a work horse with --fork, RQ's scheduler) must not reuse our database sockets.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))

    def work() -> bool:
        # A new worker each time: one whose loop ended has registered its death (or failed to).
        worker = make_worker(app, ForkingWorker if args.fork else InboxWorker)
        try:
            worker.work(burst=args.burst, with_scheduler=True, logging_level="INFO")
        except Exception:
            if worker.stop_was_asked():
                return True  # asked to stop, and Redis was gone when it said goodbye
            raise
        return args.burst or worker.stop_was_asked()

    return keep_running(work, what="The worker")


if __name__ == "__main__":
    sys.exit(main())
