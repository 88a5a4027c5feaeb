"""Availability: whether a person can be given new conversations right now.

A person says "available" or "away" (the user menu, Settings → Profile). Saying "available" is not
enough: whoever has not made a request for the workspace's `auto_away_minutes` (0 = never) counts as
away too, so auto-assignment never hands a customer to someone who closed the laptop. This module is
the one home of that rule, as a Python function for one person (avatars) and as a SQL clause for the
auto-assignment query (app.assignment.auto), both built from `away_cutoff`.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, true

from app.auth.activity import SEEN_RESOLUTION
from app.errors import ActionRefused
from app.models import AVAILABILITIES, User, Workspace, utcnow

AUTO_AWAY_MINUTES = range(0, 1441)  # Settings → Workspace: 0 (never) to a day
LABELS = {"available": "Available", "away": "Away"}


def away_cutoff(auto_away_minutes: int, now: datetime | None = None) -> datetime | None:
    """The oldest `last_seen_at` that still counts as present, or None when auto-away is off.
    last_seen_at is written at most once a minute (app.auth.activity), so a person seen within the
    delay may carry a stamp up to that much older: the cutoff allows for it."""
    if not auto_away_minutes:
        return None
    return (now or utcnow()) - timedelta(minutes=auto_away_minutes) - SEEN_RESOLUTION


def effective_availability(user: User, workspace: Workspace | None = None, now: datetime | None = None) -> str:
    """"available" or "away", as avatars show it and as auto-assignment decides it."""
    if not user.active or user.availability != "available":
        return "away"
    cutoff = away_cutoff((workspace or user.workspace).auto_away_minutes, now)
    if cutoff is not None and (user.last_seen_at is None or user.last_seen_at < cutoff):
        return "away"
    return "available"


def available_clause(auto_away_minutes: int, now: datetime | None = None) -> ColumnElement[bool]:
    """`effective_availability(...) == "available"` as a WHERE clause on users, for a workspace
    whose delay is `auto_away_minutes`."""
    cutoff = away_cutoff(auto_away_minutes, now)
    seen = true() if cutoff is None else and_(User.last_seen_at.is_not(None), User.last_seen_at >= cutoff)
    return and_(User.active, User.availability == "available", seen)


def set_availability(user: User, value: str) -> None:
    """What the person says; the caller commits."""
    if value not in AVAILABILITIES:
        raise ActionRefused("availability", "Choose available or away.")
    user.availability = value


def check_auto_away_minutes(raw: str) -> int:
    """Settings → Workspace's field: a whole number of minutes, 0 to 1440."""
    raw = (raw or "").strip()
    if not (len(raw) <= 4 and raw.isascii() and raw.isdigit() and int(raw) in AUTO_AWAY_MINUTES):
        raise ActionRefused("auto_away_minutes", "Enter a whole number of minutes from 0 (never) to 1440 (a day).")
    return int(raw)
