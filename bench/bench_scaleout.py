"""Scale-out: how ingestion and the background jobs grow with processes, on one PostgreSQL and
one Redis, so the README can say how a deploy grows beyond one machine (more web and worker
dynos) and what limits it then.

For each web process count (`--web`, default 1, 2, 4: the Procfile's `web` line with
WEB_CONCURRENCY set to it, 4 threads each) the burst's signed one-message deliveries
(bench/bench_burst.py's sender, open loop from 2,000 customers) are sent at rising rates
(`--rates`), `--step-seconds` each, until a count misses a step twice in a row: a delivery not
answered 200, or p99 over 1 s. The highest step met is that count's sustained rate. All counts
serve at once, each on its own port, and every rate is tried on each in alternating order, so
the shared machine's neighbours weigh on every count alike. No worker runs meanwhile, so the web
processes have the machine and the follow-up jobs pile up in Redis (the workspace has an automation
rule, so each message leaves its automation job as well as a new customer's profile lookup). Then for each worker count
(`--workers`, default 1, 2: that many `worker` lines) the backlog is worked for `--job-seconds`,
alternating the counts for `--job-rounds` rounds, and jobs/s is counted from RQ's own timestamps
(the median window of each count is shown).

Beside each figure, CPU seconds per delivery (per job) of our processes and of the PostgreSQL
server processes serving this database (from /proc): what a second machine for the web or the
worker would not take off the database. Reference (same run): the 1-process figure; the ratios
are information. Fails only when something is lost (a stored delivery twice, a 200 not stored).
On a machine with fewer cores than processes the ratios show the cores running out, not the
design: the per-delivery CPU split is what carries over.

Run: python bench/bench_scaleout.py [--web 1,2,4] [--workers 1,2] [--step-seconds 10]
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time

from bench_burst import DELIVERY_P99_MS, LOGS, Burst, job_figures, pct, queued_jobs, send_burst, setup
from harness import (ProcfileProcess, Standin, backend_pids, bench_env, cpu_seconds, free_port, machine_line, median,
                     psql, ratio_line)


def ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


class CpuMeter:
    """CPU seconds spent by our processes and by this database's PostgreSQL backends between
    start() and stop() (backends that appear meanwhile count from zero)."""

    def __init__(self, env: dict, pids):
        self.env, self.pids = env, pids

    def start(self) -> None:
        self.ours = cpu_seconds(*self.pids())
        self.backends = {pid: cpu_seconds(pid) for pid in backend_pids(self.env)}

    def stop(self) -> tuple[float, float]:
        ours = cpu_seconds(*self.pids()) - self.ours
        pg = sum(cpu_seconds(pid) - self.backends.get(pid, 0.0) for pid in backend_pids(self.env))
        return ours, pg


def step(env: dict, account_id: str, web: ProcfileProcess, port: int, processes: int, rate: int, seconds: float,
         customers: int, run: str) -> dict:
    """One rate step against one web process count: the deliveries' p99 and the CPU they cost."""
    burst = Burst(port, env["INSTAGRAM_APP_SECRET"], account_id, int(rate * seconds), seconds, customers,
                  time.monotonic() + 0.5, run=run)
    meter = CpuMeter(env, web.pids)
    meter.start()
    results = send_burst(burst)
    ours, pg = meter.stop()
    latencies = [ms for _, _, ms in results]
    failed = sum(1 for _, status, _ in results if status != 200)
    p99 = pct(latencies, 99)
    met = failed == 0 and p99 <= DELIVERY_P99_MS
    result = dict(rate=rate, p99=p99, met=met, web_ms=ours / len(results) * 1000, pg_ms=pg / len(results) * 1000)
    print(f"scaleout step: web {processes} at {rate}/s: p50 {pct(latencies, 50):.0f} ms, p99 {p99:.0f} ms, {failed} not 200; "
          f"CPU per delivery: web {result['web_ms']:.1f} ms, PostgreSQL {result['pg_ms']:.1f} ms"
          f"{'' if met else '  (missed)'}", flush=True)
    return result


