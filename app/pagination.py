"""Opaque keyset cursors: a page boundary encoded so clients cannot depend on its shape.

Keyset (not offset) paging keeps every page an index range scan whatever the data size, and
never skips or repeats rows when new ones arrive between pages."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

from app.models import MAX_ID

MAX_LIMIT = 100
DEFAULT_LIMIT = 50
MAX_CURSOR_LENGTH = 200  # ours are about 60 characters; longer ones are not decoded at all


class BadCursor(ValueError):
    pass


def encode_cursor(timestamp: datetime, row_id: int) -> str:
    raw = json.dumps([timestamp.isoformat(), row_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """(moment, id) from a cursor; BadCursor for anything else. The length is capped before
    decoding and RecursionError caught, so deeply nested JSON is refused, not a 500 (F-12)."""
    if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR_LENGTH:
        raise BadCursor("cursor is not valid")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(stamp, str):
            raise TypeError
        if not isinstance(row_id, int) or isinstance(row_id, bool) or not 0 <= row_id <= MAX_ID:
            raise TypeError
        moment = datetime.fromisoformat(stamp)
        if moment.tzinfo is None:
            raise ValueError
        # Normalised here: an offset that pushes the moment past year 1 or 9999 would otherwise
        # only fail when the query binds it.
        return moment.astimezone(timezone.utc), row_id
    except (ValueError, TypeError, OverflowError, RecursionError, UnicodeDecodeError):
        raise BadCursor("cursor is not valid") from None


def clamp_limit(value, default: int = DEFAULT_LIMIT) -> int:
    """Page size from user input: invalid → ValueError, too large → MAX_LIMIT."""
    if value in (None, ""):
        return default
    limit = int(value)
    if limit < 1:
        raise ValueError("limit must be at least 1")
    return min(limit, MAX_LIMIT)
