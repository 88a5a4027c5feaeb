"""Webhook ingestion throughput: signed one-message deliveries to /webhooks/instagram, applied in
full (contact, conversation, message, lead rows; follow-up jobs queued in Redis), against a
reference endpoint in the same server that only checks the HMAC, inserts the raw body with plain
psycopg and pushes its id to Redis.

Targets: >= 0.5 of the reference's throughput; p99 <= 100 ms at 32 connections; every delivery
stored exactly once (webhook_events and messages counted afterwards).
Run: python bench/bench_ingest.py
"""
from __future__ import annotations

import hashlib
import hmac
import json
import sys
import time

from harness import Server, alternating, bench_env, load, machine_line, psql, ratio_line, reset_database

ACCOUNT_ID = "17841400000000001"
CUSTOMERS = 2000
REQUESTS = 4000
CONNECTIONS = 32


def delivery(run: str, worker: int, i: int) -> bytes:
    now_ms = int(time.time() * 1000)
    customer = 9_000_000 + (worker * 7919 + i) % CUSTOMERS
    body = {"object": "instagram", "entry": [{"id": ACCOUNT_ID, "time": now_ms, "messaging": [{
        "sender": {"id": str(customer)}, "recipient": {"id": ACCOUNT_ID}, "timestamp": now_ms,
        "message": {"mid": f"bench-{run}-{worker}-{i}", "text": f"Is the blue one still available? ({i})"}}]}]}
    return json.dumps(body, separators=(",", ":")).encode()


def main() -> int:
    env = bench_env()
    secret = env["INSTAGRAM_APP_SECRET"].encode()
    reset_database(env)
    psql(env, "INSERT INTO workspaces (name, human_agent_enabled, mark_seen_enabled, created_at) VALUES ('Bench', false, true, now())")
    psql(env, "INSERT INTO instagram_accounts (workspace_id, ig_user_id, username, status, webhook_subscribed, is_demo, created_at, updated_at) "
              f"SELECT id, '{ACCOUNT_ID}', 'bench_shop', 'active', true, false, now(), now() FROM workspaces WHERE name = 'Bench'")

    def factory_for(path: str, run: str):
        def factory(worker: int, i: int):
            body = delivery(run, worker, i)
            signature = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
            return ("POST", path, body, {"Content-Type": "application/json", "X-Hub-Signature-256": signature})
        return factory

    rounds = 3
    counter = {"n": 0}

    def run(path: str, label: str):
        def go():
            counter["n"] += 1
            return load(label, server.port, factory_for(path, f"{label[:3]}{counter['n']}"), REQUESTS, connections=CONNECTIONS)
        return go

    with Server(env, workers=2, threads=8) as server:
        load("warmup", server.port, factory_for("/webhooks/instagram", "warm"), 200, connections=8)
        load("warmup", server.port, factory_for("/bench/ref/ingest", "warm"), 200, connections=8)
        results = alternating(rounds, {"reference": run("/bench/ref/ingest", "reference (hmac+insert+lpush)"),
                                       "ingest": run("/webhooks/instagram", "ingest (full apply)")})
    ours = results["ingest"]
    ratio = results.ratio("ingest", "reference")
    stored = int(psql(env, "SELECT count(*) FROM webhook_events WHERE convert_from(body, 'UTF8') LIKE '%bench-ing%'") or 0)
    messages = int(psql(env, "SELECT count(*) FROM messages WHERE mid LIKE 'bench-ing%'") or 0)
    sent = rounds * REQUESTS
    print(machine_line())
    print(ratio_line("ingest/reference throughput", ratio, target=">= 0.5"))
    print(f"ingest p99 at {CONNECTIONS} connections: {ours.pct(99):.1f} ms (target <= 100 ms)")
    print(f"deliveries sent {sent}, stored {stored}, messages {messages} (target: all equal)")
    ok = ratio >= 0.5 and ours.pct(99) <= 100 and stored == messages == sent and ours.errors == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
