"""Job functions for the worker benchmark only (never enqueued by the app).

`noop` is the reference: an RQ job that does nothing, run by the same worker class as the real
jobs, so the ratio measures what our jobs add to RQ's own per-job cost (fork, Redis bookkeeping,
app context)."""
from __future__ import annotations


def noop(n: int) -> int:
    return n
