"""The inbox search (`/?q=…`, the list's htmx fragment) at 10k vs 1M messages (1k vs 100k
conversations, 3 accounts each, `flask seed`).

Searched, in each workspace: a rare phrase (20 messages say "zebra parka"), a customer's name
(5 contacts are called "Jolene Quartz") and a common word ("shipping", in one seeded message in
twelve, so nearly every conversation). The rare ones are answered from the trigram indexes
(migration 0019), the common one by walking the newest conversations of the list
(app.inbox.queries.conversation_page explains the two ways). The other workspace holds the same
needles, so a search that read beyond its workspace would both slow down and show.

Before the load, the plans of every statement each search runs are checked on PostgreSQL (EXPLAIN
ANALYZE of what the app sends, at 1M): the rare phrase and the name must read ix_messages_search
and ix_contacts_search and never scan messages; the common word must walk ix_conversations_inbox
and probe ix_messages_thread. A plan without them is a miss.

Targets: at 1M, p95 <= 50 ms for each search (2 connections, so the figure is the request's own
time, not a queue) and throughput within 1.5x of the same search at 10k (ratio >= 0.67).
Run: python bench/bench_search.py  (PostgreSQL + Redis; DATABASE_URL/REDIS_URL override the defaults)
"""
from __future__ import annotations

import re
import sys
from urllib.parse import quote

from harness import (BENCH_PASSWORD, Server, alternating, app_context, bench_env, load, login_cookie, machine_line,
                     plans_of, psql, ratio_line, reset_database, seeded_user)

REQUESTS = 300
ROUNDS = 5
TARGET = 1 / 1.5
P95_MS = 50.0
HX = {"HX-Request": "true"}

# variant -> (q, indexes its plans must use, what they must not do)
VARIANTS = {
    "rare phrase": ("zebra parka", ("ix_messages_search", "ix_contacts_search"), ("Seq Scan on messages",)),
    "customer name": ("jolene quartz", ("ix_messages_search", "ix_contacts_search"), ("Seq Scan on messages",)),
    "common word": ("shipping", ("ix_conversations_inbox", "ix_messages_thread"),
                    ("Seq Scan on messages", "ix_messages_search")),
}


def needles(env: dict, workspace: str) -> None:
    """20 messages with the rare phrase and 5 customers with the name, spread over the workspace."""
    ws = f"(SELECT id FROM workspaces WHERE name = '{workspace}')"
    psql(env, f"""UPDATE messages SET text = 'Do you still have the zebra parka in blue?' WHERE id IN (
        SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE c.workspace_id = {ws} ORDER BY (m.id::bigint * 7919) % 10007, m.id LIMIT 20)""")
    psql(env, f"""UPDATE contacts SET name = 'Jolene Quartz' WHERE id IN (
        SELECT id FROM contacts WHERE workspace_id = {ws} ORDER BY (id::bigint * 7919) % 10007, id LIMIT 5)""")
    psql(env, "ANALYZE messages, contacts")


def check_plans(env: dict, email: str) -> bool:
    from flask_login import login_user
    from sqlalchemy import select

    from app.extensions import db
    from app.inbox.queries import ConversationFilters, conversation_page
    from app.models import User

    ok = True
    with app_context(env) as app:
        user = db.session.scalar(select(User).where(User.email == email))
        for variant, (q, wanted, banned) in VARIANTS.items():
            with app.test_request_context():
                login_user(user)
                plans = plans_of(lambda: conversation_page(ConversationFilters(q=q), user))
                db.session.rollback()
            text = "\n\n".join(plans)
            missing = [name for name in wanted if name not in text]
            found = [name for name in banned if name in text]
            print(f"--- EXPLAIN {variant} (1M, {len(plans)} statements): "
                  + ("uses " + ", ".join(wanted) if not missing else "MISSING " + ", ".join(missing))
                  + (f"; MUST NOT {', '.join(found)}" if found else ""))
            for plan in plans:
                print(re.sub(r"^", "    ", plan, flags=re.M))
            ok &= not missing and not found
    return ok


def placement(rounds) -> str:
    """The p95 of the rounds whose two connections were served by two gunicorn workers, and of
    those served by one (which then share its GIL: a request waits for the other's Python)."""
    parts = []
    for shared, label in ((False, "two workers"), (True, "one worker")):
        latencies = sorted(x for r in rounds if r.shared_worker is shared for x in r.latencies_ms)
        count = sum(1 for r in rounds if r.shared_worker is shared)
        if latencies:
            parts.append(f"{label}: {count} rounds, p95 {latencies[int(0.95 * (len(latencies) - 1))]:.1f} ms")
        else:
            parts.append(f"{label}: no round")
    unknown = sum(1 for r in rounds if r.shared_worker is None)
    if unknown:
        parts.append(f"{unknown} rounds of no one placement (a connection opened again)")
    return "; ".join(parts)


def main() -> int:
    env = bench_env()
    reset_database(env)
    emails = {"10k": seeded_user(env, "Small", 1_000, 10_000, accounts=3),
              "1M": seeded_user(env, "Large", 100_000, 1_000_000, accounts=3)}
    needles(env, "Small")
    needles(env, "Large")
    plans_ok = check_plans(env, emails["1M"])
    with Server(env) as server:
        runs = {}
        for name, email in emails.items():
            cookie = login_cookie(server.port, email, BENCH_PASSWORD)
            for variant, (q, _, _) in VARIANTS.items():
                path, hdrs = f"/?q={quote(q)}", {"Cookie": cookie, **HX}
                load("warmup", server.port, lambda w, i, h=hdrs, p=path: ("GET", p, None, h), 50, connections=2)
                runs[(name, variant)] = (lambda h=hdrs, p=path, label=f"search {variant} {name}": load(
                    label, server.port, lambda w, i: ("GET", p, None, h), REQUESTS, connections=2))
        results = alternating(ROUNDS, runs)
    print(machine_line())
    ok = plans_ok
    for variant in VARIANTS:
        ratio = results.ratio(("1M", variant), ("10k", variant))
        print(ratio_line(f"search {variant} 1M/10k throughput", ratio, target=f">= {TARGET:.2f}"))
        large_rounds = results.rounds[("1M", variant)]
        latencies = sorted(x for r in large_rounds for x in r.latencies_ms)
        small = sorted(x for r in results.rounds[("10k", variant)] for x in r.latencies_ms)
        p95 = latencies[int(0.95 * (len(latencies) - 1))]
        p95_small = small[int(0.95 * (len(small) - 1))]
        print(f"search {variant} p95: 1M {p95:.1f} ms, 10k {p95_small:.1f} ms (target at 1M <= {P95_MS:.0f} ms)")
        print(f"  at 1M, {placement(large_rounds)}")
        statuses = {k for r in large_rounds for k in r.statuses}
        ok &= ratio >= TARGET and p95 <= P95_MS and statuses == {200} and all(r.errors == 0 for r in large_rounds)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
