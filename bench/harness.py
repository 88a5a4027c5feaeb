"""Shared benchmark machinery: a gunicorn server as the Procfile runs it, and a load generator in
separate processes (so the client does not share the server's interpreter).

Figures are throughput and latency percentiles; every script compares against a reference run in
the same session on the same server, because these machines are shared and noisy: only ratios
are meaningful."""
from __future__ import annotations

import contextlib
import http.client
import multiprocessing as mp
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))  # the app package, for scripts that set up data in-process
DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/igdm_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_env(**extra: str) -> dict:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", DEFAULT_DB)
    env.setdefault("REDIS_URL", DEFAULT_REDIS)
    env.setdefault("SECRET_KEY", "bench-secret-key-" + "x" * 32)
    env.setdefault("INSTAGRAM_APP_ID", "bench-app")
    env.setdefault("INSTAGRAM_APP_SECRET", "bench-app-secret")
    env.setdefault("INSTAGRAM_VERIFY_TOKEN", "bench-verify-token-0123456789abcdef")
    env.setdefault("TOKEN_ENCRYPTION_KEYS", "Fz8m0Zb3F1m2Ew9bJ3QeZ1b6V6o3o3G3YV7nF0b0b0A=")
    env["APP_ENV"] = "development"
    env.update(extra)
    return env


def flask_cli(*args: str, env: dict | None = None) -> str:
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env or bench_env(),
                            capture_output=True, text=True, check=True)
    return result.stdout


class Server:
    """gunicorn with the Procfile's settings (workers x threads), serving `bench.wsgi:app`, which
    is the real app plus the reference endpoints the ratios are measured against."""

    def __init__(self, env: dict | None = None, workers: int = 2, threads: int = 4, app: str = "bench.wsgi:app"):
        self.env, self.workers, self.threads, self.app = env or bench_env(), workers, threads, app
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Server":
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", self.app, "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--threads", str(self.threads), "--log-level", "warning"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc) -> None:
        stop(self.proc)

    def worker_pids(self) -> list[int]:
        return children(self.proc.pid)

    def rss_kb(self) -> int:
        """Resident memory of the master and its workers."""
        return rss_kb(self.proc.pid, *self.worker_pids())


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def rss_kb(*pids: int) -> int:
    """Sum of VmRSS over `pids` (processes that have gone count as 0)."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def fit_slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys over xs."""
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / var if var else 0.0


def wait_for_port(port: int, proc: subprocess.Popen, what: str, path: str = "/", seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not start")


def stop(proc: subprocess.Popen | None) -> None:
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Standin:
    """The Meta stand-in as its own process (`python -m app.standin`), no injected latency and no
    echo webhooks (a worker benchmark measures the worker, not the ingestion of echoes)."""

    def __init__(self, env: dict | None = None, signing_key: str = "bench-standin-signing-key"):
        self.env = env or bench_env()
        self.signing_key = signing_key
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def graph_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graph"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def __enter__(self) -> "Standin":
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.standin", "--port", str(self.port), "--echo", "off",
             "--app-secret", self.env["INSTAGRAM_APP_SECRET"], "--signing-key", self.signing_key],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.proc, "the stand-in")
        return self

    def __exit__(self, *exc) -> None:
        stop(self.proc)

    def issue_token(self, username: str = "bench.shop") -> str:
        """A long-lived token the stand-in accepts (signed with the same key, minted locally)."""
        from app.standin.profiles import business_account
        from app.standin.signing import Signer

        account = business_account(username)
        return Signer(self.signing_key).mint_token(
            ig_user_id=account.ig_user_id, app_user_id=account.app_user_id, username=account.username,
            kind="long", scopes=["instagram_business_basic", "instagram_business_manage_messages"],
            client_id=self.env["INSTAGRAM_APP_ID"], issued_at=time.time(), lifetime=None)


