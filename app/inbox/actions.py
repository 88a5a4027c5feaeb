"""What staff do to a conversation, as plain functions the pages, the list's bulk actions and the
JSON API all call.

Each function validates, changes the rows and commits; errors are `app.errors.ActionRefused` with a
readable message naming the field, so a route only translates them into its own kind of response.
The bulk forms (`read_all`, `unread_all`, `set_status_all`, `assign_all`) apply the same rules to
several conversations of one workspace and commit once, after every check has passed."""
from __future__ import annotations

from datetime import datetime, timedelta

from app.auth.users import workspace_member
from app.errors import ActionRefused
from app.extensions import db
from app.inbox import unread
from app.inbox.mentions import mentioned_members, named_in, record as record_mentions
from app.integrations import events as webhook_events
from app.leads import ownership
from app.messages import waiting
from app.notifications import events as notification_events, reading as notification_reading
from app.models import CONVERSATION_STATUSES, Conversation, Note, User, utcnow


def mark_read(conversation: Conversation, user: User) -> bool:
    """`user` has read the conversation: their own unread goes, nobody else's. Returns whether
    the team as a whole had unread messages there (the caller may owe Instagram a "seen")."""
    return conversation.id in read_all([conversation], user)


def read_all(conversations: list[Conversation], user: User) -> set[int]:
    """`mark_read` for several conversations; returns the ids the team had not read yet."""
    team_unread = {c.id for c in conversations if c.unread_count}
    now = utcnow()
    for conversation in conversations:
        if conversation.unread_count:
            conversation.unread_count = 0  # nobody had read these; now someone has
    db.session.flush()  # the conversation rows first: ingestion locks them before the unread rows
    changed = set(unread.clear(user.id, [c.id for c in conversations])) | team_unread
    notification_reading.read_conversations(user.id, [c.id for c in conversations])  # the bell agrees
    # updated_at moves whenever the reader's own state changed, so their other devices (and the
    # list the reader has open) re-render the row on the next poll (app/inbox/live.py).
    for conversation in conversations:
        if conversation.id in changed:
            conversation.updated_at = now
    db.session.commit()
    return team_unread


def mark_unread(conversation: Conversation, user: User) -> None:
    """"Mark unread", for `user` only: their count becomes at least 1."""
    unread_all([conversation], user)


def unread_all(conversations: list[Conversation], user: User) -> None:
    now = utcnow()
    for conversation in conversations:
        conversation.updated_at = now  # the user's other devices re-render the row
    db.session.flush()
    unread.restore(user.id, conversations)
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
    set_status_all([conversation], status, snoozed_until)


def set_status_all(conversations: list[Conversation], status: str, snoozed_until: datetime | None = None) -> None:
    check_status(status, snoozed_until)
    for conversation in conversations:
        was = conversation.status
        conversation.snoozed_until = snoozed_until if status == "snoozed" else None
        conversation.status = status
        if status == "resolved":
            waiting.note_resolved(conversation)  # resolving counts as handled (app.messages.waiting)
        elif was == "resolved":
            waiting.note_reopened(conversation)  # and reopening undoes it
    db.session.commit()


def check_assignee(conversation: Conversation, assignee_id: int | None) -> None:
    """The rule of `assign`: an active user of the same workspace, or nobody (None)."""
    if assignee_id is not None:
        workspace_member(conversation.workspace_id, assignee_id, field="assignee_id")


def assign(conversation: Conversation, assignee_id: int | None, by: User | None = None) -> None:
    """Assign to an active user of the same workspace, or to nobody (None). `by`: who did it (the
    assignee is notified unless it is them; None for the app itself)."""
    assign_all([conversation], assignee_id, by)


def assign_all(conversations: list[Conversation], assignee_id: int | None,
               by: User | None = None) -> list[Conversation]:
    """`assign` for several conversations of one workspace; returns those whose assignee changed.
    The new assignee's notifications are written in the same commit (app.notifications.events)."""
    if conversations:
        check_assignee(conversations[0], assignee_id)
    changed = [c for c in conversations if c.assignee_id != assignee_id]
    now = utcnow()
    for conversation in changed:
        conversation.assignee_id = assignee_id
        # A person's choice (or clearing it): auto-assignment never overrides an assignee (app.assignment.auto).
        conversation.assignment_reason = "manual" if assignee_id is not None else None
        conversation.assigned_at = now if assignee_id is not None else None
    ownership.follow_assignees(changed, now)  # their leads without an owner become the assignee's
    notification_events.conversations_assigned(changed, assignee_id, by)
    webhook_events.conversations_assigned(changed)  # conversation.assigned, same commit (app.integrations)
    db.session.commit()
    return changed


def add_note(conversation: Conversation, author: User, body: str, mentions=None, *,
             only_named: bool = False) -> Note:
    """A private note, the teammates it mentions (user ids; each an active member of the
    workspace) and their notifications, committed together. `only_named`: keep only the mentions
    whose `@Display Name` is still in the text (the page's picker; app.inbox.mentions)."""
    body = (body or "").strip()
    if not body:
        raise ActionRefused("body", "a note cannot be empty")
    if len(body) > 5000:
        raise ActionRefused("body", "a note can be at most 5000 characters")
    people = mentioned_members(conversation.workspace_id, mentions)
    if only_named:
        people = named_in(body, people)
    note = Note(conversation_id=conversation.id, author_id=author.id, body=body)
    db.session.add(note)
    db.session.flush()  # the mention rows need the note's id
    record_mentions(note, people, author, conversation.workspace_id)
    conversation.updated_at = utcnow()  # other staff's open views (and Mentions lists) pick the note up
    db.session.commit()
    return note
