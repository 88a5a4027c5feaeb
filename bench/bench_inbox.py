"""Inbox list at 1k vs 100k conversations (1M messages): the page and its htmx fragment.

Target: 100k within 1.3x of 1k (ratio of throughputs >= 0.77): the list is an index range scan
on (workspace_id, last_message_at, id), so its cost must not grow with the data.
Run: python bench/bench_inbox.py  (PostgreSQL + Redis; DATABASE_URL/REDIS_URL override the defaults)
"""
from __future__ import annotations

import sys

from harness import (BENCH_PASSWORD, Server, alternating, bench_env, load, login_cookie, machine_line, ratio_line,
                     reset_database, seeded_user)

REQUESTS = 1500
ROUNDS = 5
TARGET = 1 / 1.3


def main() -> int:
    env = bench_env()
    reset_database(env)
    users = {"Small": seeded_user(env, "Small", 1_000, 10_000, accounts=3),
             "Large": seeded_user(env, "Large", 100_000, 1_000_000, accounts=3)}
    with Server(env) as server:
        runs = {}
        for name, email in users.items():
            cookie = login_cookie(server.port, email, BENCH_PASSWORD)
            for variant, headers in (("page", {}), ("fragment", {"HX-Request": "true"})):
                hdrs = {"Cookie": cookie, **headers}
                load("warmup", server.port, lambda w, i, h=hdrs: ("GET", "/", None, h), 100, connections=8)
                runs[(name, variant)] = (lambda h=hdrs, label=f"inbox {variant} {name}": load(
                    label, server.port, lambda w, i: ("GET", "/", None, h), REQUESTS, connections=8))
        results = alternating(ROUNDS, runs)
    print(machine_line())
    ok = True
    for variant in ("page", "fragment"):
        ratio = results.ratio(("Large", variant), ("Small", variant))
        print(ratio_line(f"inbox {variant} 100k/1k throughput", ratio, target=f">= {TARGET:.2f}"))
        ok &= ratio >= TARGET and results[("Large", variant)].errors == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
