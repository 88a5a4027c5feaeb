"""Where a one-message delivery's time goes: statements per delivery and a cProfile of N
deliveries through the Flask test client, against PostgreSQL and Redis (bench/bench_ingest.py's
shape: one account, no team, 2,000 customers).

It counts every statement SQLAlchemy sends (a `before_cursor_execute` listener) and every
transaction the pool hands out (each costs the pool's pre-ping, a round trip the listener does
not see), for a new customer's first message, a known customer's next one and a redelivery, then
profiles N deliveries of the bench's mix (a quarter of them new customers) and prints the
cumulative time of the phases of `app.webhooks.ingest`.

Run: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/igdm_prof python bench/profile_ingest.py [N]
It drops and recreates that database.
"""
from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import time

from harness import bench_account, bench_env, reset_database, signed_delivery

ACCOUNT_ID = "17841400000000001"
PHASES = [  # (label, function name as cProfile shows it: file:line(name) contains this)
    ("request (whole WSGI call)", "app.py", "wsgi_app"),
    ("receive view", "routes.py", "receive"),
    ("signature check", "signature.py", "verify_signature"),
    ("decode + clean JSON", "ingest.py", "decode_body"),
    ("parse events", "events.py", "parse_delivery"),
    ("apply_events", "apply.py", "apply_events"),
    ("  usable_events (account lookup)", "apply.py", "usable_events"),
    ("  resolve_threads", "apply.py", "resolve_threads"),
    ("  insert_messages", "apply.py", "insert_messages"),
    ("    unread.add_inbound", "unread.py", "add_inbound"),
    ("    notifications.on_inbound", "create.py", "on_inbound"),
    ("  create_leads", "apply.py", "create_leads"),
    ("  apply_changes", "apply.py", "apply_changes"),
    ("  emit_webhooks", "apply.py", "emit_webhooks"),
    ("  finish", "apply.py", "finish"),
    ("log row (_store)", "ingest.py", "_store"),
    ("commit", "scoping.py", "commit"),
    ("enqueue follow-ups", "followups.py", "after_apply"),
    ("session close (teardown)", "scoping.py", "remove"),
]


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    env = bench_env()
    reset_database(env)
    bench_account(env, "Bench", ACCOUNT_ID)

    os.environ.update({k: v for k, v in env.items() if k not in os.environ})
    from sqlalchemy import event

    from app import create_app
    from app.extensions import db

    app = create_app()
    client = app.test_client()
    secret = env["INSTAGRAM_APP_SECRET"]
    statements: list[str] = []
    checkouts = [0]

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split())[:int(os.environ.get("PROFILE_SQL_WIDTH", "110"))])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine.pool, "checkout", lambda *a: checkouts.__setitem__(0, checkouts[0] + 1))

    def send(customer: int, mid: str):
        body, headers = signed_delivery(secret, ACCOUNT_ID, customer, mid, f"Is the blue one still available? ({mid})")
        response = client.post("/webhooks/instagram", data=body, headers=headers)
        assert response.status_code == 200, response.data
        return body, headers

    for label, customer, mid in (("new customer's first message", 1, "p-1"), ("known customer's next message", 1, "p-2"),
                                 ("redelivery", 1, "p-2")):
        statements.clear()
        checkouts[0] = 0
        send(customer, mid)
        print(f"{label}: {len(statements)} statements, {checkouts[0]} pool checkout(s) (each a pre-ping)")
        for s in statements:
            print("   ", s)

    # The mix: customers cycle over 2,000 as the bench's do; warm up, then profile.
    for i in range(100):
        send(10_000 + i, f"w-{i}")
    statements.clear()
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for i in range(n):
        send(20_000 + (i * 7919) % (n // 4 or 1), f"x-{i}")
    profile.disable()
    elapsed = time.perf_counter() - started
    print(f"\n{n} deliveries in {elapsed:.2f} s: {elapsed / n * 1000:.2f} ms each (under cProfile), "
          f"{len(statements) / n:.1f} statements each")
    stats = pstats.Stats(profile)
    print("\nphase                                      ms per delivery (cumulative, under cProfile)")
    for label, filename, name in PHASES:
        total = sum(value[3] for (file, _line, func), value in stats.stats.items()
                    if func == name and file.endswith(filename))
        print(f"  {label:<40} {total / n * 1000:7.2f}")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(25)
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(r"/app/", 60)
    print(out.getvalue())
    if len(sys.argv) > 2:  # a function to look into: what it calls, cumulative
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_callees(sys.argv[2])
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
