"""First page of a 10k-message conversation vs a 50-message one.

Target: within 1.3x (throughput ratio >= 0.77): the thread reads the newest page through the
(conversation_id, created_at, id) index whatever the conversation's length.
Run: python bench/bench_thread.py
"""
from __future__ import annotations

import sys

from harness import (BENCH_PASSWORD, Server, alternating, bench_env, load, login_cookie, machine_line, psql,
                     ratio_line, reset_database, seeded_user)

REQUESTS = 1500
ROUNDS = 5
TARGET = 1 / 1.3


def conversation_id(env: dict, workspace: str) -> int:
    return int(psql(env, "SELECT c.id FROM conversations c JOIN workspaces w ON w.id = c.workspace_id "
                         f"WHERE w.name = '{workspace}' LIMIT 1"))


def main() -> int:
    env = bench_env()
    reset_database(env)
    users = {"Short": seeded_user(env, "Short", 1, 50), "Long": seeded_user(env, "Long", 1, 10_000)}
    with Server(env) as server:
        runs = {}
        for name, email in users.items():
            cookie = login_cookie(server.port, email, BENCH_PASSWORD)
            path = f"/conversations/{conversation_id(env, name)}"
            hdrs = {"Cookie": cookie, "HX-Request": "true"}
            load("warmup", server.port, lambda w, i, p=path, h=hdrs: ("GET", p, None, h), 100, connections=8)
            runs[name] = (lambda p=path, h=hdrs, n=name: load(
                f"thread first page {n}", server.port, lambda w, i: ("GET", p, None, h), REQUESTS, connections=8))
        results = alternating(ROUNDS, runs)
    print(machine_line())
    ratio = results.ratio("Long", "Short")
    print(ratio_line("thread 10k/50 throughput", ratio, target=f">= {TARGET:.2f}"))
    return 0 if ratio >= TARGET and results["Long"].errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