@contextlib.contextmanager
def app_context(env: dict):
    """The real app, configured from `env`, for setting up data and enqueueing jobs in-process."""
    import logging

    os.environ.update(env)
    from app import create_app

    app = create_app()
    logging.getLogger("app").setLevel(logging.WARNING)  # a line per enqueued reply would drown the figures
    with app.app_context():
        yield app


def flush_redis(env: dict) -> None:
    """Empty the benchmark's own Redis database (never the app's or the tests')."""
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()


def worker_burst(env: dict, *flags: str) -> float:
    """`python worker.py --burst [flags]` as the Procfile runs the worker; returns its wall time."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "worker.py", "--burst", *flags], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - started


@dataclass
class LoadResult:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    statuses: dict
    connection_workers: list[frozenset] = field(default_factory=list)  # per connection: the worker pids that answered

    @property
    def shared_worker(self) -> bool | None:
        """Whether two connections were served by one gunicorn worker (whose GIL they then share,
        so a request waits for the other's Python): None when the server does not say
        (bench/wsgi.py's X-Bench-Worker), there was one connection, or a connection was answered by
        more than one worker (it was opened again after an error or a close: no one placement)."""
        if len(self.connection_workers) < 2 or any(len(workers) != 1 for workers in self.connection_workers):
            return None
        seen = [pid for workers in self.connection_workers for pid in workers]
        return len(seen) != len(set(seen))

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def line(self) -> str:
        return (f"{self.name:<34} {self.throughput:8.1f} req/s  p50 {self.pct(50):6.1f} ms  p99 {self.pct(99):6.1f} ms"
                f"  n={self.requests} errors={self.errors} statuses={self.statuses}")


# A request is (method, path, body bytes | None, headers dict); a factory builds the i-th one.
RequestFactory = Callable[[int, int], tuple]


def _worker(port: int, factory: RequestFactory, worker_id: int, count: int, threads: int, queue: mp.Queue,
            interval: float | None = None) -> None:
    import threading

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    workers: list[frozenset] = []
    lock = threading.Lock()
    begin = time.perf_counter()

    def run(thread_id: int) -> None:
        nonlocal errors
        answered_by: set[str] = set()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for k, i in enumerate(range(thread_id, count, threads)):
            method, path, body, headers = factory(worker_id, i)
            started = time.perf_counter()
            if interval is not None:
                # Open loop: this request is due at a fixed time whether or not the server kept
                # up, and its latency counts from then (no "coordinated omission").
                due = begin + (k + thread_id / threads) * interval * threads
                if due > started:
                    time.sleep(due - started)
                started = due
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.getheader("X-Bench-Worker"):
                    answered_by.add(response.getheader("X-Bench-Worker"))
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
                if status == 0 or status >= 500:
                    errors += 1
        conn.close()
        with lock:
            workers.append(frozenset(answered_by))

    pool = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put((latencies, statuses, errors, workers))


def load(name: str, port: int, factory: RequestFactory, total: int, connections: int = 32,
         processes: int = 2, rate: float | None = None) -> LoadResult:
    """Send `total` requests over `connections` keep-alive connections from `processes` processes:
    each as soon as the previous one on its connection is answered (closed loop, the server's
    saturation), or, with `rate`, at that many requests per second in all (open loop, as a
    sender like Meta does, whatever the answers' pace)."""
    ctx = mp.get_context("fork")
    queue: mp.Queue = ctx.Queue()
    per_proc = total // processes
    threads = max(1, connections // processes)
    interval = processes / rate if rate else None  # seconds between one process's requests
    procs = [ctx.Process(target=_worker, args=(port, factory, w, per_proc, threads, queue, interval))
             for w in range(processes)]
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    seconds = time.perf_counter() - started
    latencies = [x for r in results for x in r[0]]
    statuses: dict = {}
    for r in results:
        for k, v in r[1].items():
            statuses[k] = statuses.get(k, 0) + v
    return LoadResult(name, len(latencies), sum(r[2] for r in results), seconds, latencies, statuses,
                      [w for r in results for w in r[3]])


class Comparison:
    """The rounds of an interleaved run. Ratios are the median of per-round ratios: each round's
    two sides ran back to back, so pairing them cancels most of the machine's drift."""

    def __init__(self, rounds: dict[str, list[LoadResult]]):
        self.rounds = rounds

    def __getitem__(self, name) -> LoadResult:
        ordered = sorted(self.rounds[name], key=lambda r: r.throughput)
        return ordered[len(ordered) // 2]

    def ratio(self, measured, reference) -> float:
        pairs = zip(self.rounds[measured], self.rounds[reference])
        return statistics.median(m.throughput / r.throughput if r.throughput else 0.0 for m, r in pairs)


def alternating(rounds: int, runs: dict[str, Callable[[], LoadResult]]) -> Comparison:
    """Run each named load `rounds` times, interleaved, reversing the order every other round
    (A B, B A, A B ...) so neither side always runs first, and print each one's median round:
    interleaving spreads the machine's background noise over both sides."""
    collected: dict[str, list[LoadResult]] = {name: [] for name in runs}
    order = list(runs)
    for n in range(rounds):
        for name in (order if n % 2 == 0 else order[::-1]):
            collected[name].append(runs[name]())
    comparison = Comparison(collected)
    for name, results in collected.items():
        print(comparison[name].line(), f"(median of {rounds}: {', '.join(f'{r.throughput:.0f}' for r in results)})")
    return comparison


def ratio_line(label: str, measured: float, reference: float | None = None, target: str = "") -> str:
    """`measured` is either a ratio already (reference None) or a figure to divide by `reference`."""
    if reference is not None:
        measured = measured / reference if reference else float("nan")
    return f"RATIO {label}: {measured:.2f} (target {target})"


def machine_line() -> str:
    load1, load5, _ = os.getloadavg()
    return (f"machine: {os.cpu_count()} cores, load average {load1:.1f}/{load5:.1f} (shared), python "
            f"{sys.version.split()[0]}, PostgreSQL + Redis on loopback, load from separate processes")


def median(values):
    return statistics.median(values)


def psql(env: dict, sql: str) -> str:
    url = env["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    return subprocess.run(["psql", url, "-tAc", sql], capture_output=True, text=True, check=True).stdout.strip()


def seeded_user(env: dict, workspace: str, conversations: int, messages: int, accounts: int = 1) -> str:
    """Seed a workspace with `flask seed` and create its first user; returns the user's email
    (password BENCH_PASSWORD)."""
    print(flask_cli("seed", "--conversations", str(conversations), "--messages", str(messages),
                    "--accounts", str(accounts), "--workspace", workspace, env=env).strip())
    email = f"{workspace.lower()}@bench.test"
    flask_cli("users", "create", email, "--password", BENCH_PASSWORD, "--workspace", workspace, env=env)
    return email


BENCH_PASSWORD = "bench-password"


def signed_delivery(secret: str, account_id: str, customer: int, mid: str, text: str) -> tuple[bytes, dict]:
    """A one-message webhook delivery as Meta sends it, and its headers (X-Hub-Signature-256)."""
    import hashlib
    import hmac
    import json

    now_ms = int(time.time() * 1000)
    body = json.dumps({"object": "instagram", "entry": [{"id": account_id, "time": now_ms, "messaging": [{
        "sender": {"id": str(customer)}, "recipient": {"id": account_id}, "timestamp": now_ms,
        "message": {"mid": mid, "text": text}}]}]}, separators=(",", ":")).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Hub-Signature-256": signature}


def bench_account(env: dict, workspace: str, ig_user_id: str) -> None:
    """A connected-looking account (no token: nothing calls Meta) that webhooks can address."""
    psql(env, "INSERT INTO workspaces (name, human_agent_enabled, mark_seen_enabled, created_at) "
              f"SELECT '{workspace}', false, true, now() WHERE NOT EXISTS (SELECT 1 FROM workspaces WHERE name = '{workspace}')")
    psql(env, "INSERT INTO instagram_accounts (workspace_id, ig_user_id, username, status, webhook_subscribed, is_demo, "
              f"created_at, updated_at) SELECT id, '{ig_user_id}', 'bench_shop_{ig_user_id[-4:]}', 'active', true, false, "
              f"now(), now() FROM workspaces WHERE name = '{workspace}'")


def login_cookie(port: int, email: str, password: str) -> str:
    """Sign in like a browser (CSRF token from the form) and return the Cookie header value."""
    import re

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/login")
    response = conn.getresponse()
    html = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    from urllib.parse import urlencode

    conn.request("POST", "/login", body=urlencode({"email": email, "password": password, "csrf_token": token}),
                 headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    response = conn.getresponse()
    response.read()
    if response.status != 302:
        raise RuntimeError(f"login failed: {response.status}")
    return response.getheader("Set-Cookie").split(";")[0]


def reset_database(env: dict) -> None:
    """An empty bench database with the current migrations."""
    url = env["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}", "-c", f"CREATE DATABASE {name}"],
                   check=True, capture_output=True)
    flask_cli("db", "upgrade", env=env)


def procfile_command(name: str) -> str:
    """The command of one Procfile line (`web`, `worker`...), as written there."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        key, sep, command = line.partition(":")
        if sep and key.strip() == name:
            return command.strip()
    raise KeyError(f"no {name!r} line in the Procfile")


class ProcfileProcess:
    """One Procfile line run as the platform runs it: through the shell (so its ${PORT} and
    ${WEB_CONCURRENCY:-2} are expanded from `variables`), with this interpreter's bin directory
    first on PATH (gunicorn, python). Its output goes to `log_path`, never to a pipe nobody reads."""

    def __init__(self, name: str, env: dict, log_path: str | Path, **variables: str):
        self.name, self.log_path = name, Path(log_path)
        self.env = {**env, **{k: str(v) for k, v in variables.items()},
                    "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', os.environ.get('PATH', ''))}"}
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "ProcfileProcess":
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(["bash", "-c", "exec " + procfile_command(self.name)], cwd=ROOT, env=self.env,
                                     stdout=log, stderr=subprocess.STDOUT)
        log.close()
        if self.name == "web":
            try:
                # A loaded shared machine can take a minute to boot gunicorn and its workers.
                wait_for_port(int(self.env["PORT"]), self.proc, "the Procfile's web process", "/healthz", seconds=120)
            except BaseException:
                stop(self.proc)  # __exit__ is not called when __enter__ raises
                raise
        return self

    def __exit__(self, *exc) -> None:
        stop(self.proc)

    def pids(self) -> list[int]:
        """The process and its children (gunicorn's workers)."""
        return [self.proc.pid, *children(self.proc.pid)] if self.proc else []


def cpu_seconds(*pids: int) -> float:
    """User + system CPU time of `pids` so far (from /proc; processes that have gone count as 0)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def backend_pids(env: dict) -> list[int]:
    """PostgreSQL's server processes serving this bench's database (the app's pooled connections)."""
    name = env["DATABASE_URL"].rsplit("/", 1)[1]
    out = psql(env, f"SELECT pid FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()")
    return [int(p) for p in out.split()]


def plans_of(call) -> list[str]:
    """EXPLAIN ANALYZE of every SELECT that `call()` sends, as the app sends it (captured from
    the engine, then explained on the same connection); needs an app context (and a request
    context for scoped queries). The caller rolls back."""
    from sqlalchemy import event

    from app.extensions import db

    captured = []

    def record(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    plans = []
    raw = db.session.connection().connection.driver_connection
    for statement, parameters in captured:
        if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        with raw.cursor() as cursor:
            cursor.execute("EXPLAIN ANALYZE " + statement, parameters)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans
