"""First page of a 10k-message conversation vs a 50-message one.

Target: within 1.3x (throughput ratio >= 0.77): the thread reads the newest page through the
(conversation_id, created_at, id) index whatever the conversation's length.
Run: python bench/bench_thread.py
"""
from __future__ import annotations

import subprocess
import sys

from harness import Server, alternating, bench_env, flask_cli, load, login_cookie, machine_line, ratio_line, reset_database

REQUESTS = 1500


def conversation_id(env: dict, workspace: str) -> int:
    url = env["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    out = subprocess.run(["psql", url, "-tAc", "SELECT c.id FROM conversations c JOIN workspaces w ON w.id = c.workspace_id "
                          f"WHERE w.name = '{workspace}' LIMIT 1"], capture_output=True, text=True, check=True).stdout
    return int(out.strip())


def main() -> int:
    env = bench_env()
    reset_database(env)
    for name, messages in (("Short", 50), ("Long", 10_000)):
        print(flask_cli("seed", "--conversations", "1", "--messages", str(messages), "--workspace", name, env=env).strip())
        flask_cli("users", "create", f"{name.lower()}@bench.test", "--password", "bench-password", "--workspace", name, env=env)
    with Server(env) as server:
        runs = {}
        for name in ("Short", "Long"):
            cookie = login_cookie(server.port, f"{name.lower()}@bench.test", "bench-password")
            path = f"/conversations/{conversation_id(env, name)}"
            hdrs = {"Cookie": cookie, "HX-Request": "true"}
            load("warmup", server.port, lambda w, i, p=path, h=hdrs: ("GET", p, None, h), 100, connections=8)
            runs[name] = (lambda p=path, h=hdrs, n=name: load(
                f"thread first page {n}", server.port, lambda w, i: ("GET", p, None, h), REQUESTS, connections=8))
        results = alternating(3, runs)
    print(machine_line())
    print(ratio_line("thread 10k/50 throughput", results["Long"].throughput, results["Short"].throughput, ">= 0.77"))
    return 0 if results["Long"].throughput / results["Short"].throughput >= 0.77 else 1


if __name__ == "__main__":
    sys.exit(main())
