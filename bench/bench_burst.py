"""Campaign burst: a shop's story goes viral and thousands of DMs arrive in a minute, exactly
when its reps need the inbox most.

The Procfile's processes run for real: its `web` line (gunicorn, WEB_CONCURRENCY=2 workers of 4
threads) and its `worker` line (`python worker.py`, one RQ worker), on PostgreSQL and Redis, with
Meta replaced by the local stand-in (`python -m app.standin`: the profile lookups, the reps'
replies and seen receipts go there). Then:

- `--deliveries` signed one-message deliveries (default 10,000) in `--seconds` (60) from
  `--customers` (2,000) customers, open loop: delivery i is due at start + i / rate whatever the
  server's pace, as Meta sends, and its latency counts from that due time;
- meanwhile `--reps` (10) people, each a logged-in session (the login form's CSRF token, then
  the page's X-CSRFToken header on every POST, as htmx sends it), poll `/inbox/changes` every 2 s
  with the tokens their page gave them, open the newest conversation every 6 s (the thread, its
  lead panel, "mark read" when it was unread, the thread's "who else is here" heartbeat, again every
  5 s while it is open), answer every second one they open (a reply the
  worker sends to the stand-in) and reload the inbox page once.

Each delivery's text starts with a marker (BX<i>X); a rep has it "on screen" when one of their
polls brings it (a list row's preview or an item of the open thread), and the on-screen latency
is that poll's answer arriving minus the delivery's due time (Meta's POST). A poll
re-sends only the 50 newest changed rows (app.inbox.live.MAX_LIVE_ROWS; the list shows 30), so a
message whose row was pushed below them by newer ones before the next poll is never on a rep's
screen unless scrolled to: the coverage is printed beside the latency.

Targets: every delivery answered 200, p99 <= 1 s; nothing lost or duplicated (the messages with
the burst's mids counted afterwards, once each); the reps' page and poll p95 <= 300 ms during the
burst; on screen p95 <= 3 s. Reference, same run: the same reps polling and opening threads
for `--quiet` seconds before the burst (the ratios are information). The worker's figures
(jobs/s, backlog when the burst ends, time to drain) are information, and every job must end
done: no failed job, every profile filled, every reply sent.

Run (PostgreSQL database and Redis db from DATABASE_URL / REDIS_URL, as every bench):
    python bench/bench_burst.py                  # the full burst: a few minutes, more while the worker drains
    python bench/bench_burst.py --deliveries 300 --seconds 10 --customers 100 --reps 3 --quiet 4
                                                 # a smoke run: 54 s at a load average of 5 on 2 cores
"""
from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import os
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from harness import (BENCH_PASSWORD, ProcfileProcess, Standin, app_context, bench_env, free_port, login_cookie,
                     machine_line, psql, ratio_line, reset_database, signed_delivery)

ACCOUNT = "burst.shop"
WORKSPACE = "Burst"
CUSTOMER_BASE = 6_200_000_000_000_000
POLL_EVERY = 2.0      # the inbox's hx-trigger="every 2s"
OPEN_EVERY = 6.0      # a rep opens the newest conversation this often
VIEWING_EVERY = 5.0   # an open thread's heartbeat (app.inbox.viewers.HEARTBEAT)
REPLY_EVERY = 2       # ...and answers every second one opened
TAIL = 6.0            # the reps keep polling this long after the last delivery was answered
MARKER = re.compile(r"BX(\d+)X")
LOGS = Path("/tmp/igdm-bench-logs")

# Targets
DELIVERY_P99_MS = 1000.0
REP_P95_MS = 300.0
ON_SCREEN_P95_MS = 3000.0


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


# ------------------------------------------------------------------------------------- setup


