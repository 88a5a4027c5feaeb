"""How fast the history import calls Meta: the Conversations API allows about 2 calls per second
per account, so every call first takes a slot from the account's import row.

The slot lives in the database (`AccountImport.next_call_ms`), taken and moved on in one UPDATE:
two workers importing for the same account (a retry overlapping a slow job, two clocks) share one
pace, on PostgreSQL and SQLite alike, with or without Redis. A rate-limit answer pushes the slot
back (`hold_off`), so every worker waits, not only the one that was refused.

Time comes from `clock()`, which tests replace with a fake one whose `sleep` moves its own time:
pacing is checked by counting calls per second of that clock, never by sleeping.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import case, update

from app.extensions import db
from app.models import AccountImport

# 0.6 s between calls: 1.67 calls/s, under Meta's ~2/s with room for the clocks of two workers.
CALL_INTERVAL_MS = 600


@dataclass(frozen=True)
class Clock:
    now_ms: Callable[[], int]
    sleep: Callable[[float], None]  # seconds


SYSTEM_CLOCK = Clock(now_ms=lambda: int(time.time() * 1000), sleep=time.sleep)
_clock = SYSTEM_CLOCK


def clock() -> Clock:
    return _clock


def use_clock(new: Clock) -> Clock:
    """Replace the clock (tests); returns the one it replaced."""
    global _clock
    previous, _clock = _clock, new
    return previous


def take_slot(import_id: int, interval_ms: int = CALL_INTERVAL_MS) -> int:
    """Reserve the account's next call slot and commit it; returns how many ms to wait for it.
    Commits the session: call it with nothing else pending."""
    now = clock().now_ms()
    start = case((AccountImport.next_call_ms > now, AccountImport.next_call_ms), else_=now)
    slot_end = db.session.execute(
        update(AccountImport).where(AccountImport.id == import_id)
        .values(next_call_ms=start + interval_ms).returning(AccountImport.next_call_ms)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    db.session.commit()
    return max(0, slot_end - interval_ms - now)


def pace(import_id: int) -> None:
    """Wait for this account's next slot (the call to Meta follows)."""
    wait_ms = take_slot(import_id)
    if wait_ms:
        clock().sleep(wait_ms / 1000)


def hold_off(import_id: int, seconds: float) -> None:
    """Meta asked us to slow down: no call for this account before `seconds` from now, from any
    worker. In the caller's transaction."""
    until = clock().now_ms() + int(seconds * 1000)
    db.session.execute(
        update(AccountImport).where(AccountImport.id == import_id)
        .values(next_call_ms=case((AccountImport.next_call_ms > until, AccountImport.next_call_ms), else_=until))
        .execution_options(synchronize_session=False)
    )
