"""The app as the Procfile serves it, plus reference endpoints for the benchmarks.

The references do the least a server could do for the same request, in the same gunicorn
workers, so a ratio against them measures our overhead rather than the machine:
- `/bench/ref/ping` — a bare Flask view;
- `/bench/ref/ingest` — checks the webhook HMAC, inserts the raw body with plain psycopg, pushes
  its id to Redis;
- `/bench/ref/ingest-sql` — the full apply's own SQL for a one-message delivery, hand-written and
  issued by plain psycopg in one transaction, then the follow-up jobs' Redis commands in one
  pipeline: what the database and Redis cost for what ingestion does, with none of our Python
  (Flask's request handling aside). A ratio against it is our overhead above the database's cost.
Never part of the product: only this file mounts them.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import uuid
from datetime import datetime, timedelta, timezone

import psycopg
import redis
from flask import Response, request

from app import create_app

app = create_app()
_local = threading.local()


@app.after_request
def _name_the_worker(response: Response) -> Response:
    # Which gunicorn worker answered: two keep-alive connections served by one worker share its
    # GIL, and the benches tell such rounds apart (harness.LoadResult.shared_worker).
    response.headers["X-Bench-Worker"] = str(os.getpid())
    return response


def _pg_tx():
    """A connection of this thread that runs transactions, as the app's do."""
    conn = getattr(_local, "pg_tx", None)
    if conn is None or conn.closed:
        url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        conn = _local.pg_tx = psycopg.connect(url)
    return conn


def _pg():
    conn = getattr(_local, "pg", None)
    if conn is None or conn.closed:
        url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        conn = _local.pg = psycopg.connect(url, autocommit=True)
        conn.execute("CREATE TABLE IF NOT EXISTS bench_ref_events (id bigserial PRIMARY KEY, body bytea NOT NULL, "
                     "received_at timestamptz NOT NULL DEFAULT now())")
    return conn


_redis = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"))


def _signed(body: bytes) -> bool:
    """The webhook's HMAC check, as the least a server could do (the app's own is in app/instagram/signature.py)."""
    expected = "sha256=" + hmac.new(app.config["INSTAGRAM_APP_SECRET"].encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request.headers.get("X-Hub-Signature-256", ""))


@app.get("/bench/ref/ping")
def bench_ping():
    return Response("ok", mimetype="text/plain")


@app.post("/bench/ref/ingest")
def bench_ingest():
    body = request.get_data()
    if not _signed(body):
        return Response("bad signature", status=401)
    row_id = _pg().execute("INSERT INTO bench_ref_events (body) VALUES (%s) RETURNING id", (body,)).fetchone()[0]
    _redis.lpush("bench:ref:events", row_id)
    return Response("ok", mimetype="text/plain")


# The statements app.webhooks.apply and app.webhooks.ingest send for a one-message delivery
# (bench/profile_ingest.py prints them), in the same order, with the same locks and conflicts.
_ACCOUNT = ("SELECT a.id, a.workspace_id, a.last_webhook_at, EXISTS (SELECT 1 FROM webhook_endpoints e "
            "WHERE e.workspace_id = a.workspace_id AND e.active), EXISTS (SELECT 1 FROM automation_rules r "
            "WHERE r.workspace_id = a.workspace_id AND r.enabled AND (r.account_id IS NULL OR r.account_id = a.id)) "
            "OR EXISTS (SELECT 1 FROM automation_settings s WHERE s.workspace_id = a.workspace_id AND s.ai_auto_reply) "
            "FROM instagram_accounts a WHERE a.ig_user_id = %s")
_THREAD = ("SELECT c.id, c.workspace_id, c.unread_count, c.last_message_at, c.last_message_preview, c.last_inbound_at, "
           "c.waiting_since, c.last_speaker, c.first_customer_at, c.status, c.assignee_id, k.profile_fetched_at "
           "FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE k.account_id = %s AND k.igsid = %s "
           "ORDER BY c.id FOR UPDATE OF c")
_NEW_CONTACT = ("INSERT INTO contacts (workspace_id, account_id, igsid, created_at) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (account_id, igsid) DO NOTHING RETURNING id")
_NEW_CONVERSATION = ("INSERT INTO conversations (workspace_id, account_id, contact_id, kind, status, unread_count, "
                     "last_message_at, created_at, updated_at) VALUES (%s, %s, %s, 'dm', 'open', 0, %s, %s, %s) "
                     "ON CONFLICT (account_id, contact_id) WHERE kind = 'dm' DO NOTHING RETURNING id")
_MESSAGE = ("INSERT INTO messages (account_id, mid, direction, kind, text, attachments, status, source, meta, raw, "
            "created_at, conversation_id, received_at, updated_at, is_deleted, edited, reactions, human_agent, "
            "send_attempts, hidden) VALUES (%s, %s, 'in', 'text', %s, '[]', 'received', 'instagram', '{}', %s, %s, %s, "
            "%s, %s, false, false, '[]', false, 0, false) ON CONFLICT (account_id, mid) DO NOTHING "
            "RETURNING id, EXISTS (SELECT 1 FROM deferred_events d WHERE d.account_id = messages.account_id "
            "AND d.mid = messages.mid)")
