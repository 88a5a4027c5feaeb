"""Workspace isolation in one place.

Every page and API route reaches conversations, messages, leads, contacts and accounts through
these functions, which add the current user's workspace to the query. An id from another
workspace is indistinguishable from one that does not exist: 404.
"""
from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select

from app.extensions import db
from app.models import MAX_ID, Conversation, Message


def current_workspace_id() -> int:
    if not current_user or not current_user.is_authenticated:
        abort(401)
    return current_user.workspace_id


def scoped(model) -> Select:
    """`SELECT model` limited to the current workspace (models carrying `workspace_id`)."""
    return select(model).where(model.workspace_id == current_workspace_id())


def valid_id(value) -> int | None:
    """`value` as a row id, or None when it cannot be one: not an integer or a string of ASCII
    digits, or outside 1..MAX_ID (PostgreSQL refuses an int4 comparison with a larger value:
    NumericValueOutOfRange). The one home of that rule for every id from outside that reaches a
    query: paths, forms, query strings, JSON bodies, cursors, tokens, session cookies."""
    if isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.isdigit() and len(value) <= 10):
            return None
        value = int(value)
    elif isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 1 <= value <= MAX_ID else None


def valid_json_id(value) -> int | None:
    """`valid_id` for a value decoded from JSON (an API body, a cursor, a live token), where an id
    is a number: a string of digits is not one."""
    return valid_id(value) if isinstance(value, int) else None


def id_or_404(object_id) -> int:
    object_id = valid_id(object_id)
    if object_id is None:
        abort(404)
    return object_id


def get_or_404(model, object_id):
    """The row with this id in the current workspace, or 404."""
    object_id = id_or_404(object_id)
    row = db.session.scalar(scoped(model).where(model.id == object_id))
    if row is None:
        abort(404)
    return row


def get_message_or_404(message_id) -> Message:
    """Messages are scoped through their conversation."""
    message_id = id_or_404(message_id)
    row = db.session.scalar(
        select(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.id == message_id, Conversation.workspace_id == current_workspace_id())
    )
    if row is None:
        abort(404)
    return row
