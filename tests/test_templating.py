"""The template helpers: one registry (app.templating.register) and the sort keys the browser
compares as strings (app/inbox/display.py, static/js/app.js)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

from app.inbox.display import day_key, item_key, list_key
from app.models import Message, Note


def test_templates_cannot_mark_text_safe(app):
    # Markup in a template would let Instagram text through unescaped.
    assert "Markup" not in app.jinja_env.globals


def test_the_registry_names_every_helper_the_templates_use(app):
    env = app.jinja_env
    for name in ("reltime", "iso", "badge_count", "clock", "day_label", "local_day", "countdown"):
        assert name in env.filters, name
    assert "note" in env.tests
    for name in ("unread_total", "accounts_needing_attention", "demo_simulator_available", "ai_drafts_available",
                 "source_labels", "list_key", "item_key", "day_key", "message_content", "reaction_choices",
                 "attachment_expired", "closing_soon", "mail_enabled"):
        assert name in env.globals, name


def test_sort_keys_sort_as_strings_exactly_as_their_items_sort(app):
    at = datetime(2024, 5, 1, 9, 30, tzinfo=timezone.utc)
    # Whole seconds and ids of different lengths: the format must not let string order differ.
    items = [Message(id=10, created_at=at), Message(id=9, created_at=at + timedelta(microseconds=1)),
             Note(id=2, created_at=at + timedelta(microseconds=1)), Message(id=100, created_at=at + timedelta(seconds=1))]
    assert sorted(items, key=item_key) == items
    assert [item_key(i) for i in items] == sorted(item_key(i) for i in items)
    rows = [SimpleNamespace(id=ident, last_message_at=when) for ident, when in
            [(5, at), (40, at), (3, at + timedelta(microseconds=500)), (1, at + timedelta(days=1))]]
    assert sorted(rows, key=list_key) == rows
    with app.test_request_context():  # no zone chosen: days are UTC
        assert day_key(date(2024, 5, 1)) < item_key(Message(id=1, created_at=datetime(2024, 5, 1, tzinfo=timezone.utc)))
        assert day_key(date(2024, 5, 2)) > item_key(items[-1])


def test_a_rows_day_and_date_are_the_viewers(app):
    """reltime's "Tue" and "12 Mar" are the viewer's day, as the row's tooltip and every other time."""
    from app.templating import relative_time

    now = datetime(2024, 5, 8, 12, 0, tzinfo=timezone.utc)
    sent = datetime(2024, 5, 5, 23, 30, tzinfo=timezone.utc)  # Sunday in UTC, Monday morning in Tokyo
    assert relative_time(sent, now) == "Sun"  # outside a request: UTC
    with app.test_request_context("/", headers={"Cookie": "tz=Asia/Tokyo"}):
        assert relative_time(sent, now) == "Mon"
        assert relative_time(now - timedelta(hours=2), now) == "2h"
        assert relative_time(datetime(2024, 1, 31, 20, 0, tzinfo=timezone.utc), now) == "1 Feb"
        assert relative_time(datetime(2023, 12, 31, 20, 0, tzinfo=timezone.utc), now) == "1 Jan"
