"""The manager's reports (app.reports) at 10k messages / 1k conversations vs 1M messages / 100k
conversations, on PostgreSQL.

Data: `flask seed` (a conversation a minute over ~70 days for the large workspace, ten messages
each, the customer and a person taking turns; a lead per conversation at every status, two in three
with a value), then as a team has it: the workspace in New York time with business hours saved
(Monday to Friday 9 to 5), a third of the conversations assigned to the person measured (an agent)
and the team's replies split between them and the admin, a label on one conversation in ten.

Measured, for each size, in-process (the figures are what costs; the page adds a template): the
admin's report of the last 30 days (the default), of the last 366 days (the longest allowed: the
whole data set), filtered to a label, and the agent's own 30 days. Each is run 5 times and the
median kept; the page /reports itself is fetched once per size through the test client too.

Before timing, the plan of every statement of the admin's 30-day report is EXPLAIN ANALYZEd (the
statements the app sends, captured in-process): the period's conversations must be read through
ix_conversations_reports (each with its first message and first answer stored on it:
app.messages.first_times), the period's customer messages and persons' answers through the partial
ix_messages_reports_customer / ix_messages_reports_answers (one range per local day). A plan
without them is a miss, and so is a report over 1 s (the exit status is 1).

Target: every report at 1M messages under 1 s. The ratio to the 10k run is printed (it grows with
the rows a report covers, which a month of a busy shop really has).
Run: python bench/bench_reports.py  (PostgreSQL; DATABASE_URL overrides the default)
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import time

from harness import app_context, bench_env, machine_line, psql, ratio_line, reset_database, seeded_user

RUNS = 5
LIMIT_S = 1.0
INDEXES = ("ix_conversations_reports", "ix_messages_reports_customer", "ix_messages_reports_answers")


def shape(env: dict, email: str) -> str:
    """Make the seeded workspace look like a team's; returns the agent's email."""
    ws = f"(SELECT workspace_id FROM users WHERE email = '{email}')"
    agent = email.replace("@", "+agent@")
    psql(env, f"INSERT INTO users (workspace_id, email, name, password_hash, role, active, created_at) "
              f"SELECT workspace_id, '{agent}', 'Agent', password_hash, 'agent', true, now() FROM users WHERE email = '{email}'")
    psql(env, f"UPDATE workspaces SET timezone = 'America/New_York' WHERE id = {ws}")
    psql(env, "INSERT INTO automation_settings (workspace_id, timezone, business_hours, ai_auto_reply, pause_minutes, "
              "away_every_hours, updated_at) SELECT " + ws + ", 'America/New_York', "
              "'{\"0\": [[\"09:00\", \"17:00\"]], \"1\": [[\"09:00\", \"17:00\"]], \"2\": [[\"09:00\", \"17:00\"]], "
              "\"3\": [[\"09:00\", \"17:00\"]], \"4\": [[\"09:00\", \"17:00\"]]}', false, 30, 12, now()")
    psql(env, f"UPDATE conversations SET assignee_id = (SELECT id FROM users WHERE email = '{agent}') "
              f"WHERE workspace_id = {ws} AND id % 3 = 0")
    psql(env, f"UPDATE messages SET sent_by_id = CASE WHEN conversation_id % 3 = 0 "
              f"THEN (SELECT id FROM users WHERE email = '{agent}') ELSE (SELECT id FROM users WHERE email = '{email}') END "
              f"WHERE direction = 'out' AND account_id IN (SELECT id FROM instagram_accounts WHERE workspace_id = {ws})")
    psql(env, f"INSERT INTO labels (workspace_id, name, color, created_at) SELECT {ws}, 'vip', '#6b7280', now()")
    psql(env, f"INSERT INTO conversation_labels (conversation_id, label_id, created_at) SELECT c.id, l.id, now() "
              f"FROM conversations c JOIN labels l ON l.workspace_id = c.workspace_id WHERE c.workspace_id = {ws} "
              f"AND c.id % 10 = 0")
    psql(env, "VACUUM ANALYZE")
    return agent


def variants(today) -> dict:
    from datetime import timedelta

    return {
        "30 days": ("admin", {}),
        "366 days": ("admin", {"from": (today - timedelta(days=365)).isoformat(), "to": today.isoformat()}),
        "label": ("admin", {"label": "vip"}),
        "agent's own": ("agent", {}),
    }


def check_plans(app, user) -> bool:
    from sqlalchemy import event

    from app.extensions import db
    from app.reports.figures import build_report
    from app.reports.scope import parse_scope

    captured: list = []

    def record(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        build_report(parse_scope({}, user))
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    raw = db.session.connection().connection.driver_connection
    plans = []
    print(f"--- EXPLAIN the admin's 30-day report (1M messages, {len(captured)} statements)")
    for statement, parameters in captured:
        if not statement.lstrip().upper().startswith(("SELECT", "WITH")) or "FROM users" in statement.split("WHERE")[0]:
            continue
        with raw.cursor() as cursor:
            cursor.execute("EXPLAIN ANALYZE " + statement, parameters)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        plans.append(plan)
        used = [name for name in INDEXES if name in plan]
        print(f"  [{statement.split()[0]} ... uses {', '.join(used) or 'no report index'}]")
        print(re.sub(r"^", "    ", plan, flags=re.M))
    db.session.rollback()
    missing = [name for name in INDEXES if not any(name in plan for plan in plans)]
    print("plans: " + ("every index used" if not missing else f"MISSING {', '.join(missing)}"))
    return not missing


def measure(app, users: dict, today) -> dict:
    from app.extensions import db
    from app.reports.figures import build_report
    from app.reports.scope import parse_scope

    timings = {}
    for variant, (who, args) in variants(today).items():
        samples = []
        for _ in range(RUNS):
            started = time.perf_counter()
            build_report(parse_scope(args, users[who]))
            samples.append(time.perf_counter() - started)
            db.session.rollback()
        timings[variant] = statistics.median(samples)
    return timings


def page_time(app, email: str) -> float:
    """The page itself (figures, charts, template), signed in through the test client: one warm-up
    request (the template's first compile), then the median of RUNS. The page must show the same
    number of conversations as build_report: the requests share this script's app context, where
    Flask-Login keeps the signed-in user in `g`, so without dropping it the 1M page was the 10k
    workspace's (and timed at 10k speed)."""
    from flask import g
    from flask_login import FlaskLoginClient

    from app.extensions import db
    from app.models import User
    from app.reports.figures import build_report
    from app.reports.scope import parse_scope

    app.test_client_class = FlaskLoginClient
    user = db.session.query(User).filter_by(email=email).one()
    expected = f'data-figure="conversations">{build_report(parse_scope({}, user)).conversations}<'.encode()
    db.session.rollback()
    samples = []
    for n in range(RUNS + 1):
        g.pop("_login_user", None)
        with app.test_client(user=user) as client:
            started = time.perf_counter()
            response = client.get("/reports")
            if n:
                samples.append(time.perf_counter() - started)
        assert response.status_code == 200 and expected in response.data, (response.status_code, email)
    return statistics.median(samples)


def main() -> int:
    # No options: --help prints what the bench does before it drops and re-creates the database.
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    env = bench_env()
    reset_database(env)
    emails = {"10k": seeded_user(env, "Small", 1_000, 10_000), "1M": seeded_user(env, "Large", 100_000, 1_000_000)}
    agents = {size: shape(env, email) for size, email in emails.items()}
    results, pages = {}, {}
    with app_context(env) as app:
        from zoneinfo import ZoneInfo

        from app.extensions import db
        from app.models import User, utcnow

        today = utcnow().astimezone(ZoneInfo("America/New_York")).date()
        people = {size: {"admin": db.session.query(User).filter_by(email=emails[size]).one(),
                         "agent": db.session.query(User).filter_by(email=agents[size]).one()} for size in emails}
        plans_ok = check_plans(app, people["1M"]["admin"])
        for size in ("10k", "1M"):
            results[size] = measure(app, people[size], today)
            pages[size] = page_time(app, emails[size])
    print(machine_line())
    ok = plans_ok
    for variant in variants(today):
        large, small = results["1M"][variant], results["10k"][variant]
        print(ratio_line(f"report {variant}: 1M {large * 1000:.0f} ms, 10k {small * 1000:.0f} ms; time 1M/10k",
                         large / small, target=f"1M under {LIMIT_S:.0f} s"))
        ok &= large < LIMIT_S
    print(f"page /reports (admin, 30 days): 1M {pages['1M'] * 1000:.0f} ms, 10k {pages['10k'] * 1000:.0f} ms")
    ok &= pages["1M"] < LIMIT_S
    print("OK" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
