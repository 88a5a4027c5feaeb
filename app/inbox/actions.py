"""What staff do to a conversation, as plain functions the pages and the JSON API both call.

Each function validates, changes the row and commits; errors are `app.errors.ActionRefused` with a
readable message naming the field, so a route only translates them into its own kind of response."""
from __future__ import annotations

from datetime import datetime, timedelta

from app.auth.users import workspace_member
from app.errors import ActionRefused
from app.extensions import db
from app.models import CONVERSATION_STATUSES, Conversation, Note, User, utcnow


def mark_read(conversation: Conversation) -> None:
    if conversation.unread_count:
        conversation.unread_count = 0
        db.session.commit()


def mark_unread(conversation: Conversation) -> None:
    conversation.unread_count = max(conversation.unread_count, 1)
    db.session.commit()


def check_status(status: str, snoozed_until: datetime | None = None) -> None:
    """The rules of `set_status`, on their own so a caller changing several fields at once can
    check them all before anything is committed."""
    if status not in CONVERSATION_STATUSES:
        raise ActionRefused("status", f"status must be one of {', '.join(CONVERSATION_STATUSES)}")
    if status == "snoozed":
        if snoozed_until is None:
            raise ActionRefused("snoozed_until", "choose until when to snooze")
        if snoozed_until.tzinfo is None:
            raise ActionRefused("snoozed_until", "snooze time needs a time zone")
        if snoozed_until <= utcnow():
            raise ActionRefused("snoozed_until", "snooze time must be in the future")
        if snoozed_until > utcnow() + timedelta(days=366):
            raise ActionRefused("snoozed_until", "snooze for at most a year")


def set_status(conversation: Conversation, status: str, snoozed_until: datetime | None = None) -> None:
    check_status(status, snoozed_until)
    conversation.snoozed_until = snoozed_until if status == "snoozed" else None
    conversation.status = status
    db.session.commit()


def check_assignee(conversation: Conversation, assignee_id: int | None) -> None:
    """The rule of `assign`: an active user of the same workspace, or nobody (None)."""
    if assignee_id is not None:
        workspace_member(conversation.workspace_id, assignee_id, field="assignee_id")


def assign(conversation: Conversation, assignee_id: int | None) -> None:
    """Assign to an active user of the same workspace, or to nobody (None)."""
    check_assignee(conversation, assignee_id)
    conversation.assignee_id = assignee_id
    db.session.commit()


def add_note(conversation: Conversation, author: User, body: str) -> Note:
    body = (body or "").strip()
    if not body:
        raise ActionRefused("body", "a note cannot be empty")
    if len(body) > 5000:
        raise ActionRefused("body", "a note can be at most 5000 characters")
    note = Note(conversation_id=conversation.id, author_id=author.id, body=body)
    db.session.add(note)
    conversation.updated_at = utcnow()  # other staff's open views pick the note up
    db.session.commit()
    return note
