"""Fixed-window counters for throttling (failed logins, API calls).

Backed by Redis when REDIS_URL is set, so every web process shares the count; in-process
otherwise (single-process development and tests).
"""
from __future__ import annotations

import threading
import time

from flask import current_app
from redis.exceptions import RedisError

from app.jobs import redis_connection


class _MemoryCounters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}

    def incr(self, key: str, window: int) -> int:
        now = time.monotonic()
        with self._lock:
            count, expires = self._counts.get(key, (0, now + window))
            if expires <= now:
                count, expires = 0, now + window
            self._counts[key] = (count + 1, expires)
            return count + 1

    def get(self, key: str) -> int:
        with self._lock:
            count, expires = self._counts.get(key, (0, 0.0))
            return count if expires > time.monotonic() else 0

    def ttl(self, key: str) -> int:
        with self._lock:
            _, expires = self._counts.get(key, (0, 0.0))
            return max(0, int(expires - time.monotonic()) + 1)

    def clear(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)


def _memory() -> _MemoryCounters:
    return current_app.extensions.setdefault("rate_limit_memory", _MemoryCounters())


def _redis_key(key: str) -> str:
    return f"igdm:rl:{key}"


def hit(key: str, window: int) -> int:
    """Count one event in the window starting at the first one; returns the count so far."""
    conn = redis_connection()
    if conn is not None:
        try:
            pipe = conn.pipeline()
            pipe.incr(_redis_key(key))
            pipe.expire(_redis_key(key), window, nx=True)
            return int(pipe.execute()[0])
        except RedisError:
            pass  # Redis trouble must not lock everyone out: fall back to this process's count
    return _memory().incr(key, window)


def count(key: str) -> int:
    conn = redis_connection()
    if conn is not None:
        try:
            return int(conn.get(_redis_key(key)) or 0)
        except RedisError:
            pass
    return _memory().get(key)


def retry_after(key: str) -> int:
    conn = redis_connection()
    if conn is not None:
        try:
            return max(1, int(conn.ttl(_redis_key(key))))
        except RedisError:
            pass
    return max(1, _memory().ttl(key))


def clear(key: str) -> None:
    conn = redis_connection()
    if conn is not None:
        try:
            conn.delete(_redis_key(key))
        except RedisError:
            pass
    _memory().clear(key)
