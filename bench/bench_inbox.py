"""The inbox at 1k vs 100k conversations (1M messages), 20 people each with their own unread.

Measured for one of the 20, at each size: the list (`/` full page and its htmx fragment), the
Unread filter, Needs reply with the Longest waiting sort, the unread badge (a poll starting over:
`/inbox/changes` with no valid token answers the badge and a fresh token) and the poll when
nothing changed (204).

Data as a team has it: `flask seed`, then 19 more active members; a tenth of the open
conversations waiting for a reply (half of them answered only by the automation), the rest
answered; each person has unread in about two thirds of the newest 5% of conversations (new
messages land on recent activity) and in one old conversation in 200 that they never opened
(about 3,800 rows a person at 100k, 37 at 1k: a full page of the Unread filter at either size).

Before the load, the plan of every statement those requests run is checked on PostgreSQL
(EXPLAIN ANALYZE of the statements the app itself sends, captured in-process): the list must
walk ix_conversations_inbox, the Unread filter probe conversation_unreads' primary key, Needs
reply read ix_conversations_waiting, the badge read the primary key under the person's id, the
poll ix_conversations_changes. A plan without them is a miss.

Target: every figure at 100k within 1.3x of 1k (ratio of throughputs >= 0.77).
Run: python bench/bench_inbox.py  (PostgreSQL + Redis; DATABASE_URL/REDIS_URL override the defaults)
"""
from __future__ import annotations

import re
import sys

from harness import (BENCH_PASSWORD, Server, alternating, app_context, bench_env, load, login_cookie, machine_line,
                     psql, ratio_line, reset_database, seeded_user)

REQUESTS = 1500
ROUNDS = 5
TARGET = 1 / 1.3
MEMBERS = 20
HX = {"HX-Request": "true"}

# variant -> (path, htmx?, the indexes its plans must use)
VARIANTS = {
    "list page": ("/", False, ("ix_conversations_inbox",)),
    "list fragment": ("/", True, ("ix_conversations_inbox",)),
    "unread filter": ("/?view=unread", True, ("ix_conversations_inbox", "pk_conversation_unreads")),
    "needs reply, longest waiting": ("/?needs_reply=1&sort=waiting", True, ("ix_conversations_waiting",)),
    "badge": ("/inbox/changes?since=start-over", True, ("pk_conversation_unreads",)),
    "poll (204)": (None, True, ("ix_conversations_changes",)),  # the path needs the page's token
}


def team_day(env: dict, email: str) -> None:
    """19 more members, who is waiting, and each member's own unread (see the module's docstring)."""
    ws = f"(SELECT workspace_id FROM users WHERE email = '{email}')"
    psql(env, f"""INSERT INTO users (workspace_id, email, name, password_hash, role, active, created_at)
        SELECT u.workspace_id, 'rep' || n || '.' || u.email, 'Rep ' || n, u.password_hash, 'agent', true, now()
        FROM users u, generate_series(2, {MEMBERS}) AS n WHERE u.email = '{email}'""")
    psql(env, f"""UPDATE conversations SET
        last_speaker = CASE WHEN status = 'open' AND id % 20 = 0 THEN 'customer'
                            WHEN status = 'open' AND id % 20 = 10 THEN 'automation' ELSE 'team' END,
        waiting_since = CASE WHEN status = 'open' AND id % 10 = 0 THEN last_message_at END
        WHERE workspace_id = {ws}""")
    psql(env, f"""INSERT INTO conversation_unreads (user_id, conversation_id, count, since)
        SELECT u.id, c.id, 1 + c.id % 3, c.last_message_at
        FROM (SELECT id, last_message_at, row_number() OVER (ORDER BY last_message_at DESC, id DESC) AS rank,
                     count(*) OVER () AS total FROM conversations WHERE workspace_id = {ws}) AS c
        JOIN users u ON u.workspace_id = {ws} AND u.active
        WHERE (c.rank <= c.total / 20 AND (c.id + u.id) % 3 <> 0) OR (c.id + u.id) % 200 = 0""")
    psql(env, "ANALYZE users, conversations, conversation_unreads")


def check_plans(env: dict, emails: dict[str, str]) -> bool:
    """EXPLAIN ANALYZE every statement each variant's request runs, as the app sends it, for the
    large workspace's person; prints the plans and whether each used the expected indexes."""
    from flask_login import login_user
    from sqlalchemy import event, select

    from app.extensions import db
    from app.inbox import live
    from app.inbox.queries import ConversationFilters, conversation_page, unread_total
    from app.models import User

    calls = {
        "list page": lambda user: conversation_page(ConversationFilters(), user),
        "unread filter": lambda user: conversation_page(ConversationFilters(unread=True), user),
        "needs reply, longest waiting": lambda user: conversation_page(
            ConversationFilters(needs_reply=True, sort="waiting"), user),
        "badge": lambda user: unread_total(user),
        "poll (204)": lambda user: live.poll(user.workspace_id, live.current_list_state(user.workspace_id), None),
    }
    ok = True
    with app_context(env) as app:
        user = db.session.scalar(select(User).where(User.email == emails["Large"]))
        for variant, call in calls.items():
            captured = []

            def record(conn, cursor, statement, parameters, context, executemany):
                captured.append((statement, parameters))

            with app.test_request_context():
                login_user(user)
                event.listen(db.engine, "before_cursor_execute", record)
                try:
                    call(user)
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
                db.session.rollback()
            text = "\n\n".join(plans)
            wanted = VARIANTS[variant][2]
            missing = [name for name in wanted if name not in text]
            print(f"--- EXPLAIN {variant} (100k, {len(plans)} statements): "
                  + ("uses " + ", ".join(wanted) if not missing else "MISSING " + ", ".join(missing)))
            for plan in plans:
                print(re.sub(r"^", "    ", plan, flags=re.M))
            ok &= not missing
    return ok


def poll_path(port: int, cookie: str) -> str:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/", headers={"Cookie": cookie})
    html = conn.getresponse().read().decode()
    token = re.search(r'id="live-since" name="since" value="([^"]*)"', html).group(1)
    return f"/inbox/changes?since={token}"


def main() -> int:
    env = bench_env()
    reset_database(env)
    emails = {"Small": seeded_user(env, "Small", 1_000, 10_000, accounts=3),
              "Large": seeded_user(env, "Large", 100_000, 1_000_000, accounts=3)}
    for email in emails.values():
        team_day(env, email)
    plans_ok = check_plans(env, emails)
    with Server(env) as server:
        runs = {}
        for name, email in emails.items():
            cookie = login_cookie(server.port, email, BENCH_PASSWORD)
            for variant, (path, htmx, _) in VARIANTS.items():
                path = path or poll_path(server.port, cookie)
                hdrs = {"Cookie": cookie, **(HX if htmx else {})}
                load("warmup", server.port, lambda w, i, h=hdrs, p=path: ("GET", p, None, h), 100, connections=8)
                runs[(name, variant)] = (lambda h=hdrs, p=path, label=f"inbox {variant} {name}": load(
                    label, server.port, lambda w, i: ("GET", p, None, h), REQUESTS, connections=8))
        results = alternating(ROUNDS, runs)
    print(machine_line())
    ok = plans_ok
    for variant in VARIANTS:
        ratio = results.ratio(("Large", variant), ("Small", variant))
        print(ratio_line(f"inbox {variant} 100k/1k throughput", ratio, target=f">= {TARGET:.2f}"))
        large = results[("Large", variant)]
        expected = {204} if variant == "poll (204)" else {200}
        ok &= ratio >= TARGET and large.errors == 0 and set(large.statuses) == expected
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