def setup(env: dict, standin: Standin, reps: int, automation: bool = False) -> tuple[str, list[str]]:
    """An empty database with one workspace, its connected account (a token the stand-in takes)
    and `reps` people (the first an admin, the others agents). Returns the account's
    ig_user_id and the reps' emails. `automation`: the workspace gets an enabled keyword rule no
    customer's text matches, so every new message queues its automation job, which reads the
    rules and logs that none matched (a shop using automation; without a rule ingestion queues
    no such job)."""
    reset_database(env)
    with app_context(env):
        from app.cli import create_user, get_or_create_workspace
        from app.extensions import db
        from app.models import InstagramAccount, utcnow
        from app.standin.profiles import business_account
        from app.token_crypto import token_cipher

        workspace, _ = get_or_create_workspace(WORKSPACE)
        shop = business_account(ACCOUNT)
        db.session.add(InstagramAccount(
            workspace_id=workspace.id, ig_user_id=shop.ig_user_id, username=shop.username, status="active",
            webhook_subscribed=True, token_encrypted=token_cipher().encrypt(standin.issue_token(ACCOUNT)),
            token_expires_at=utcnow() + timedelta(days=59)))
        emails = [f"rep{n}@burst.test" for n in range(reps)]
        for email in emails:
            create_user(email, BENCH_PASSWORD, WORKSPACE)
        if automation:
            from app.models import AutomationRule

            db.session.add(AutomationRule(workspace_id=workspace.id, kind="keyword", match_type="contains",
                                          pattern="no customer writes this", reply_text="-", enabled=True))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()  # the load processes are forked from this one: no shared sockets
    return shop.ig_user_id, emails


# -------------------------------------------------------------------------------- deliveries


@dataclass(frozen=True)
class Burst:
    port: int
    secret: str
    account_id: str
    deliveries: int
    seconds: float
    customers: int
    begin: float          # time.monotonic() of delivery 0's due time (CLOCK_MONOTONIC: the same in every process)
    run: str = "burst"
    customer_base: int = CUSTOMER_BASE

    @property
    def rate(self) -> float:
        return self.deliveries / self.seconds

    def due(self, i: int) -> float:
        return self.begin + i / self.rate

    def customer(self, i: int) -> int:
        # A stride coprime with any customer count below it that is not its multiple: each customer
        # writes every `customers` deliveries, so all of them write about equally often.
        return self.customer_base + (i * 7919) % self.customers

    def delivery(self, i: int) -> tuple[bytes, dict]:
        return signed_delivery(self.secret, self.account_id, self.customer(i), f"{self.run}-{i}",
                               f"BX{i}X Is the blue one still available in M? Saw it in your story")


def _exchange(conn: http.client.HTTPConnection, method: str, path: str, body, headers: dict):
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response, response.read()


def send_with_retry(conn: http.client.HTTPConnection, port: int, method: str, path: str, body, headers: dict):
    """One request as a browser or Meta's sender makes it: a keep-alive connection the server
    closed while idle (gunicorn keeps one 2 s, the poll's very interval) fails before any answer,
    and the client sends again once on a new connection. Returns (response or None, body, conn)."""
    reused = conn.sock is not None
    try:
        response, data = _exchange(conn, method, path, body, headers)
        return response, data, conn
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        if not reused:
            return None, b"", conn
    except (OSError, http.client.HTTPException):
        conn.close()
        return None, b"", http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        response, data = _exchange(conn, method, path, body, headers)
        return response, data, conn
    except (OSError, http.client.HTTPException):
        conn.close()
        return None, b"", http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def post_once(conn: http.client.HTTPConnection, port: int, body: bytes, headers: dict):
    """A delivery: (status, 0 when no answer came; the connection to use next)."""
    response, _, conn = send_with_retry(conn, port, "POST", "/webhooks/instagram", body, headers)
    return (response.status if response is not None else 0), conn


