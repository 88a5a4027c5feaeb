"""The list's bulk actions: assign, label, resolve, mark read or unread (for me) several
conversations at once (`POST /conversations/bulk`, app.inbox.routes).

They are the single actions' rules (app.inbox.actions, app.labels.tagging) applied to a selection:
every selected id must be a conversation of the user's workspace, or the whole request is refused
as a 404 before anything changes; every check passes before the one commit."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort
from sqlalchemy.orm import joinedload

from app.errors import ActionRefused
from app.extensions import db
from app.inbox import actions
from app.inbox.queries import NO_SUCH_CONVERSATION
from app.labels.catalog import label_name
from app.labels.tagging import label_conversations
from app.models import Conversation, User
from app.scoping import scoped, valid_id

MAX_SELECTED = 200  # more than any page shows; a longer list is not a person's selection
ACTIONS = ("assign", "label", "unlabel", "resolve", "read", "unread")
UNSET = object()


@dataclass
class Outcome:
    done: str                                                   # the status line, for people
    seen: list[Conversation] = field(default_factory=list)      # owed Instagram's "seen" receipt


def selected(raw_ids: list[str]) -> list[Conversation]:
    """The selected conversations, in id order; 404 when any id is not one of the workspace's."""
    if not raw_ids:
        raise ActionRefused("ids", "Select at least one conversation.")
    ids = [valid_id(raw) for raw in raw_ids]
    if None in ids:
        abort(404, description=NO_SUCH_CONVERSATION)
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_SELECTED:
        raise ActionRefused("ids", f"Select at most {MAX_SELECTED} conversations at a time.")
    rows = list(db.session.scalars(
        scoped(Conversation).where(Conversation.id.in_(ids))
        .options(joinedload(Conversation.contact), joinedload(Conversation.account), joinedload(Conversation.assignee))
        .order_by(Conversation.id)
    ).unique())
    if len(rows) != len(ids):
        abort(404, description=NO_SUCH_CONVERSATION)
    return rows


def _count(n: int) -> str:
    return f"{n} conversation{'' if n == 1 else 's'}"


def apply(conversations: list[Conversation], action: str, by: User, *, assignee_id=UNSET,
          label: str | None = None) -> Outcome:
    """Do `action` to every conversation; ActionRefused (nothing changed) when a rule says no."""
    n = len(conversations)
    if action == "assign":
        if assignee_id is UNSET:
            raise ActionRefused("assignee", "Choose someone from the list.")
        actions.assign_all(conversations, assignee_id, by)
        who = "nobody" if assignee_id is None else (
            "you" if assignee_id == by.id else db.session.get(User, assignee_id).display_name)
        return Outcome(f"Assigned {_count(n)} to {who}.")
    if action == "resolve":
        actions.set_status_all(conversations, "resolved")
        return Outcome(f"Resolved {_count(n)}.")
    if action == "read":
        team_unread = actions.read_all(conversations, by)
        return Outcome(f"Marked {_count(n)} read.", seen=[c for c in conversations if c.id in team_unread])
    if action == "unread":
        actions.unread_all(conversations, by)
        return Outcome(f"Marked {_count(n)} unread.")
    if action in ("label", "unlabel"):
        name = (label or "").strip()
        if not name:
            raise ActionRefused("label", "Choose a label.")
        ids = [c.id for c in conversations]
        shown = label_name(name) or name
        if action == "label":
            label_conversations(ids, add=[name], by=by)
            return Outcome(f"Labelled {_count(n)} “{shown}”.")
        label_conversations(ids, remove=[name], by=by)
        return Outcome(f"Took the label “{shown}” off {_count(n)}.")
    raise ActionRefused("action", "Choose what to do with the selected conversations.")
