"""Where a send job's time goes, against the same Graph call alone (bench/bench_worker.py's
shape: one account, JOBS customers, the stand-in as Meta, no latency injected).

It runs RQ's own worker (`InboxWorker`, as the Procfile's worker does) in this process over a
queue of reference jobs (`bench.jobs.graph_send`) and then over real sends (`queue_reply`),
counting every statement SQLAlchemy sends and every connection the pool hands out, and prints
a cProfile of each run's cumulative time by function.

Run: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/igdm_prof python bench/profile_worker.py [JOBS]
It drops and recreates that database.
"""
from __future__ import annotations

import cProfile
import importlib
import io
import os
import pstats
import sys
import time

from harness import Standin, bench_env, flush_redis, reset_database

import bench_worker


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    plain = "--plain" in sys.argv  # no cProfile: the times per job as they are
    jobs = int(args[0]) if args else 200
    bench_worker.JOBS = jobs
    env = bench_env()
    reset_database(env)
    with Standin(env) as standin:
        env.update(INSTAGRAM_GRAPH_URL=standin.graph_url, INSTAGRAM_API_URL=standin.api_url)
        os.environ.update(env)
        import logging

        from sqlalchemy import event
        from sqlalchemy.orm import configure_mappers

        from app import create_app
        from app.extensions import db
        from app.jobs.worker import make_worker

        app = create_app()
        logging.getLogger("app").setLevel(logging.WARNING)
        logging.getLogger("rq").setLevel(logging.WARNING)
        importlib.import_module("app.outbound.jobs")  # as worker.py preloads it
        configure_mappers()
        with app.app_context():
            ids = bench_worker.setup(standin)
            engine = db.engine
        statements: list[str] = []
        checkouts = [0]
        event.listen(engine, "before_cursor_execute",
                     lambda conn, cursor, statement, *a: statements.append(" ".join(statement.split())[:int(os.environ.get("PROFILE_SQL_WIDTH", "120"))]))
        event.listen(engine.pool, "checkout", lambda *a: checkouts.__setitem__(0, checkouts[0] + 1))

        for label, enqueue in [("graph send", bench_worker.enqueue_graph_sends),
                               ("send", bench_worker.enqueue_sends)] * (4 if plain else 2):
            flush_redis(env)
            with app.app_context():
                enqueue(ids)
            statements.clear()
            checkouts[0] = 0
            worker = make_worker(app)
            profiler = cProfile.Profile()
            started = time.perf_counter()
            if not plain:
                profiler.enable()
            worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
            profiler.disable()
            elapsed = time.perf_counter() - started
            print(f"\n== {label}: {jobs} jobs in {elapsed:.2f} s, {1000 * elapsed / jobs:.2f} ms per job"
                  f"{'' if plain else ' (profiled)'}, "
                  f"{len(statements) / jobs:.2f} statements and {checkouts[0] / jobs:.2f} checkouts per job")
            seen: dict[str, int] = {}
            for statement in statements:
                seen[statement] = seen.get(statement, 0) + 1
            for statement, count in sorted(seen.items(), key=lambda kv: -kv[1])[:15]:
                print(f"  {count / jobs:5.2f}  {statement}")
            if plain:
                continue
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
            print(out.getvalue()[:9000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
