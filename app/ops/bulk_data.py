"""Bulk data: realistic conversations, messages and leads at scale for benchmarks and load tests
(`flask seed`; the demo's own data is app/demo/seed.py).

Set-based: each table is filled by one INSERT ... SELECT over a generated series (a recursive CTE,
which PostgreSQL and SQLite both run), so 100k conversations and 1M messages take seconds to
minutes, not hours of row-by-row inserts. Rows are tagged with a run id so several runs coexist.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from sqlalchemy import select, text

from app.extensions import db
from app.messages import first_times
from app.models import InstagramAccount, Workspace, utcnow

SAMPLE_TEXTS = (
    "Hi! Is this still available?", "How much is shipping to Berlin?", "Do you have it in size M?",
    "Thanks, just ordered 🙌", "Can I pay on delivery?", "What are your opening hours?",
    "Love the new collection!", "Is there a discount for two?", "When will it be back in stock?",
    "Sure, I'll send the photos", "Our price is 49 €, shipping included.", "Yes, we ship tomorrow.",
)


@dataclass
class BulkDataResult:
    run: str
    workspace_id: int
    accounts: int
    conversations: int
    messages: int
    seconds: float


def _sql_string(value: str) -> str:
    """A constant of this module as an SQL literal (never user input)."""
    return "'" + value.replace("'", "''") + "'"


def _series(n_param: str) -> str:
    return (f"WITH RECURSIVE series(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM series WHERE x < :{n_param}) ")


def _minus_seconds(expr: str) -> str:
    """`base - expr seconds` as a timestamp, in the dialect's own date arithmetic."""
    if db.engine.dialect.name == "postgresql":
        return f"(CAST(:base AS timestamptz) - ({expr}) * INTERVAL '1 second')"
    return f"strftime('%Y-%m-%d %H:%M:%S', :base, '-' || ({expr}) || ' seconds')"


