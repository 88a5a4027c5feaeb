"""Inbox list at 1k vs 100k conversations (1M messages): the page and its htmx fragment.

Target: 100k within 1.3x of 1k (ratio of throughputs >= 0.77): the list is an index range scan
on (workspace_id, last_message_at, id), so its cost must not grow with the data.
Run: python bench/bench_inbox.py  (PostgreSQL + Redis; DATABASE_URL/REDIS_URL override the defaults)
"""
from __future__ import annotations

import sys

from harness import Server, alternating, bench_env, flask_cli, load, login_cookie, machine_line, ratio_line, reset_database

REQUESTS = 1500


def main() -> int:
    env = bench_env()
    reset_database(env)
    for name, conversations, messages in (("Small", 1_000, 10_000), ("Large", 100_000, 1_000_000)):
        print(flask_cli("seed", "--conversations", str(conversations), "--messages", str(messages),
                        "--accounts", "3", "--workspace", name, env=env).strip())
        flask_cli("users", "create", f"{name.lower()}@bench.test", "--password", "bench-password", "--workspace", name, env=env)
    with Server(env) as server:
        runs = {}
        for name in ("Small", "Large"):
            cookie = login_cookie(server.port, f"{name.lower()}@bench.test", "bench-password")
            for variant, headers in (("page", {}), ("fragment", {"HX-Request": "true"})):
                hdrs = {"Cookie": cookie, **headers}
                load("warmup", server.port, lambda w, i, h=hdrs: ("GET", "/", None, h), 100, connections=8)
                runs[(name, variant)] = (lambda h=hdrs, label=f"inbox {variant} {name}": load(
                    label, server.port, lambda w, i: ("GET", "/", None, h), REQUESTS, connections=8))
        results = alternating(3, runs)
    print(machine_line())
    ok = True
    for variant in ("page", "fragment"):
        small, large = results[("Small", variant)], results[("Large", variant)]
        line = ratio_line(f"inbox {variant} 100k/1k throughput", large.throughput, small.throughput, ">= 0.77")
        print(line)
        ok &= large.throughput / small.throughput >= 0.77 and large.errors == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