_UNREAD = ("INSERT INTO conversation_unreads (user_id, conversation_id, count, since) SELECT u.id, c.id, 1, %s "
           "FROM conversations c JOIN users u ON u.workspace_id = c.workspace_id WHERE c.id = %s AND u.active "
           "ON CONFLICT (user_id, conversation_id) DO UPDATE SET count = conversation_unreads.count + excluded.count, "
           "since = LEAST(conversation_unreads.since, excluded.since)")
_NOTIFY = ("INSERT INTO notifications (workspace_id, user_id, type, conversation_id, text, count, channels, created_at, "
           "push_pending, email_pending) SELECT c.workspace_id, u.id, 'new_conversation', c.id, %s, 1, "
           "COALESCE(p.channels, 1) & 15, %s, false, false FROM conversations c JOIN users u "
           "ON u.workspace_id = c.workspace_id LEFT JOIN notification_preferences p ON p.user_id = u.id "
           "AND p.type = 'new_conversation' WHERE c.id = %s AND u.active AND c.assignee_id IS NULL "
           "AND (COALESCE(p.channels, 1) & 15) <> 0")
_LEAD = ("INSERT INTO leads (workspace_id, contact_id, conversation_id, status, source, source_detail, created_at, "
         "updated_at, stage_changed_at) VALUES (%s, %s, %s, 'new', 'dm', '{}', %s, %s, %s) "
         "ON CONFLICT (contact_id) DO NOTHING")
_TOUCH = ("UPDATE conversations SET unread_count = %s, last_message_at = %s, last_message_preview = %s, "
          "last_inbound_at = %s, waiting_since = %s, last_speaker = 'customer', first_customer_at = %s, updated_at = %s "
          "WHERE id = %s")
_HEARD = "UPDATE instagram_accounts SET last_webhook_at = %s, updated_at = %s WHERE id = %s"
_LOG = ("INSERT INTO webhook_events (body, received_at, attempts, status, applied_at, event_count, ig_account_ids, "
        "workspace_id) VALUES (%s, %s, 1, 'applied', %s, 1, %s, %s) RETURNING id")


@app.post("/bench/ref/ingest-sql")
def bench_ingest_sql():
    body = request.get_data()
    if not _signed(body):
        return Response("bad signature", status=401)
    entry = json.loads(body)["entry"][0]
    event = entry["messaging"][0]
    now = datetime.now(timezone.utc)
    at = datetime.fromtimestamp(event["timestamp"] / 1000, timezone.utc)
    text, igsid = event["message"]["text"], event["sender"]["id"]
    jobs = []
    conn = _pg_tx()
    with conn.transaction():
        account_id, workspace_id, last_webhook_at, _listened, automates = conn.execute(_ACCOUNT, (entry["id"],)).fetchone()
        thread = conn.execute(_THREAD, (account_id, igsid)).fetchone()
        new = thread is None
        if new:
            row = conn.execute(_NEW_CONTACT, (workspace_id, account_id, igsid, now)).fetchone()
            contact_id = row[0] if row else conn.execute(
                "SELECT id FROM contacts WHERE account_id = %s AND igsid = %s", (account_id, igsid)).fetchone()[0]
            row = conn.execute(_NEW_CONVERSATION, (workspace_id, account_id, contact_id, at, now, now)).fetchone()
            conversation_id = row[0] if row else conn.execute(
                "SELECT id FROM conversations WHERE account_id = %s AND contact_id = %s AND kind = 'dm' FOR UPDATE",
                (account_id, contact_id)).fetchone()[0]
            unread, first_customer_at = 0, at
            jobs.append(("fetch_contact_profile", contact_id))
        else:
            conversation_id, unread, first_customer_at = thread[0], thread[2], thread[8] or at
        row = conn.execute(_MESSAGE, (account_id, event["message"]["mid"], text, json.dumps(event), at, conversation_id,
                                      now, now)).fetchone()
        if row is not None:
            if automates:
                jobs.append(("run_automation_for_message", row[0]))
            conn.execute(_UNREAD, (at, conversation_id))
            if new:
                conn.execute(_NOTIFY, (text[:200], now, conversation_id))
                conn.execute(_LEAD, (workspace_id, contact_id, conversation_id, now, now, now))
            conn.execute(_TOUCH, (unread + 1, at, text[:200], at, at, first_customer_at, now, conversation_id))
        if last_webhook_at is None or last_webhook_at <= now - timedelta(seconds=30):
            conn.execute(_HEARD, (now, now, account_id))
        conn.execute(_LOG, (body, now, now, entry["id"], workspace_id))
    # What RQ's enqueue_many writes for each job, in one pipeline: the job's hash and the queue entry.
    pipe = _redis.pipeline()
    for func, arg in jobs:
        job_id = str(uuid.uuid4())
        pipe.hset(f"bench:ref:job:{job_id}", mapping={"func": func, "arg": arg, "created_at": now.isoformat(),
                                                       "status": "queued", "origin": "default"})
        pipe.expire(f"bench:ref:job:{job_id}", 3600)
        pipe.rpush("bench:ref:queue:default", job_id)
    pipe.execute()
    return Response("ok", mimetype="text/plain")


from app.extensions import csrf  # noqa: E402

csrf.exempt(bench_ingest)
csrf.exempt(bench_ingest_sql)
csrf.exempt(bench_ping)