def web_steps(env: dict, account_id: str, counts: list[int], rates: list[int], seconds: float,
              customers: int) -> tuple[dict, list[dict]]:
    """Every web process count serving at once on its own port (an idle one costs nothing), each
    rate tried on each count still in the race, in alternating order, so the machine's
    neighbours weigh on every count alike. A count leaves the race when it misses a rate twice in
    a row (one stall of the shared machine decides a single step's p99). Returns each count's best
    step met (None if none was) and every step (CPU per delivery does not depend on meeting it)."""
    best: dict[int, dict | None] = {n: None for n in counts}
    steps: list[dict] = []
    with contextlib.ExitStack() as stack:
        ports = {n: free_port() for n in counts}
        webs = {n: stack.enter_context(ProcfileProcess("web", env, LOGS / f"scaleout-web{n}.log", PORT=ports[n],
                                                       WEB_CONCURRENCY=n)) for n in counts}
        for n in counts:
            warm = Burst(ports[n], env["INSTAGRAM_APP_SECRET"], account_id, 20 * n, 2.0, customers, time.monotonic(),
                         run=f"warm{n}")
            send_burst(warm, processes=1, connections=4 * n)
        racing = list(counts)
        for k, rate in enumerate(rates):
            for n in list(racing if k % 2 == 0 else racing[::-1]):
                for attempt in (1, 2):
                    time.sleep(1.0)
                    result = step(env, account_id, webs[n], ports[n], n, rate, seconds, customers, f"w{n}r{rate}a{attempt}")
                    steps.append(result)
                    if result["met"]:
                        best[n] = result
                        break
                else:
                    racing.remove(n)
            if not racing:
                break
    return best, steps


def job_window(env: dict, workers: int, seconds: float) -> dict:
    """`workers` Procfile workers on the backlog for `seconds`; jobs/s over the jobs they finished."""
    before_ids = finished_ids(env)
    with contextlib.ExitStack() as stack:
        procs = [stack.enter_context(ProcfileProcess("worker", env, LOGS / f"scaleout-worker{workers}-{n}.log"))
                 for n in range(workers)]
        meter = CpuMeter(env, lambda: [pid for p in procs for pid in p.pids()])
        wait_for_workers(env, workers)  # their start (importing the app) is not part of the rate
        meter.start()
        started = time.time()
        time.sleep(seconds)
        ended = time.time()
        ours, pg = meter.stop()
        left = queued_jobs(env)
    from rq.job import Job

    import redis
    conn = redis.Redis.from_url(env["REDIS_URL"])
    new = [job for job in Job.fetch_many(sorted(finished_ids(env) - before_ids), connection=conn) if job is not None]
    inside = [job for job in new if job.ended_at and started <= job.ended_at.timestamp() <= ended]
    count = max(1, len(inside))
    return dict(workers=workers, rate=len(inside) / (ended - started), left=left,
                worker_ms=ours / count * 1000, pg_ms=pg / count * 1000)


def wait_for_workers(env: dict, count: int, limit: float = 120.0) -> None:
    """Until `count` RQ workers have registered in Redis (they do once the app is imported)."""
    import redis
    from rq import Worker

    conn = redis.Redis.from_url(env["REDIS_URL"])
    deadline = time.monotonic() + limit
    while Worker.count(connection=conn) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{count} workers did not start within {limit:.0f} s")
        time.sleep(0.2)