def _sender(burst: Burst, first: int, step: int, threads: int, queue: mp.Queue) -> None:
    """One load process: `threads` keep-alive connections; thread t sends deliveries first + t*step/threads..."""
    results: list[tuple[int, int, float]] = []  # (i, status, ms from due to answered)
    lock = threading.Lock()

    def run(start: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", burst.port, timeout=30)
        mine = []
        for i in range(start, burst.deliveries, step):
            body, headers = burst.delivery(i)
            due = burst.due(i)
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            status, conn = post_once(conn, burst.port, body, headers)
            mine.append((i, status, (time.monotonic() - due) * 1000))
        conn.close()
        with lock:
            results.extend(mine)

    pool = [threading.Thread(target=run, args=(first + t * (step // threads),)) for t in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put(results)


def send_burst(burst: Burst, processes: int = 2, connections: int = 64) -> list[tuple[int, int, float]]:
    """Every delivery of `burst`, open loop, from `processes` processes over `connections` connections
    in all (enough that a slow answer delays no other delivery's send); returns (i, status, ms) each."""
    ctx = mp.get_context("fork")
    queue: mp.Queue = ctx.Queue()
    threads = max(1, connections // processes)
    step = processes * threads
    procs = [ctx.Process(target=_sender, args=(burst, w, step, threads, queue)) for w in range(processes)]
    # Process w, thread t sends i = w + t*processes, then every `step`: the due times interleave.
    for p in procs:
        p.start()
    results = [r for _ in procs for r in queue.get()]
    for p in procs:
        p.join()
    return sorted(results)


# -------------------------------------------------------------------------------------- reps


@dataclass
class RepLog:
    polls: list[tuple[float, float, int]] = field(default_factory=list)   # (started, ms, status)
    pages: list[tuple[float, float, int, str]] = field(default_factory=list)  # (started, ms, status, kind)
    actions: list[tuple[float, float, int, str]] = field(default_factory=list)
    seen: dict[int, float] = field(default_factory=dict)  # marker -> when a poll first put it on this rep's screen
    shown: set[int] = field(default_factory=set)  # markers on this rep's screen by any response
    errors: list[str] = field(default_factory=list)


class Rep:
    """One person's browser tab, sequentially: the 2 s poll, opening the newest conversation now
    and then (its lead panel loads, "mark read" posts), a reply now and then."""

    def __init__(self, port: int, email: str, number: int, log: RepLog):
        self.port, self.email, self.number, self.log = port, email, number, log
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""
        self.csrf = ""
        self.since = ""
        self.thread_token: str | None = None
        self.open_id: int | None = None
        self.opened: set[int] = set()
        self.newest: list[int] = []  # conversation ids, newest first, from the last response with rows
        self.opens = 0
        self.viewed_at = 0.0

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None) -> tuple[int, str, float]:
        all_headers = {"Cookie": self.cookie, **(headers or {})}
        started = time.monotonic()
        response, data, self.conn = send_with_retry(self.conn, self.port, method, path, body, all_headers)
        elapsed = (time.monotonic() - started) * 1000
        if response is None:
            self.log.errors.append(f"{method} {path.split('?')[0]}: no answer")
            return 0, "", elapsed
        text, status = data.decode(), response.status
        if not path.startswith("/inbox/changes"):
            # A page or an opened thread shows what it shows; a poll re-sending the same message
            # (an open thread's last 15 s) later is not when it reached the screen.
            self.log.shown.update(int(marker) for marker in MARKER.findall(text))
        cookie = response.getheader("Set-Cookie")
        if cookie and cookie.split("=", 1)[0] == self.cookie.split("=", 1)[0]:
            self.cookie = cookie.split(";")[0]  # the session cookie renewed
        return status, text, elapsed

    def _rows(self, text: str) -> None:
        """The list's conversations in a page or a poll, newest first (what a rep clicks next)."""
        rows = [int(i) for i in re.findall(r'<li id="conv-(\d+)" class="convlist__item"', text)]
        if rows:
            self.newest = rows

    def sign_in(self) -> None:
        self.cookie = login_cookie(self.port, self.email, BENCH_PASSWORD)
        self.load_page(record=False)

    def load_page(self, record: bool = True) -> None:
        status, html, ms = self.request("GET", "/")
        if record:
            self.log.pages.append((time.monotonic() - ms / 1000, ms, status, "inbox page"))
        if status != 200:
            self.log.errors.append(f"GET /: {status}")
            return
        self.csrf = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
        self.since = re.search(r'id="live-since"[^>]*value="([^"]*)"', html).group(1)
        self.thread_token, self.open_id = None, None
        self._rows(html)

    def poll(self) -> None:
        params = {"since": self.since}
        if self.open_id is not None:
            params.update(thread=self.thread_token or "", open=self.open_id)
        started = time.monotonic()
        status, text, ms = self.request("GET", "/inbox/changes?" + urlencode(params), headers={"HX-Request": "true"})
        self.log.polls.append((started, ms, status))
        if status == 200:
            # On screen: the poll's rows and thread items (a message first met in a thread opened
            # later says how old the conversation is, not how fast the inbox is).
            arrived = time.monotonic()
            for marker in map(int, MARKER.findall(text)):
                if marker not in self.log.shown:
                    self.log.shown.add(marker)
                    self.log.seen[marker] = arrived
            since = re.search(r'id="live-since"[^>]*value="([^"]*)"', text)
            if since:
                self.since = since.group(1)
            state = re.search(r'data-conversation="(\d+)" data-state="([^"]*)"', text)
            if state and int(state.group(1)) == self.open_id:
                self.thread_token = state.group(2)
            self._rows(text)
        elif status != 204:
            self.log.errors.append(f"poll: {status}")

    def open_newest(self) -> None:
        """Click the newest conversation not opened yet: the thread fragment, then what the
        browser sends once it is in (the lead panel; "mark read" if it was unread), and every
        REPLY_EVERY-th time a reply."""
        choice = next((c for c in self.newest if c not in self.opened), None)
        if choice is None:
            return
        self.opened.add(choice)
        self.opens += 1
        fragment = {"HX-Request": "true", "HX-Target": "thread"}
        started = time.monotonic()
        status, html, ms = self.request("GET", f"/conversations/{choice}", headers=fragment)
        self.log.pages.append((started, ms, status, "thread"))
        if status != 200:
            self.log.errors.append(f"open {choice}: {status}")
            return
        self.open_id = choice
        token = re.search(r'id="thread-state"[^>]*value="([^"]*)"', html)
        self.thread_token = token.group(1) if token else None
        started = time.monotonic()
        status, _, ms = self.request("GET", f"/conversations/{choice}/lead", headers={"HX-Request": "true"})
        self.log.pages.append((started, ms, status, "lead panel"))
        post = {"HX-Request": "true", "X-CSRFToken": self.csrf, "Content-Type": "application/x-www-form-urlencoded"}
        if 'hx-trigger="load, mark-read"' in html:
            started = time.monotonic()
            status, _, ms = self.request("POST", f"/conversations/{choice}/read", body="", headers=post)
            self.log.actions.append((started, ms, status, "mark read"))
            if status != 200:
                self.log.errors.append(f"read {choice}: {status}")
        self.viewing()
        if self.opens % REPLY_EVERY == 0:
            body = urlencode({"mode": "reply", "text": f"Hi! Yes, M is in stock (rep {self.number})"})
            started = time.monotonic()
            status, _, ms = self.request("POST", f"/conversations/{choice}/messages", body=body, headers=post)
            self.log.actions.append((started, ms, status, "reply"))
            if status != 201:
                self.log.errors.append(f"reply {choice}: {status}")


    def viewing(self) -> None:
        """The open thread's heartbeat (static/js/viewers.js: at once when a thread opens, then
        every VIEWING_EVERY), which answers who else has it open."""
        if self.open_id is None:
            return
        post = {"HX-Request": "true", "X-CSRFToken": self.csrf, "Content-Type": "application/x-www-form-urlencoded"}
        started = time.monotonic()
        status, _, ms = self.request("POST", f"/conversations/{self.open_id}/viewing", body="", headers=post)
        self.viewed_at = started
        self.log.actions.append((started, ms, status, "viewing"))
        if status != 200:
            self.log.errors.append(f"viewing {self.open_id}: {status}")


def _rep_thread(rep: Rep, start: float, reload_at: float, stop: mp.Event, stop_grace: list) -> None:
    """Polls on a fixed 2 s grid from `start` (a tick missed while busy is dropped, as htmx's
    hx-sync="this:drop" does), opens a conversation in between, reloads the page once."""
    tick = 0
    next_open = start + OPEN_EVERY / 2 + rep.number * 0.37
    reloaded = False
    while True:
        due = start + tick * POLL_EVERY
        now = time.monotonic()
        if now < due:
            time.sleep(due - now)
        if stop.is_set() and stop_grace and time.monotonic() > stop_grace[0]:
            return
        if stop.is_set() and not stop_grace:
            stop_grace.append(time.monotonic() + TAIL)
        rep.poll()
        if time.monotonic() >= next_open:
            rep.open_newest()
            next_open += OPEN_EVERY
        elif time.monotonic() - rep.viewed_at >= VIEWING_EVERY:
            rep.viewing()
        if not reloaded and time.monotonic() >= reload_at:
            rep.load_page()
            reloaded = True
        tick = max(tick + 1, int((time.monotonic() - start) / POLL_EVERY) + 1)


def _reps_process(port: int, emails: list[str], seconds: float, ready: mp.Event, times: mp.Queue, stop: mp.Event,
                  queue: mp.Queue) -> None:
    """Every rep signs in, then the clock is set: `times` brings (quiet_start, begin)."""
    logs = [RepLog() for _ in emails]
    reps = [Rep(port, email, n, logs[n]) for n, email in enumerate(emails)]
    for rep in reps:
        rep.sign_in()
    ready.set()
    quiet_start, begin = times.get()
    grace: list[list] = [[] for _ in reps]
    pool = [threading.Thread(target=_rep_thread, args=(rep, quiet_start + n * POLL_EVERY / len(reps),
                                                       begin + seconds / 3 + n * 1.3, stop, grace[n]))
            for n, rep in enumerate(reps)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put([(log.polls, log.pages, log.actions, log.seen, log.errors) for log in logs])


# ------------------------------------------------------------------------------------ worker


def queued_jobs(env: dict) -> int:
    """Jobs waiting or running in the app's queues."""
    import redis
    from rq import Queue
    from rq.registry import StartedJobRegistry

    from app.jobs import QUEUES

    conn = redis.Redis.from_url(env["REDIS_URL"])
    return sum(Queue(name, connection=conn).count + StartedJobRegistry(name, connection=conn).count for name in QUEUES)


def job_figures(env: dict) -> tuple[int, int, float, float]:
    """(finished, failed, first start, last end as epoch seconds) from RQ's registries."""
    import redis
    from rq.job import Job
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    from app.jobs import QUEUES

    conn = redis.Redis.from_url(env["REDIS_URL"])
    ids = [job_id for name in QUEUES for job_id in FinishedJobRegistry(name, connection=conn).get_job_ids()]
    failed = sum(FailedJobRegistry(name, connection=conn).count for name in QUEUES)
    jobs = [job for job in Job.fetch_many(ids, connection=conn) if job is not None and job.ended_at]
    if not jobs:
        return 0, failed, 0.0, 0.0
    return (len(jobs), failed, min(j.started_at for j in jobs).timestamp(), max(j.ended_at for j in jobs).timestamp())


def wait_for_drain(env: dict, limit: float) -> float | None:
    """Seconds until the queues are empty (None if they were not within `limit`)."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if queued_jobs(env) == 0:
            return time.monotonic() - started
        time.sleep(0.5)
    return None


# -------------------------------------------------------------------------------------- main


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Campaign burst on the Procfile's processes.")
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--quiet", type=float, default=12.0, help="seconds of the reps' reference before the burst")
    parser.add_argument("--web-concurrency", type=int, default=2, help="the Procfile's WEB_CONCURRENCY")
    parser.add_argument("--drain-limit", type=float, default=600.0,
                        help="seconds the worker gets to empty its queues after the burst")
    args = parser.parse_args(argv)
    if args.customers % 7919 == 0 or args.customers < 1 or args.deliveries < 1 or args.seconds <= 0 or args.reps < 1:
        parser.error("--deliveries, --seconds, --customers and --reps must be positive (customers not a multiple of 7919)")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    env = bench_env()
    LOGS.mkdir(exist_ok=True)
    with Standin(env) as standin:
        env.update(INSTAGRAM_GRAPH_URL=standin.graph_url, INSTAGRAM_API_URL=standin.api_url)
        account_id, emails = setup(env, standin, args.reps)
        import redis

        redis.Redis.from_url(env["REDIS_URL"]).flushdb()  # the bench's own Redis db: no jobs of an earlier run
        port = free_port()
        with ProcfileProcess("web", env, LOGS / "burst-web.log", PORT=port, WEB_CONCURRENCY=args.web_concurrency), \
                ProcfileProcess("worker", env, LOGS / "burst-worker.log"):
            # Each gunicorn worker's first requests build what every later one reuses: a few
            # deliveries and pages before the clock starts.
            warm = Burst(port, env["INSTAGRAM_APP_SECRET"], account_id, 40, 2.0, 40, time.monotonic(), run="warm",
                         customer_base=CUSTOMER_BASE - 1000)
            send_burst(warm, processes=1, connections=4)
            ctx = mp.get_context("fork")
            stop, queue, ready, times = ctx.Event(), ctx.Queue(), ctx.Event(), ctx.Queue()
            reps = ctx.Process(target=_reps_process, args=(port, emails, args.seconds, ready, times, stop, queue))
            reps.start()
            if not ready.wait(300):
                raise RuntimeError("the reps could not sign in within 5 minutes")
            quiet_start = time.monotonic() + 0.5
            begin = quiet_start + args.quiet
            times.put((quiet_start, begin))
            burst = Burst(port, env["INSTAGRAM_APP_SECRET"], account_id, args.deliveries, args.seconds,
                          args.customers, begin)
            time.sleep(max(0.0, begin - time.monotonic() - 0.5))
            load1 = os.getloadavg()[0]
            results = send_burst(burst)
            burst_end = time.monotonic()
            stop.set()
            rep_logs = queue.get()
            reps.join()
            backlog = queued_jobs(env)
            drained = wait_for_drain(env, args.drain_limit)
            finished, failed, first_job, last_job = job_figures(env)
        replies_queued = sum(1 for log in rep_logs for a in log[2] if a[3] == "reply" and a[2] == 201)
        counts = psql(env, "SELECT count(*), count(DISTINCT mid) FROM messages WHERE mid LIKE 'burst-%' AND direction = 'in'")
        stored, distinct = (int(x) for x in counts.split("|"))
        conversations = int(psql(env, "SELECT count(DISTINCT conversation_id) FROM messages WHERE mid LIKE 'burst-%'"))
        profiles = int(psql(env, "SELECT count(*) FROM contacts WHERE profile_fetched_at IS NOT NULL "
                                 f"AND igsid::numeric >= {CUSTOMER_BASE}"))
        sent = int(psql(env, "SELECT count(*) FROM messages WHERE direction = 'out' AND status = 'sent'"))
        not_sent = psql(env, "SELECT status, count(*) FROM messages WHERE direction = 'out' AND status <> 'sent' GROUP BY status")
    return report(args, burst, results, burst_end, rep_logs, load1, dict(
        backlog=backlog, drained=drained, finished=finished, failed=failed, job_span=last_job - first_job,
        stored=stored, distinct=distinct, conversations=conversations, profiles=profiles,
        replies_queued=replies_queued, sent=sent, not_sent=not_sent))


def report(args, burst: Burst, results, burst_end: float, rep_logs, load1: float, after: dict) -> int:
    ok = True
    statuses: dict[int, int] = {}
    for _, status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    latencies = [ms for _, _, ms in results]
    answered = statuses.get(200, 0)
    span = burst_end - burst.begin
    print(machine_line(), f"(load average {load1:.1f} as the burst started)")
    print(f"burst: {args.deliveries} deliveries due in {args.seconds:g} s ({burst.rate:.1f}/s) from {args.customers} "
          f"customers, {args.reps} reps; the Procfile's web (WEB_CONCURRENCY={args.web_concurrency}, 4 threads) and worker")
    p99 = pct(latencies, 99)
    print(f"burst deliveries: {answered} of {len(results)} answered 200 (statuses {statuses}); all answered "
          f"{span:.1f} s after the first was due; p50 {pct(latencies, 50):.0f} ms, p95 {pct(latencies, 95):.0f} ms, "
          f"p99 {p99:.0f} ms, max {max(latencies):.0f} ms (target: all 200, p99 <= {DELIVERY_P99_MS:.0f} ms)")
    ok &= answered == args.deliveries and p99 <= DELIVERY_P99_MS
    once = after["stored"] == after["distinct"] == args.deliveries
    print(f"burst messages: {after['stored']} stored with the burst's mids, {after['distinct']} distinct, of "
          f"{args.deliveries} delivered, in {after['conversations']} conversations (target: every one, once)")
    ok &= once

    def during(entries, quiet: bool) -> list[float]:
        if quiet:
            return [e[1] for e in entries if e[0] < burst.begin and e[2] in (200, 204)]
        return [e[1] for e in entries if burst.begin <= e[0] <= burst_end and e[2] in (200, 201, 204)]

    polls = [p for log in rep_logs for p in log[0]]
    pages = [p for log in rep_logs for p in log[1]]
    actions = [a for log in rep_logs for a in log[2]]
    poll_quiet, poll_burst = during(polls, True), during(polls, False)
    page_quiet, page_burst = during(pages, True), during(pages, False)
    action_burst = during(actions, False)
    poll_p95, page_p95 = pct(poll_burst, 95), pct(page_burst, 95)
    kinds = sorted({p[3] for p in pages})
    by_kind = ", ".join(f"{k} {pct([p[1] for p in pages if p[3] == k and burst.begin <= p[0] <= burst_end], 95):.0f}"
                        for k in kinds)
    print(f"burst reps: poll p95 {poll_p95:.0f} ms (n={len(poll_burst)}, {sum(1 for p in polls if p[2] == 200)} with "
          f"changes), page p95 {page_p95:.0f} ms (n={len(page_burst)}: {by_kind}); actions (mark read, reply) p95 "
          f"{pct(action_burst, 95):.0f} ms (n={len(action_burst)}, information) (target: poll and page p95 <= "
          f"{REP_P95_MS:.0f} ms)")
    print(f"burst reps before the burst (reference): poll p95 {pct(poll_quiet, 95):.0f} ms (n={len(poll_quiet)}), "
          f"page p95 {pct(page_quiet, 95):.0f} ms (n={len(page_quiet)})")
    print(ratio_line("burst reps' poll p95, during / before the burst", poll_p95, pct(poll_quiet, 95), "information"))
    if page_quiet:
        print(ratio_line("burst reps' page p95, during / before the burst", page_p95, pct(page_quiet, 95), "information"))
    ok &= poll_p95 <= REP_P95_MS and page_p95 <= REP_P95_MS
    errors = [e for log in rep_logs for e in log[4]]
    ok &= not errors

    on_screen = [(seen - burst.due(i)) * 1000 for log in rep_logs for i, seen in log[3].items() if i < args.deliveries]
    seen_any = {i for log in rep_logs for i in log[3] if i < args.deliveries}
    per_rep = [sum(1 for i in log[3] if i < args.deliveries) for log in rep_logs]
    screen_p95 = pct(on_screen, 95)
    print(f"burst on screen: p50 {pct(on_screen, 50):.0f} ms, p95 {screen_p95:.0f} ms, max {max(on_screen, default=0):.0f} ms "
          f"from Meta's POST to a rep's response carrying the message (n={len(on_screen)} sightings; "
          f"{len(seen_any)} of {args.deliveries} messages on some rep's screen, {min(per_rep)}-{max(per_rep)} per rep: "
          f"the poll re-sends the 50 newest rows) (target p95 <= {ON_SCREEN_P95_MS:.0f} ms)")
    ok &= bool(on_screen) and screen_p95 <= ON_SCREEN_P95_MS

    drained = after["drained"]
    rate = after["finished"] / after["job_span"] if after["job_span"] else 0.0
    print(f"burst worker: {after['finished']} jobs done, {after['failed']} failed, at {rate:.0f} jobs/s (first start to "
          f"last end); {after['backlog']} still queued when the last delivery was answered, "
          + (f"drained {drained:.0f} s later" if drained is not None else f"NOT drained after {args.drain_limit:.0f} s")
          + f"; profiles filled {after['profiles']} of {after['conversations']} customers; replies sent {after['sent']} "
          f"of {after['replies_queued']} queued{(' (not sent: ' + after['not_sent'] + ')') if after['not_sent'] else ''}")
    ok &= (drained is not None and after["failed"] == 0 and after["profiles"] >= after["conversations"]
           and after["sent"] == after["replies_queued"])
    for error in errors[:10]:
        print("PROBLEM rep:", error)
    if len(errors) > 10:
        print(f"PROBLEM rep: ... and {len(errors) - 10} more")
    print("burst:", "met every target" if ok else "MISSED a target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
