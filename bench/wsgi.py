"""The app as the Procfile serves it, plus reference endpoints for the benchmarks.

The references do the least a server could do for the same request, in the same gunicorn
workers, so a ratio against them measures our overhead rather than the machine:
- `/bench/ref/ping` — a bare Flask view;
- `/bench/ref/ingest` — checks the webhook HMAC, inserts the raw body with plain psycopg, pushes
  its id to Redis. Never part of the product: only this file mounts them.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import threading

import psycopg
import redis
from flask import Response, request

from app import create_app

app = create_app()
_local = threading.local()


def _pg():
    conn = getattr(_local, "pg", None)
    if conn is None or conn.closed:
        url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        conn = _local.pg = psycopg.connect(url, autocommit=True)
        conn.execute("CREATE TABLE IF NOT EXISTS bench_ref_events (id bigserial PRIMARY KEY, body bytea NOT NULL, "
                     "received_at timestamptz NOT NULL DEFAULT now())")
    return conn


_redis = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"))


@app.get("/bench/ref/ping")
def bench_ping():
    return Response("ok", mimetype="text/plain")


@app.post("/bench/ref/ingest")
def bench_ingest():
    body = request.get_data()
    expected = "sha256=" + hmac.new(app.config["INSTAGRAM_APP_SECRET"].encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("X-Hub-Signature-256", "")):
        return Response("bad signature", status=401)
    row_id = _pg().execute("INSERT INTO bench_ref_events (body) VALUES (%s) RETURNING id", (body,)).fetchone()[0]
    _redis.lpush("bench:ref:events", row_id)
    return Response("ok", mimetype="text/plain")


from app.extensions import csrf  # noqa: E402

csrf.exempt(bench_ingest)
csrf.exempt(bench_ping)