def finished_ids(env: dict) -> set[str]:
    import redis
    from rq.registry import FinishedJobRegistry

    from app.jobs import QUEUES

    conn = redis.Redis.from_url(env["REDIS_URL"])
    return {job_id for name in QUEUES for job_id in FinishedJobRegistry(name, connection=conn).get_job_ids()}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--web", type=ints, default=[1, 2, 4])
    parser.add_argument("--workers", type=ints, default=[1, 2])
    parser.add_argument("--rates", type=ints, default=[10, 25, 50, 75, 100, 150, 200, 300, 400, 600])
    parser.add_argument("--step-seconds", type=float, default=10.0)
    parser.add_argument("--job-seconds", type=float, default=15.0)
    parser.add_argument("--job-rounds", type=int, default=2, help="windows per worker count (the median is shown)")
    parser.add_argument("--customers", type=int, default=2_000)
    args = parser.parse_args(argv)
    env = bench_env()
    LOGS.mkdir(exist_ok=True)
    load_before = os.getloadavg()[0]
    with Standin(env) as standin:
        env.update(INSTAGRAM_GRAPH_URL=standin.graph_url, INSTAGRAM_API_URL=standin.api_url)
        # With automation, so the deliveries leave the workers a backlog to measure (a job each).
        account_id, _ = setup(env, standin, 0, automation=True)
        import redis

        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
        os.environ.update(env)
        best, steps = web_steps(env, account_id, args.web, args.rates, args.step_seconds, args.customers)
        backlog = queued_jobs(env)
        delivered = int(psql(env, "SELECT count(*) FROM messages WHERE direction = 'in'"))
        backlog_per_delivery = backlog / delivered if delivered else 0.0
        print(f"scaleout jobs queued by those deliveries: {backlog} ({backlog_per_delivery:.2f} per delivery)", flush=True)
        windows: dict[int, list[dict]] = {n: [] for n in args.workers}
        for k in range(args.job_rounds):  # alternating, as the web counts
            for n in (args.workers if k % 2 == 0 else args.workers[::-1]):
                windows[n].append(job_window(env, n, args.job_seconds))
                print(f"scaleout window: workers {n}: {windows[n][-1]['rate']:.0f} jobs/s, {windows[n][-1]['left']} left", flush=True)
        jobs = [sorted(runs, key=lambda r: r["rate"])[len(runs) // 2] for runs in windows.values()]
        counts = psql(env, "SELECT count(*), count(DISTINCT mid) FROM messages WHERE direction = 'in'")
        failed = job_figures(env)[1]
    stored, distinct = (int(x) for x in counts.split("|"))
    print(machine_line(), f"(load average {load_before:.1f} when it started)")
    for n, found in best.items():
        if found:
            print(f"scaleout web processes {n}: sustained {found['rate']} deliveries/s (p99 {found['p99']:.0f} ms); "
                  f"CPU per delivery there: web {found['web_ms']:.1f} ms, PostgreSQL {found['pg_ms']:.1f} ms")
        else:
            print(f"scaleout web processes {n}: not even {args.rates[0]} deliveries/s with p99 <= 1 s")
    base = best[args.web[0]]
    for n in args.web[1:]:
        if base and best[n]:
            print(ratio_line(f"scaleout {n} / {args.web[0]} web processes, sustained deliveries/s", best[n]["rate"],
                             base["rate"], "information"))
    for job in jobs:
        print(f"scaleout workers {job['workers']}: {job['rate']:.0f} jobs/s ({job['left']} still queued after); CPU per "
              f"job: worker {job['worker_ms']:.1f} ms, PostgreSQL {job['pg_ms']:.1f} ms")
    for job in jobs[1:]:
        print(ratio_line(f"scaleout {job['workers']} / {jobs[0]['workers']} workers, jobs/s", job["rate"], jobs[0]["rate"],
                         "information"))
    web_ms, pg_ms = median([s["web_ms"] for s in steps]), median([s["pg_ms"] for s in steps])
    job_ms, job_pg_ms = median([j["worker_ms"] for j in jobs]), median([j["pg_ms"] for j in jobs])
    print(f"scaleout CPU per delivery (median of all {len(steps)} steps): web {web_ms:.1f} ms, PostgreSQL {pg_ms:.1f} ms; "
          f"per job: worker {job_ms:.1f} ms, PostgreSQL {job_pg_ms:.1f} ms")
    print(f"scaleout projection: a web process whose core is its own takes about {1000 / web_ms:.0f} deliveries/s; "
          f"PostgreSQL about {1000 / pg_ms:.0f} deliveries/s per core for ingestion alone, about "
          f"{1000 / (pg_ms + backlog_per_delivery * job_pg_ms):.0f} with their {backlog_per_delivery:.1f} follow-up jobs each")
    once = stored == distinct
    print(f"scaleout messages: {stored} stored, {distinct} distinct mids; failed jobs {failed} "
          "(target: each stored once, no failed job)")
    return 0 if once and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
