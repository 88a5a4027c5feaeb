"""What the inbox templates need beyond plain Jinja: the sort keys, a countdown label, the note test.

The sort keys are a contract with the browser. Every conversation row, message, note and day
heading carries one in `data-key`, and static/js/app.js puts live items in their place by
comparing these keys *as strings*: placeRows (list rows, in descending key order whatever the
list's sort, by list_key) and
placeThreadItems, called by placeThread (the thread, oldest first, by item_key and day_key).
So a key must sort as a string exactly as its item sorts: fixed-width UTC timestamps and
zero-padded ids. Change the format here and the comparisons there together. The server sorts a
thread page with item_key too (app.inbox.queries), so both sides agree on one order.
(templating.register makes them template globals.)
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from app.inbox.localtime import day_start_utc
from app.models import MAX_ID, Conversation, Note, utcnow

_STAMP = "%Y-%m-%dT%H:%M:%S.%f"  # fixed width, so string order is time order


def list_key(conversation: Conversation, sort: str = "recent") -> str:
    """The list's order, e.g. "2024-05-01T09:30:00.000000|000000000042" (newest activity first).

    With sort "waiting" (longest wait first, ids ascending) the key must still sort descending as
    a string, so it is the complement of the wait's start and of the id, in fixed-width digits; a
    row nobody waits in gets "" (last: it is leaving that list)."""
    if sort == "waiting":
        if conversation.waiting_since is None:
            return ""
        micros = (conversation.waiting_since - _EPOCH) // timedelta(microseconds=1)
        return f"{_WAIT_CEILING - micros:020d}|{MAX_ID - conversation.id:012d}"
    moment = conversation.last_message_at.astimezone(timezone.utc)
    return f"{moment.strftime(_STAMP)}|{conversation.id:012d}"


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_WAIT_CEILING = 10**19  # microseconds: past any date the app stores (year 9999 is about 2.5e17)


def thread_key(moment: datetime, kind: str, row_id: int) -> str:
    """Thread order: the moment, then the kind ("0" day heading < "m" message < "n" note), then the id."""
    moment = moment.astimezone(timezone.utc)
    return f"{moment.strftime(_STAMP)}|{kind}|{row_id:012d}"


def item_key(item) -> str:
    """A message's or note's place in the thread: Meta's timestamp (ours for a note), then id."""
    return thread_key(item.created_at, "n" if isinstance(item, Note) else "m", item.id)


def day_key(day: date) -> str:
    """A day heading sorts before every item of that (local) day."""
    return thread_key(day_start_utc(day).astimezone(timezone.utc), "0", 0)


def countdown(moment) -> str:
    """How long until `moment`, for the reply window's countdown ("2 h 05 min", "45 min"); the
    browser keeps it current (static/js/app.js, data-closes-at)."""
    minutes = max(0, int((moment - utcnow()).total_seconds() // 60))
    if minutes < 1:
        return "under a minute"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def is_note(item) -> bool:
    return isinstance(item, Note)
