"""Jinja filters and globals: the small formatting filters every page shares, and register(),
the one place where every filter, test and global a template can use is named."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask
from flask_login import current_user


def relative_time(value: datetime | None, now: datetime | None = None) -> str:
    """"now", "5m", "3h", "Tue", "12 Mar" — the compact form inbox lists use; the day and date
    in the viewer's zone, as every other time on the page (app.inbox.localtime)."""
    from app.inbox.localtime import to_local

    if value is None:
        return ""
    now = now or datetime.now(timezone.utc)
    seconds = (now - value).total_seconds()
    if seconds >= 86400:
        value, now = to_local(value), to_local(now)
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    if seconds < 6 * 86400:
        return value.strftime("%a")
    if value.year == now.year:
        return value.strftime("%-d %b")
    return value.strftime("%-d %b %Y")


def epoch_ms(value: datetime | None) -> int:
    """A moment as milliseconds since 1970 (0 for none): how data-* attributes carry an order or
    a version that static/js compares as numbers."""
    return int(value.timestamp() * 1000) if value else 0


def initials(name: str | None) -> str:
    words = [w for w in (name or "").replace("@", " ").replace("_", " ").replace(".", " ").split() if w]
    if not words:
        return "?"
    return (words[0][0] + (words[1][0] if len(words) > 1 else "")).upper()


def iso(value: datetime | None) -> str:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if value else ""


def avatar_hue(seed: str | int | None) -> int:
    """A stable colour per contact so initials avatars are told apart at a glance."""
    return sum(str(seed or "").encode()) * 37 % 360


def safe_url(url: str | None) -> str | None:
    """Instagram text is untrusted: only http(s) links ever reach an href or src."""
    if url and url.strip().lower().startswith(("https://", "http://")):
        return url.strip()
    return None


def my_unread_total() -> int:
    from app.notifications.feed import page_counts

    if not current_user or not current_user.is_authenticated:
        return 0
    return page_counts(current_user).unread  # read with the bell's state, in one statement


def register(app: Flask) -> None:
    """Every filter, test and global a template can use, named in this one place; the comment on
    each says which module owns it. The imports sit here, not at the top, because those modules
    import this one (for iso, safe_url and avatar_hue)."""
    from app.accounts.attention import accounts_needing_attention
    from app.automation.llm import llm_configured
    from app.demo.access import user_may_simulate
    from app.inbox.display import countdown, day_key, is_note, item_key, list_key
    from app.inbox.drafts import draft_text, my_draft_previews
    from app.inbox.viewers import HEARTBEAT as VIEWERS_HEARTBEAT
    from app.leads.board_live import POLL_EVERY as BOARD_POLL_EVERY
    from app.inbox.mentions import note_parts
    from app.inbox.localtime import clock, day_label, full_datetime, local_day, short_datetime
    from app.inbox.queries import badge_count
    from app.inbox.search import search_hit, search_mark, search_term
    from app.inbox.speakers import speaker_label
    from app.inbox.unread import mine as my_unread
    from app.notifications.reading import notified_about
    from app.labels.catalog import current_workspace_labels
    from app.labels.palette import label_class
    from app.leads.routes import SOURCE_LABELS
    from app.mail import mail_enabled
    from app.messages.content import UNSUPPORTED_NOTICE, content_of, kind_of, reaction_emoji
    from app.messages.links import linkify
    from app.messages.waiting import needs_reply, waited
    from app.outbound.media_store import attachment_expired
    from app.outbound.replies import REACTIONS
    from app.outbound.windows import closing_soon, window_closes_at
    from app.urls import links_elsewhere

    app.jinja_env.filters.update({
        "reltime": relative_time,  # app.templating
        "initials": initials,  # app.templating
        "iso": iso,  # app.templating
        "epoch_ms": epoch_ms,  # app.templating
        "hue": avatar_hue,  # app.templating
        "safe_url": safe_url,  # app.templating
        "badge_count": badge_count,  # app.inbox.queries
        "clock": clock,  # app.inbox.localtime
        "day_label": day_label,  # app.inbox.localtime
        "full_datetime": full_datetime,  # app.inbox.localtime
        "short_datetime": short_datetime,  # app.inbox.localtime
        "local_day": local_day,  # app.inbox.localtime
        "countdown": countdown,  # app.inbox.display
        "waited": waited,  # app.messages.waiting ("2 h": how long the customer has waited)
        "label_class": label_class,  # app.labels.palette (a label chip's colour class)
        "linkify": linkify,  # app.messages.links (escapes, then links http(s) addresses)
    })
    app.jinja_env.tests.update({
        "note": is_note,  # app.inbox.display
    })
    app.jinja_env.globals.update({
        "unread_total": my_unread_total,  # app.templating (the signed-in user's; the count is app.inbox.queries')
        "my_unread": my_unread,  # app.inbox.unread (a row's count for the signed-in user)
        "notified_about": notified_about,  # app.notifications.reading (an unread notification about it)
        "needs_reply": needs_reply,  # app.messages.waiting
        "speaker_label": speaker_label,  # app.inbox.speakers ("You", "Bot", a teammate: who spoke last)
        "search_hit": search_hit,  # app.inbox.search (a row's matching message in a search, highlighted)
        "search_mark": search_mark,  # app.inbox.search (a name with the search's matches marked)
        "search_term": search_term,  # app.inbox.search (what a `q` searches for: the found message's marks)
        "mail_enabled": mail_enabled,  # app.mail
        "accounts_needing_attention": accounts_needing_attention,  # app.accounts.attention (the reauth banner)
        # A function, so pages that never show the nav do not pay for the check.
        "demo_simulator_available": user_may_simulate,  # app.demo.access
        "ai_drafts_available": llm_configured,  # app.automation.llm
        "source_labels": SOURCE_LABELS,  # app.leads.routes
        "list_key": list_key,  # app.inbox.display (sort keys: see its docstring)
        "item_key": item_key,  # app.inbox.display
        "note_parts": note_parts,  # app.inbox.mentions (a note's text with its @mentions as parts)
        "day_key": day_key,  # app.inbox.display
        "reaction_emoji": reaction_emoji,  # app.messages.content
        "message_content": content_of,  # app.messages.content
        "message_kind": kind_of,  # app.messages.content
        "UNSUPPORTED_NOTICE": UNSUPPORTED_NOTICE,  # app.messages.content
        "reaction_choices": REACTIONS,  # app.outbound.replies (the reactions staff can send)
        "attachment_expired": attachment_expired,  # app.outbound.media_store
        "window_closes_at": window_closes_at,  # app.outbound.windows
        "closing_soon": closing_soon,  # app.outbound.windows
        "workspace_labels": current_workspace_labels,  # app.labels.catalog (the header's menu, the list filter)
        "draft_text": draft_text,  # app.inbox.drafts (the composer's box, restored)
        "my_draft_previews": my_draft_previews,  # app.inbox.drafts (the list rows' "Draft:")
        "viewers_heartbeat_ms": int(VIEWERS_HEARTBEAT.total_seconds() * 1000),  # app.inbox.viewers
        "board_poll_ms": int(BOARD_POLL_EVERY.total_seconds() * 1000),  # app.leads.board_live
        "demo_links_elsewhere": links_elsewhere,  # app.urls (demo served on another port than its links)
    })
