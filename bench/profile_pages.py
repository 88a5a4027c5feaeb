"""Where an inbox page's time goes in process: the list fragment (`/` with HX-Request), a search
(`/?q=…`) and a thread, through the Flask test client against PostgreSQL, timed (best and median of
N) and then profiled (cProfile, the top functions by own time and by cumulative time).

The data is `flask seed` at 1k conversations / 10k messages (the size whose page time equals the
1M one: bench/bench_search.py), with bench_search's needles, so the searches find what they find there.

Run: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/igdm_prof python bench/profile_pages.py [N] [--1m | --keep]
(--1m: 100k conversations / 1M messages instead; --keep: the last run's data as it is.) PROFILE_PAGE=<part of a page's name> profiles only
that page (PROFILE_PAGE=none: no profile); PROFILE_SQL_WIDTH and PROFILE_LINES set how much is printed.
It drops and recreates that database.
"""
from __future__ import annotations

import cProfile
import io
import os
import pstats
import re
import statistics
import sys
import time

from bench_search import needles
from harness import BENCH_PASSWORD, bench_env, psql, reset_database, seeded_user

HX = {"HX-Request": "true"}
PAGES = {
    "list fragment": "/",
    "search: rare phrase": "/?q=zebra+parka",
    "search: customer name": "/?q=jolene+quartz",
    "search: common word": "/?q=shipping",
}


def statement_times(app, client, pages: dict[str, str]) -> None:
    """Each statement one request of each page sends, with its time (best of 20 requests)."""
    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():
        engine = db.engine
    current: list[list] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        context._profile_started = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        current.append([" ".join(statement.split())[:int(os.environ.get("PROFILE_SQL_WIDTH", "110"))],
                        (time.perf_counter() - context._profile_started) * 1000])

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        for name, path in pages.items():
            best: list[list] | None = None
            for _ in range(20):
                current.clear()
                client.get(path, headers=HX)
                if best is None or len(best) != len(current):
                    best = [list(row) for row in current]
                else:
                    for row, new in zip(best, current):
                        row[1] = min(row[1], new[1])
            print(f"\n{name}: {len(best)} statements, {sum(t for _, t in best):.2f} ms (best of 20 each)")
            for sql, ms in best:
                print(f"  {ms:7.2f} ms  {sql}")
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 200
    env = bench_env()
    if "--keep" not in sys.argv:
        reset_database(env)
    if "--keep" in sys.argv:  # the data of the last run, as it is
        email = psql(env, "SELECT email FROM users ORDER BY id LIMIT 1")
    elif "--1m" in sys.argv:  # bench_search's large workspace: 100k conversations, 1M messages
        email = seeded_user(env, "Large", 100_000, 1_000_000, accounts=3)
        needles(env, "Large")
    else:
        email = seeded_user(env, "Small", 1000, 10000, accounts=3)
        needles(env, "Small")

    os.environ.update({k: v for k, v in env.items() if k not in os.environ})
    from app import create_app

    app = create_app()
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    response = client.post("/login", data={"email": email, "password": BENCH_PASSWORD, "csrf_token": token})
    assert response.status_code == 302, (response.status_code, response.get_data(as_text=True)[:3000])
    thread = re.search(r'href="(/conversations/\d+)', client.get("/").get_data(as_text=True)).group(1)
    pages = {**PAGES, "thread fragment": thread}

    def get(path: str) -> None:
        response = client.get(path, headers=HX)
        assert response.status_code == 200, (path, response.status_code)

    for name, path in pages.items():
        for _ in range(20):
            get(path)
        times = []
        for _ in range(n):
            started = time.perf_counter()
            get(path)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        print(f"{name:24} best {times[0]:6.2f} ms  median {statistics.median(times):6.2f} ms  "
              f"p95 {times[int(len(times) * 0.95) - 1]:6.2f} ms")

    statement_times(app, client, pages)
    only = os.environ.get("PROFILE_PAGE")
    for name, path in pages.items():
        if only and only not in name:
            continue
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(n):
            get(path)
        profile.disable()
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            restrict = [os.environ["PROFILE_ONLY"]] if os.environ.get("PROFILE_ONLY") else []  # e.g. "/work/|templates"
            pstats.Stats(profile, stream=out).sort_stats(order).print_stats(*restrict, int(os.environ.get("PROFILE_LINES", "25")))
            print(f"\n===== {name}: by {order} ({n} requests)")
            print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:6000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
