"""Audit log at 1k vs 100k entries: its first page and a deep page (5,000 entries in).

Target: 100k within 1.3x of 1k (ratio of throughputs >= 0.77) for both: the page is a keyset seek
on ix_audit_entries_list (workspace_id, created_at, id), so neither the table's size nor the
page's depth may change its cost.
Run: python bench/bench_audit.py  (PostgreSQL + Redis; DATABASE_URL/REDIS_URL override the defaults)
"""
from __future__ import annotations

import base64
import json
import sys

from harness import (BENCH_PASSWORD, Server, alternating, bench_env, flask_cli, load, login_cookie, machine_line,
                     psql, ratio_line, reset_database)

REQUESTS = 1500
ROUNDS = 5
TARGET = 1 / 1.3
DEPTH = 5_000  # entries skipped for the deep page (at 1k: as deep as still leaves a full page)
PAGE = 50


def seeded_admin(env: dict, workspace: str, entries: int) -> tuple[str, str]:
    """A workspace's admin and `entries` audit entries, one a minute back from now; returns the
    admin's email and the cursor of a page that starts deep in, yet is as full as the first."""
    email = f"{workspace.lower()}@bench.test"
    flask_cli("users", "create", email, "--password", BENCH_PASSWORD, "--workspace", workspace, env=env)
    psql(env, f"""INSERT INTO audit_entries (workspace_id, actor_id, actor_name, action, summary, detail, created_at)
        SELECT w.id, u.id, u.email, 'token.created', 'Created the API token ' || n, '{{}}', now() - n * interval '1 minute'
        FROM workspaces w JOIN users u ON u.workspace_id = w.id, generate_series(1, {entries}) AS n
        WHERE w.name = '{workspace}'""")
    psql(env, "ANALYZE audit_entries")
    row = psql(env, f"""SELECT to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US+00:00') || '|' || a.id
        FROM audit_entries a JOIN workspaces w ON w.id = a.workspace_id WHERE w.name = '{workspace}'
        ORDER BY a.created_at DESC, a.id DESC OFFSET {min(DEPTH, entries - 2 * PAGE)} LIMIT 1""")
    stamp, row_id = row.split("|")
    raw = json.dumps([stamp, int(row_id)], separators=(",", ":"))
    return email, base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def main() -> int:
    env = bench_env()
    reset_database(env)
    admins = {"Small": seeded_admin(env, "Small", 1_000), "Large": seeded_admin(env, "Large", 100_000)}
    with Server(env) as server:
        runs = {}
        for name, (email, deep_cursor) in admins.items():
            hdrs = {"Cookie": login_cookie(server.port, email, BENCH_PASSWORD)}
            for variant, path in (("first page", "/settings/audit"), ("deep page", f"/settings/audit?cursor={deep_cursor}")):
                load("warmup", server.port, lambda w, i, h=hdrs, p=path: ("GET", p, None, h), 100, connections=8)
                runs[(name, variant)] = (lambda h=hdrs, p=path, label=f"audit {variant} {name}": load(
                    label, server.port, lambda w, i: ("GET", p, None, h), REQUESTS, connections=8))
        results = alternating(ROUNDS, runs)
    print(machine_line())
    ok = True
    for variant in ("first page", "deep page"):
        ratio = results.ratio(("Large", variant), ("Small", variant))
        print(ratio_line(f"audit {variant} 100k/1k throughput", ratio, target=f">= {TARGET:.2f}"))
        ok &= ratio >= TARGET and results[("Large", variant)].errors == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
