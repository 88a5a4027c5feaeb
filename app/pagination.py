"""Opaque keyset cursors: a page boundary encoded so clients cannot depend on its shape.

Keyset (not offset) paging keeps every page an index range scan whatever the data size, and
never skips or repeats rows when new ones arrive between pages. The opaque encoding itself
(`encode_token`/`decode_token`) is also what the inbox's live tokens (app.inbox.live) are made of."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

from app.scoping import valid_json_id

MAX_LIMIT = 100
DEFAULT_LIMIT = 50
MAX_CURSOR_LENGTH = 200  # ours are about 60 characters; longer ones are not decoded at all


class BadCursor(ValueError):
    pass


def encode_token(payload) -> str:
    """`payload` (anything JSON holds) as an opaque, URL-safe string: compact JSON with sorted
    keys, in base64url without padding. Page cursors and the inbox's live tokens are made here."""
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_token(token, max_length: int):
    """The JSON value `encode_token` made `token` from; ValueError for anything else. The length
    is capped before decoding and RecursionError caught, so deeply nested JSON is refused, not a
    500 (F-12). What the value must look like is the caller's to check."""
    if not isinstance(token, str) or len(token) > max_length:
        raise ValueError("token is not valid")
    try:
        padded = token + "=" * (-len(token) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, UnicodeDecodeError, RecursionError):
        raise ValueError("token is not valid") from None


def encode_cursor(timestamp: datetime, row_id: int) -> str:
    return encode_token([timestamp.isoformat(), row_id])


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """(moment, id) from a cursor; BadCursor for anything else."""
    try:
        stamp, row_id = decode_token(cursor, MAX_CURSOR_LENGTH)
        if not isinstance(stamp, str) or valid_json_id(row_id) is None:
            raise TypeError
        moment = datetime.fromisoformat(stamp)
        if moment.tzinfo is None:
            raise ValueError
        # Normalised here: an offset that pushes the moment past year 1 or 9999 would otherwise
        # only fail when the query binds it.
        return moment.astimezone(timezone.utc), row_id
    except (ValueError, TypeError, OverflowError):
        raise BadCursor("cursor is not valid") from None


def clamp_limit(value, default: int = DEFAULT_LIMIT) -> int:
    """Page size from user input: invalid → ValueError, too large → MAX_LIMIT."""
    if value in (None, ""):
        return default
    limit = int(value)
    if limit < 1:
        raise ValueError("limit must be at least 1")
    return min(limit, MAX_LIMIT)
