"""What `/health` reports: the database, the queue and the workers."""
from __future__ import annotations

import time

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.jobs import QUEUES, is_inline, redis_connection


def database_status() -> dict:
    started = time.perf_counter()
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}
    except SQLAlchemyError as exc:
        db.session.rollback()
        # The class name only: driver messages can carry the connection URL.
        return {"ok": False, "error": type(exc).__name__}


def queue_status() -> tuple[dict, dict]:
    if is_inline():
        return {"enabled": False, "mode": "inline", "depth": 0}, {"running": True, "count": 0, "mode": "inline"}
    from rq import Queue, Worker

    conn = redis_connection()
    try:
        depth = sum(Queue(name, connection=conn).count for name in QUEUES)
        workers = Worker.count(connection=conn)
        return {"enabled": True, "ok": True, "depth": depth}, {"running": workers > 0, "count": workers}
    except RedisError as exc:
        return ({"enabled": True, "ok": False, "depth": 0, "error": type(exc).__name__},
                {"running": False, "count": 0})


def health_report() -> tuple[dict, int]:
    database = database_status()
    queue, worker = queue_status()
    healthy = database["ok"] and queue.get("ok", True) and worker["running"]
    report = {"status": "ok" if healthy else "degraded",
              "services": {"db": database, "queue": queue, "worker": worker},
              "mode": {"demo": current_app.config["DEMO_MODE"], "jobs": "inline" if is_inline() else "queued"}}
    return report, 200 if database["ok"] else 503
