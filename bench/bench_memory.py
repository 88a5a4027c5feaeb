"""Resident memory of the web and worker processes under sustained work: no growth trend.

- web: gunicorn as the Procfile runs it serves 100k requests of an agent-like mix (mostly the
  live poll, then the inbox list, a thread, incoming webhooks, the health check); the RSS of the
  master and its workers is sampled every 10k requests.
- worker: `python worker.py` as the Procfile runs it (jobs in the worker's own process) runs
  100k jobs, batches of no-op, profile-lookup and send jobs against the stand-in; its RSS is
  sampled every WORKER_SAMPLE_EVERY jobs.

A least-squares line is fitted to the samples after the first (warm-up: imports, caches, the
connection pools filling); "no growth trend" = the fitted growth over the measured span is under
TREND_LIMIT of the resident size.
Run: python bench/bench_memory.py [web|worker]   (both by default)
"""
from __future__ import annotations

import http.client
import re
import subprocess
import sys
import time
from urllib.parse import urlencode

from bench_worker import enqueue_noop, enqueue_profiles, enqueue_sends, setup
from harness import (BENCH_PASSWORD, ROOT, Server, Standin, app_context, bench_account, bench_env, fit_slope, flush_redis,
                     load, login_cookie, machine_line, psql, reset_database, rss_kb, seeded_user, signed_delivery, stop)

WEB_REQUESTS = 100_000
WEB_SAMPLE_EVERY = 10_000
WORKER_JOBS = 100_000
WORKER_BATCH = 50  # jobs of each kind per batch
WORKER_SAMPLE_EVERY = 5_000
TREND_LIMIT = 0.02
ACCOUNT_ID = "17841400000000002"


def trend(label: str, xs: list[float], kbs: list[int], unit: str, per: float) -> bool:
    """Print the samples and the fitted growth after warm-up; True when there is no growth trend."""
    print(f"{label} samples ({unit}: RSS MB): " + ", ".join(f"{x:.0f}: {kb / 1024:.1f}" for x, kb in zip(xs, kbs)))
    xs, kbs = xs[1:], kbs[1:]
    slope = fit_slope(xs, kbs)
    growth = slope * (xs[-1] - xs[0])
    mean = sum(kbs) / len(kbs)
    ok = growth < TREND_LIMIT * mean
    print(f"{label} fitted slope {slope * per:+.1f} KB per {per:,.0f} {unit}; growth over the run {growth / 1024:+.2f} MB"
          f" = {growth / mean:+.2%} of {mean / 1024:.1f} MB (target < {TREND_LIMIT:.0%}): {'ok' if ok else 'GROWING'}")
    return ok


def web(env: dict) -> bool:
    email = seeded_user(env, "Memory", 1_000, 10_000, accounts=2)
    bench_account(env, "Memory", ACCOUNT_ID)
    threads = [int(x) for x in psql(env, "SELECT id FROM conversations ORDER BY id LIMIT 20").split()]
    secret = env["INSTAGRAM_APP_SECRET"]
    with Server(env) as server:
        cookie = login_cookie(server.port, email, BENCH_PASSWORD)
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", "/", headers={"Cookie": cookie})
        since = re.search(r'id="live-since"[^>]*value="([^"]*)"', conn.getresponse().read().decode()).group(1)
        poll = "/inbox/changes?" + urlencode({"since": since})
        page = {"Cookie": cookie}
        fragment = {"Cookie": cookie, "HX-Request": "true"}

        def mix(worker: int, i: int):
            # Per 20 requests: 12 polls, 3 inbox lists, 2 threads, 2 webhooks, 1 health check.
            slot = i % 20
            if slot < 12:
                return ("GET", poll, None, fragment)
            if slot < 15:
                return ("GET", "/", None, fragment if slot % 2 else page)
            if slot < 17:
                return ("GET", f"/conversations/{threads[i % len(threads)]}", None, fragment)
            if slot < 19:
                body, headers = signed_delivery(secret, ACCOUNT_ID, 7_000_000 + i % 500, f"mem-{worker}-{i}-{time.time_ns()}",
                                                "Do you ship to Lisbon?")
                return ("POST", "/webhooks/instagram", body, headers)
            return ("GET", "/healthz", None, {})

        done, xs, kbs, errors = 0, [], [], 0
        while done < WEB_REQUESTS:
            result = load("mix", server.port, mix, WEB_SAMPLE_EVERY, connections=8)
            done += result.requests
            errors += result.errors
            xs.append(done)
            kbs.append(server.rss_kb())
            print(f"  {done:>7} requests  {result.throughput:6.1f} req/s  RSS {kbs[-1] / 1024:.1f} MB "
                  f"(workers: {', '.join(f'{rss_kb(p) / 1024:.1f}' for p in server.worker_pids())})  errors {result.errors}",
                  flush=True)
    ok = trend("web", xs, kbs, "requests", 10_000)
    print(f"web errors: {errors} (target 0)")
    return ok and errors == 0


def worker(env: dict) -> bool:
    with Standin(env) as standin:
        env = {**env, "INSTAGRAM_GRAPH_URL": standin.graph_url, "INSTAGRAM_API_URL": standin.api_url}
        with app_context(env):
            from rq import Queue

            from app.jobs import QUEUES, redis_connection

            conversation_ids = setup(standin)
            flush_redis(env)
            proc = subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            conn = redis_connection()
            done, xs, kbs = 0, [], []
            started = time.monotonic()
            try:
                while done < WORKER_JOBS:
                    for batch in (enqueue_noop, enqueue_profiles, enqueue_sends):
                        batch(conversation_ids[:WORKER_BATCH])
                        done += WORKER_BATCH
                    while sum(Queue(name, connection=conn).count for name in QUEUES):
                        time.sleep(0.2)
                    if done // WORKER_SAMPLE_EVERY > len(xs):
                        time.sleep(0.5)  # the last job finishing
                        xs.append(done)
                        kbs.append(rss_kb(proc.pid))
                        print(f"  {done:>6} jobs  {time.monotonic() - started:5.0f} s  worker RSS {kbs[-1] / 1024:.1f} MB",
                              flush=True)
            finally:
                stop(proc)
    failed_sends = int(psql(env, "SELECT count(*) FROM messages WHERE direction = 'out' AND status <> 'sent'"))
    ok = trend("worker", xs, kbs, "jobs", 1_000)
    print(f"worker: replies not sent {failed_sends} (target 0)")
    return ok and failed_sends == 0


def main(argv: list[str]) -> int:
    parts = argv or ["web", "worker"]
    env = bench_env()
    ok = True
    for part in parts:
        reset_database(env)
        ok &= {"web": web, "worker": worker}[part](env)
    print(machine_line())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
