"""The pipeline board (/leads/board) at 1k vs 100k leads.

Data: `flask seed` (a lead per conversation, spread over the five statuses, two in three with a
value, one in ten of those in EUR), then a quarter of the leads owned by the person measured.
Measured for that person, at each size: the board page (five columns of 50 cards, each head with
its count and total), "Show more" in one column (the next 50 cards from a cursor), the board
filtered to "Mine", the lead panel of a thread (the newest lead's), and the board's live poll when
no lead changed (a 204).

Before the load, the plan of every statement those requests run is checked on PostgreSQL
(EXPLAIN ANALYZE of the statements the app itself sends, captured in-process): every column's
page and "Show more" must read ix_leads_board (the column's newest cards, seeking to the cursor);
a plan without it is a miss. The heads' grouped count and sum is printed too: it reads every
lead of the workspace under the filters (its cost grows with the pipeline; see the README).

Target: every figure at 100k within 1.3x of 1k (ratio of throughputs >= 0.77).
Run: python bench/bench_board.py  (PostgreSQL + Redis; DATABASE_URL/REDIS_URL override the defaults)
"""
from __future__ import annotations

import re
import sys

from harness import (BENCH_PASSWORD, Server, alternating, app_context, bench_env, load, login_cookie, machine_line,
                     psql, ratio_line, reset_database, seeded_user)

REQUESTS = 400
ROUNDS = 5
TARGET = 1 / 1.3
HX = {"HX-Request": "true"}

# variant -> (path (None: found on the page; "panel": the newest lead's thread panel), htmx?)
VARIANTS = {
    "board page": ("/leads/board", False),
    "show more": (None, True),
    "mine": ("/leads/board?owner=me", True),
    "lead panel": ("panel", True),
    # The board's live poll when no lead changed (app.leads.board_live): a 204 from one range scan
    # of ix_leads_changes, whatever the pipeline's size.
    "live poll": ("poll", True),
}
BOARD_INDEX = "ix_leads_board"


def own_a_quarter(env: dict, email: str) -> None:
    ws = f"(SELECT workspace_id FROM users WHERE email = '{email}')"
    psql(env, f"UPDATE leads SET owner_id = (SELECT id FROM users WHERE email = '{email}') "
              f"WHERE workspace_id = {ws} AND id % 4 = 1")
    psql(env, "VACUUM ANALYZE leads")


def check_plans(env: dict, email: str) -> bool:
    """EXPLAIN ANALYZE every statement of the board page and of a "Show more", as the app sends
    them, for the large workspace's person; prints the plans and whether the columns used the index."""
    from flask_login import login_user
    from sqlalchemy import event, select

    from app.extensions import db
    from app.leads.board import BoardFilters, column_page, column_totals
    from app.models import LEAD_STATUSES, User

    def board_page(user):
        for status in LEAD_STATUSES:
            column_page(BoardFilters(), user, status)
        column_totals(BoardFilters(), user, "USD")

    def show_more(user):
        _, cursor = column_page(BoardFilters(), user, "qualified")
        captured.clear()  # only the second page's statement
        column_page(BoardFilters(), user, "qualified", cursor)

    ok = True
    with app_context(env) as app:
        user = db.session.scalar(select(User).where(User.email == email))
        for variant, call in (("board page", board_page), ("show more", show_more)):
            captured: list = []

            def record(conn, cursor, statement, parameters, context, executemany):
                captured.append((statement, parameters))

            with app.test_request_context():
                login_user(user)
                event.listen(db.engine, "before_cursor_execute", record)
                try:
                    call(user)
                finally:
                    event.remove(db.engine, "before_cursor_execute", record)
                raw = db.session.connection().connection.driver_connection
                print(f"--- EXPLAIN {variant} (100k, {len(captured)} statements)")
                for statement, parameters in captured:
                    if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                        continue
                    with raw.cursor() as cursor:
                        cursor.execute("EXPLAIN ANALYZE " + statement, parameters)
                        plan = "\n".join(row[0] for row in cursor.fetchall())
                    is_column = "ORDER BY leads.stage_changed_at DESC" in statement
                    verdict = ("" if not is_column else
                               f"uses {BOARD_INDEX}" if BOARD_INDEX in plan else f"MISSING {BOARD_INDEX}")
                    what = "a column's cards" if is_column else "the heads' counts and totals" if "GROUP BY" in statement else "other"
                    print(f"  [{what}] {verdict}")
                    print(re.sub(r"^", "    ", plan, flags=re.M))
                    ok &= not is_column or BOARD_INDEX in plan
                db.session.rollback()
    return ok


def panel_path(env: dict, email: str) -> str:
    """The thread's lead panel (app.leads.panel) of the workspace's newest lead: its stage history,
    contact facts, offers and the customer's other conversations are each one indexed read."""
    conversation_id = psql(env, f"SELECT conversation_id FROM leads WHERE workspace_id = "
                                f"(SELECT workspace_id FROM users WHERE email = '{email}') ORDER BY id DESC LIMIT 1")
    return f"/conversations/{conversation_id}/lead"


def show_more_path(port: int, cookie: str) -> str:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/leads/board", headers={"Cookie": cookie})
    html = conn.getresponse().read().decode()
    return re.search(r'hx-get="(/leads/board\?status=qualified&amp;cursor=[^"]+)"', html).group(1).replace("&amp;", "&")


def poll_path(port: int, cookie: str) -> str:
    import http.client
    from urllib.parse import quote

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/leads/board", headers={"Cookie": cookie})
    html = conn.getresponse().read().decode()
    return "/leads/board/changes?since=" + quote(re.search(r'id="board-since" name="since" value="([^"]+)"', html).group(1))


def main() -> int:
    env = bench_env()
    reset_database(env)
    emails = {"Small": seeded_user(env, "Small", 1_000, 1_000), "Large": seeded_user(env, "Large", 100_000, 100_000)}
    for email in emails.values():
        own_a_quarter(env, email)
    plans_ok = check_plans(env, emails["Large"])
    with Server(env) as server:
        runs = {}
        for name, email in emails.items():
            cookie = login_cookie(server.port, email, BENCH_PASSWORD)
            for variant, (path, htmx) in VARIANTS.items():
                if path == "panel":
                    path = panel_path(env, email)
                elif path == "poll":
                    path = poll_path(server.port, cookie)
                path = path or show_more_path(server.port, cookie)
                hdrs = {"Cookie": cookie, **(HX if htmx else {})}
                load("warmup", server.port, lambda w, i, h=hdrs, p=path: ("GET", p, None, h), 50, connections=8)
                runs[(name, variant)] = (lambda h=hdrs, p=path, label=f"board {variant} {name}": load(
                    label, server.port, lambda w, i: ("GET", p, None, h), REQUESTS, connections=8))
        results = alternating(ROUNDS, runs)
    print(machine_line())
    ok = plans_ok
    for variant in VARIANTS:
        ratio = results.ratio(("Large", variant), ("Small", variant))
        print(ratio_line(f"board {variant} 100k/1k throughput", ratio, target=f">= {TARGET:.2f}"))
        large = results[("Large", variant)]
        expected = {204} if variant == "live poll" else {200}
        ok &= ratio >= TARGET and large.errors == 0 and set(large.statuses) == expected
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
