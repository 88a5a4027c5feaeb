"""Keyset pages that seek: page 100 of every cursor-paged list against an early page of the same
list, in one workspace (20k conversations and leads, 200k messages, a 10,000-message thread,
10k audit entries and 10k webhook deliveries).

Lists: the inbox list and the thread's older messages (htmx fragments), the leads page's rows,
the audit log, the webhook log, and the API's conversations, messages and leads. The web lists
compare page 100 with page 2 (the first page that carries a cursor, so both answers are the same
fragment: page 1 of the inbox or leads page also renders the filters, counts and funnel); the
API's with page 1.

Before the load, the plan of page 100's statement of each list is checked on PostgreSQL
(EXPLAIN ANALYZE of what the app sends): it must read the list's sort index with the cursor in
its Index Cond (a row-value comparison, `ROW(a, b) < ROW(…)`, or `id < …`), and remove no more
than a page of rows by a filter. A cursor written as `a < x OR (a = x AND id < y)` was a filter
after the workspace's index condition: page 100 read the 99 pages before it (API review P2).

Target: page 100 within 1.2x of the early page (ratio of throughputs >= 0.83) for every list.
Run: python bench/bench_pages.py [NAME ...]  (PostgreSQL + Redis; DATABASE_URL/REDIS_URL override the
defaults; NAMEs, e.g. `API` or `inbox`, keep only the lists whose name starts with one of them)
"""
from __future__ import annotations

import base64
import json
import re
import sys

from harness import (BENCH_PASSWORD, Server, alternating, app_context, bench_env, flask_cli, load, login_cookie,
                     machine_line, plans_of, psql, ratio_line, reset_database, seeded_user)

REQUESTS = 400
ROUNDS = 3
TARGET = 1 / 1.2
DEPTH = 99  # pages before page 100
HX = {"HX-Request": "true"}
STAMP = """to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US+00:00') || '|' || {id}"""


