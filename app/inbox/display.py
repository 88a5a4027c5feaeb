"""What the inbox templates need beyond plain Jinja: the sort keys that let the browser put live
rows and messages in their place, and small labels."""
from __future__ import annotations

from datetime import date, timezone

from app.inbox.localtime import day_start_utc, local_day
from app.inbox.queries import item_sort_key, thread_key
from app.messages.content import UNSUPPORTED_NOTICE, content_of, kind_of, reaction_emoji
from app.models import Conversation, Note, utcnow
from app.outbound.windows import closing_soon, window_closes_at


def list_key(conversation: Conversation) -> str:
    """The list's order (newest activity first) as a string the browser can compare."""
    moment = conversation.last_message_at.astimezone(timezone.utc)
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%S.%f')}|{conversation.id:012d}"


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


def register(bp) -> None:
    bp.add_app_template_global(list_key, "list_key")
    bp.add_app_template_global(item_sort_key, "item_key")
    bp.add_app_template_global(day_key, "day_key")
    bp.add_app_template_global(reaction_emoji, "reaction_emoji")
    bp.add_app_template_global(content_of, "message_content")
    bp.add_app_template_global(kind_of, "message_kind")
    bp.add_app_template_global(UNSUPPORTED_NOTICE, "UNSUPPORTED_NOTICE")
    bp.add_app_template_filter(local_day, "local_day")
    bp.add_app_template_test(is_note, "note")
    bp.add_app_template_global(window_closes_at, "window_closes_at")
    bp.add_app_template_global(closing_soon, "closing_soon")
    bp.add_app_template_filter(countdown, "countdown")