def create_bulk_data(conversations: int, messages: int, accounts: int = 1,
                     workspace_name: str = "Seed Workspace") -> BulkDataResult:
    started = time.perf_counter()
    run = secrets.token_hex(3)
    workspace = db.session.scalar(select(Workspace).where(Workspace.name == workspace_name))
    if workspace is None:
        workspace = Workspace(name=workspace_name)
        db.session.add(workspace)
        db.session.flush()
    account_ids = []
    for k in range(accounts):
        account = InstagramAccount(workspace_id=workspace.id, ig_user_id=f"seed{run}{k}", username=f"seed_shop_{run}_{k}",
                                   name=f"Seed Shop {k + 1}", status="active", is_demo=True, webhook_subscribed=True)
        db.session.add(account)
        db.session.flush()
        account_ids.append(account.id)
    db.session.commit()

    base = utcnow().replace(microsecond=0).isoformat()
    first_account = min(account_ids)
    params = {"ws": workspace.id, "n": conversations, "k": accounts, "a0": first_account, "run": run, "base": base}
    is_pg = db.engine.dialect.name == "postgresql"
    false = "false" if is_pg else "0"
    json_list, json_obj = ("'[]'::json", "'{}'::json") if is_pg else ("'[]'", "'{}'")
    # Account ids of one run are consecutive, so (x % k) spreads contacts across them.
    db.session.execute(text(
        _series("n") +
        "INSERT INTO contacts (workspace_id, account_id, igsid, username, name, created_at) "
        f"SELECT :ws, :a0 + (x % :k), 'seed' || :run || '-' || x, 'customer_' || :run || '_' || x, "
        f"'Customer ' || x, {_minus_seconds('x * 60')} FROM series"), params)
    # Newest activity on low x; activity spread over the last ~N minutes.
    per = max(messages // max(conversations, 1), 0)
    db.session.execute(text(
        "INSERT INTO conversations (workspace_id, account_id, contact_id, status, unread_count, last_message_at, "
        "last_message_preview, last_inbound_at, created_at, updated_at) "
        f"SELECT c.workspace_id, c.account_id, c.id, CASE WHEN c.id % 7 = 0 THEN 'resolved' ELSE 'open' END, "
        f"CASE WHEN c.id % 3 = 0 THEN 1 + c.id % 4 ELSE 0 END, c.created_at, "
        f"{_sql_string(SAMPLE_TEXTS[0])}, c.created_at, c.created_at, c.created_at "
        "FROM contacts c WHERE c.igsid LIKE 'seed' || :run || '-%'"), params)
    db.session.execute(text(
        "INSERT INTO leads (workspace_id, contact_id, conversation_id, status, source, source_detail, value_cents, "
        "currency, lost_reason, stage_changed_at, created_at, updated_at) "
        "SELECT v.workspace_id, v.contact_id, v.id, "
        "CASE v.id % 5 WHEN 0 THEN 'new' WHEN 1 THEN 'contacted' WHEN 2 THEN 'qualified' WHEN 3 THEN 'won' ELSE 'lost' END, "
        f"CASE WHEN v.id % 4 = 0 THEN 'ad' ELSE 'dm' END, {json_obj}, "
        # Two leads in three have a deal value (one in ten of those in another currency), as the
        # board and the reports sum them.
        "CASE WHEN v.id % 3 <> 0 THEN 5000 + (v.id % 97) * 2500 END, "
        "CASE WHEN v.id % 3 = 0 THEN NULL WHEN v.id % 10 = 1 THEN 'EUR' ELSE 'USD' END, "
        # The lost ones say why, as the forms store it: a pick, "pick: words", or words alone.
        "CASE WHEN v.id % 5 = 4 THEN CASE v.id % 6 WHEN 0 THEN 'Price' WHEN 1 THEN 'Price: found it cheaper' "
        "WHEN 2 THEN 'Chose a competitor' WHEN 3 THEN 'No reply' WHEN 4 THEN 'Timing' ELSE 'went quiet' END END, "
        "v.created_at, v.created_at, v.created_at "
        "FROM conversations v JOIN contacts c ON c.id = v.contact_id WHERE c.igsid LIKE 'seed' || :run || '-%'"), params)
    # Each lead's move to where it is (the timeline, the reports' funnel and lost reasons read them).
    db.session.execute(text(
        "INSERT INTO lead_stage_changes (workspace_id, lead_id, from_status, to_status, value_cents, lost_reason, "
        "created_at) "
        "SELECT l.workspace_id, l.id, 'new', l.status, l.value_cents, l.lost_reason, l.created_at FROM leads l "
        "JOIN contacts c ON c.id = l.contact_id WHERE l.status <> 'new' AND c.igsid LIKE 'seed' || :run || '-%'"), params)
    if per:
        texts = " ".join(f"WHEN {i} THEN {_sql_string(t)}" for i, t in enumerate(SAMPLE_TEXTS))
        db.session.execute(_message_insert(per, texts, json_list, json_obj, false), {**params, "per": per})
        # The reports' first message and answer, as every writer keeps them (one SQL for the lot).
        first_times.refresh(workspace_id=workspace.id)
    db.session.commit()
    # A bulk load leaves the planner's statistics describing the empty tables: until autovacuum
    # catches up it would read a whole 10k-message thread to sort out its newest page. Refresh
    # them now, as any restore or bulk import should.
    db.session.execute(text("ANALYZE contacts, conversations, leads, lead_stage_changes, messages" if is_pg
                            else "ANALYZE"))
    db.session.commit()
    total_messages = per * conversations
    return BulkDataResult(run, workspace.id, accounts, conversations, total_messages, time.perf_counter() - started)


def _message_insert(per: int, texts: str, json_list: str, json_obj: str, false: str):
    """Messages of each seeded conversation, oldest first, ending at the conversation's activity."""
    if db.engine.dialect.name == "postgresql":
        created = "(v.last_message_at - (:per - s.x) * INTERVAL '30 seconds')"
    else:
        created = "strftime('%Y-%m-%d %H:%M:%S', v.last_message_at, '-' || ((:per - s.x) * 30) || ' seconds')"
    return text(
        _series("per") +
        "INSERT INTO messages (account_id, conversation_id, mid, direction, kind, text, attachments, status, source, "
        "is_deleted, edited, reactions, meta, human_agent, send_attempts, created_at, received_at, updated_at) "
        "SELECT v.account_id, v.id, 'seed-' || :run || '-' || v.id || '-' || s.x, "
        "CASE WHEN s.x % 2 = 1 THEN 'in' ELSE 'out' END, 'message', "
        f"CASE (v.id + s.x) % {len(SAMPLE_TEXTS)} {texts} END, {json_list}, "
        "CASE WHEN s.x % 2 = 1 THEN 'received' ELSE 'read' END, "
        "CASE WHEN s.x % 2 = 1 THEN 'instagram' ELSE 'inbox' END, "
        f"{false}, {false}, {json_list}, {json_obj}, {false}, 0, {created}, {created}, {created} "
        "FROM conversations v JOIN contacts c ON c.id = v.contact_id CROSS JOIN series s "
        "WHERE c.igsid LIKE 'seed' || :run || '-%'")