def cursor(stamp_and_id: str) -> str:
    stamp, row_id = stamp_and_id.split("|")
    raw = json.dumps([stamp, int(row_id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def row_at(env: dict, sql: str, offset: int) -> str:
    return psql(env, f"{sql} OFFSET {offset} LIMIT 1")


def setup(env: dict) -> dict:
    email = seeded_user(env, "Pages", 20_000, 200_000, accounts=1)
    print(flask_cli("seed", "--conversations", "1", "--messages", "10000", "--workspace", "Pages", env=env).strip())
    ws = "(SELECT id FROM workspaces WHERE name = 'Pages')"
    psql(env, f"""INSERT INTO audit_entries (workspace_id, actor_name, action, summary, detail, created_at)
        SELECT {ws}, 'bench', 'token.created', 'Created the API token ' || n, '{{}}', now() - (n / 3) * interval '1 minute'
        FROM generate_series(1, 10000) AS n""")
    psql(env, f"""INSERT INTO webhook_events (body, received_at, status, attempts, event_count, workspace_id)
        SELECT convert_to('{{"object":"instagram","entry":[]}}', 'UTF8'), now() - n * interval '1 second', 'applied', 1, 1, {ws}
        FROM generate_series(1, 10000) AS n""")
    psql(env, "ANALYZE audit_entries, webhook_events, conversations, messages, leads")
    thread = psql(env, f"SELECT conversation_id FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                       f"WHERE c.workspace_id = {ws} GROUP BY conversation_id ORDER BY count(*) DESC LIMIT 1")
    token = flask_cli("tokens", "create", email, env=env).strip()
    conversations = (f"SELECT {STAMP.format(col='last_message_at', id='id')} FROM conversations "
                     f"WHERE workspace_id = {ws} ORDER BY last_message_at DESC, id DESC")
    messages = (f"SELECT {STAMP.format(col='created_at', id='id')} FROM messages "
                f"WHERE conversation_id = {thread} ORDER BY created_at DESC, id DESC")
    leads = (f"SELECT {STAMP.format(col='created_at', id='id')} FROM leads "
             f"WHERE workspace_id = {ws} ORDER BY created_at DESC, id DESC")
    audit = (f"SELECT {STAMP.format(col='created_at', id='id')} FROM audit_entries "
             f"WHERE workspace_id = {ws} ORDER BY created_at DESC, id DESC")
    webhooks = f"SELECT id FROM webhook_events WHERE workspace_id = {ws} ORDER BY id DESC"
    deep = lambda sql, size: row_at(env, sql, DEPTH * size - 1)  # noqa: E731 (the last row of page 99)
    second = lambda sql, size: row_at(env, sql, size - 1)  # noqa: E731 (the last row of page 1)
    # list -> (early path, page-100 path, API?)
    lists = {
        "inbox list": (f"/?cursor={cursor(second(conversations, 30))}", f"/?cursor={cursor(deep(conversations, 30))}", False),
        "thread messages": (f"/conversations/{thread}/older?before={cursor(second(messages, 50))}",
                            f"/conversations/{thread}/older?before={cursor(deep(messages, 50))}", False),
        "leads page": (f"/leads?cursor={cursor(second(leads, 50))}", f"/leads?cursor={cursor(deep(leads, 50))}", False),
        "audit log": (f"/settings/audit?cursor={cursor(second(audit, 50))}",
                      f"/settings/audit?cursor={cursor(deep(audit, 50))}", False),
        "webhook log": (f"/webhooks/log?before={second(webhooks, 50)}", f"/webhooks/log?before={deep(webhooks, 50)}", False),
        "API conversations": ("/api/v1/conversations?limit=50",
                              f"/api/v1/conversations?limit=50&cursor={cursor(deep(conversations, 50))}", True),
        "API messages": (f"/api/v1/conversations/{thread}/messages?limit=50",
                         f"/api/v1/conversations/{thread}/messages?limit=50&before={cursor(deep(messages, 50))}", True),
        "API leads": ("/api/v1/leads?limit=50", f"/api/v1/leads?limit=50&cursor={cursor(deep(leads, 50))}", True),
    }
    return {"email": email, "token": token, "thread": int(thread), "lists": lists,
            "deep": {"conversations": cursor(deep(conversations, 50)), "messages": cursor(deep(messages, 50)),
                     "leads": cursor(deep(leads, 50)), "audit": cursor(deep(audit, 50)),
                     "webhooks": int(deep(webhooks, 50))}}


# list -> (the indexes its page-100 plan may read, what its Index Cond must hold). The webhook
# log pages by id: with one workspace in the table the primary key, read backwards from the
# cursor, is as good a seek as (workspace_id, id), and PostgreSQL takes it.
SEEKS = {
    "conversations": (("ix_conversations_inbox",), "ROW(last_message_at, id) <"),
    "messages": (("ix_messages_thread",), "ROW(created_at, id) <"),
    "leads": (("ix_leads_list",), "ROW(created_at, id) <"),
    "audit": (("ix_audit_entries_list",), "ROW(created_at, id) <"),
    "webhooks": (("ix_webhook_events_workspace", "pk_webhook_events"), "(id <"),
}


def check_plans(env: dict, data: dict) -> bool:
    from flask_login import login_user
    from sqlalchemy import select

    from app.extensions import db
    from app.inbox.queries import ConversationFilters, conversation_page, find_conversation, message_page
    from app.leads.queries import LeadFilters, lead_page
    from app.models import User
    from app.settings.audit_log import audit_page
    from app.webhooks.log_page import workspace_deliveries

    deep = data["deep"]
    ok = True
    with app_context(env) as app:
        user = db.session.scalar(select(User).where(User.email == data["email"]))
        calls = {
            "conversations": lambda: conversation_page(ConversationFilters(), user, deep["conversations"], 50),
            "messages": lambda: message_page(find_conversation(data["thread"]), deep["messages"], 50),
            "leads": lambda: lead_page(LeadFilters(), user, deep["leads"], 50),
            "audit": lambda: audit_page({"group": "", "actor": None}, deep["audit"], 50),
            "webhooks": lambda: workspace_deliveries(user.workspace_id, before=deep["webhooks"], limit=50),
        }
        for name, call in calls.items():
            indexes, cond = SEEKS[name]
            with app.test_request_context():
                login_user(user)
                plans = plans_of(call)
                db.session.rollback()
            plan = next((p for p in plans if any(index in p for index in indexes)), "")
            index = next((index for index in indexes if index in plan), indexes[0])
            seeks = any("Index Cond" in line and cond in line for line in plan.splitlines())
            removed = max((int(n) for n in re.findall(r"Rows Removed by Filter: (\d+)", plan)), default=0)
            good = bool(plan) and seeks and removed <= 50
            print(f"--- EXPLAIN {name} page 100: " + (f"seeks {index} ({cond} …)" if good else
                  f"MISS: index {index} {'read' if plan else 'not read'}, cursor in Index Cond {seeks}, "
                  f"rows removed by filter {removed}"))
            for p in plans:
                print(re.sub(r"^", "    ", p, flags=re.M))
            ok &= good
    return ok


def main() -> int:
    # The API's own throttle (120 requests a minute a token) would answer most of the load 429.
    env = bench_env(API_RATE_LIMIT=str(10**9))
    reset_database(env)
    data = setup(env)
    if sys.argv[1:]:
        data["lists"] = {k: v for k, v in data["lists"].items() if k.startswith(tuple(sys.argv[1:]))}
    plans_ok = check_plans(env, data)
    with Server(env) as server:
        cookie = login_cookie(server.port, data["email"], BENCH_PASSWORD)
        runs = {}
        for name, (early, page100, api) in data["lists"].items():
            hdrs = {"Authorization": f"Bearer {data['token']}"} if api else {"Cookie": cookie, **HX}
            for which, path in (("early", early), ("page 100", page100)):
                load("warmup", server.port, lambda w, i, h=hdrs, p=path: ("GET", p, None, h), 100, connections=8)
                runs[(name, which)] = (lambda h=hdrs, p=path, label=f"{name} {which}": load(
                    label, server.port, lambda w, i: ("GET", p, None, h), REQUESTS, connections=8))
        results = alternating(ROUNDS, runs)
    print(machine_line())
    ok = plans_ok
    for name, (_, _, api) in data["lists"].items():
        ratio = results.ratio((name, "page 100"), (name, "early"))
        print(ratio_line(f"pages {name} page 100 / page {1 if api else 2} throughput", ratio, target=f">= {TARGET:.2f}"))
        deep_run = results[(name, "page 100")]
        ok &= ratio >= TARGET and deep_run.errors == 0 and set(deep_run.statuses) == {200}
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
