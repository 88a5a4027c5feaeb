"""Which conversations carry which labels: adding and removing them one at a time (the thread
header), setting exactly a list (the API) and in bulk (`label_conversations`, for the list's bulk
actions).

Everyone may put the workspace's labels on conversations and take them off; a name that is not a
label yet is created only for an admin (`app.labels.catalog`). Every change bumps the
conversation's `updated_at`, which is how open inboxes learn of it (app/inbox/live.py re-renders
the rows whose `updated_at` moved), and its lead's, which is how an open board filtered by label
learns that a card joins or leaves it (app/leads/board_live.py)."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select, update

from app.errors import ActionRefused
from app.extensions import db
from app.inserts import insert_rows
from app.labels.catalog import create_label, find_label, valid_name
from app.models import Conversation, ConversationLabel, Label, Lead, User, utcnow
from app.scoping import valid_id

MAX_LABELS_PER_CONVERSATION = 20


def labels_for(workspace_id: int, names: Iterable[str], *, by: User, field: str = "labels") -> list[Label]:
    """The labels these (typed) names mean, in the order given and without repeats. A name that is
    not a label yet is created when `by` is an admin, refused otherwise; an invalid name is
    refused (ActionRefused naming `field`) before anything is created."""
    wanted = list(dict.fromkeys(valid_name(name, field) for name in names))
    labels = []
    for name in wanted:
        label = find_label(workspace_id, name)
        if label is None:
            if not by.is_admin:
                raise ActionRefused(field, f"There is no label “{name}”, and only admins can create one.")
            label = create_label(workspace_id, name, by=by, field=field)
        labels.append(label)
    return labels


def _changed(conversation_ids: Iterable[int]) -> None:
    """Bump the `updated_at` of these conversations and of their leads (the live polls' mark)."""
    ids = list(conversation_ids)
    if ids:
        now = utcnow()
        db.session.execute(update(Conversation).where(Conversation.id.in_(ids)).values(updated_at=now))
        # ix_leads_conversation finds them; a conversation without a lead (a comment thread) has none.
        db.session.execute(update(Lead).where(Lead.conversation_id.in_(ids)).values(updated_at=now))


def _current_ids(conversation: Conversation) -> set[int]:
    return set(db.session.scalars(select(ConversationLabel.label_id)
                                  .where(ConversationLabel.conversation_id == conversation.id)))


def add_label(conversation: Conversation, label: Label, *, by: User | None) -> bool:
    """Put the label on the conversation; False when it was there already. `by` is None for
    automation."""
    if label.workspace_id != conversation.workspace_id:
        raise ActionRefused("label", "There is no such label in this workspace.")
    if label.id in _current_ids(conversation):
        return False
    # ON CONFLICT DO NOTHING: two people adding the same label at once is not an error.
    added = insert_rows(ConversationLabel, [{"conversation_id": conversation.id, "label_id": label.id,
                                             "added_by_id": by.id if by else None, "created_at": utcnow()}],
                        unique=("conversation_id", "label_id"), returning=("label_id",)).all()
    if added:
        _changed([conversation.id])
    db.session.commit()
    db.session.expire(conversation, ["labels"])
    return bool(added)


def remove_label(conversation: Conversation, label_id: int) -> bool:
    """Take the label off the conversation; False when it was not on it."""
    removed = db.session.execute(delete(ConversationLabel).where(
        ConversationLabel.conversation_id == conversation.id, ConversationLabel.label_id == label_id)).rowcount
    if removed:
        _changed([conversation.id])
    db.session.commit()
    db.session.expire(conversation, ["labels"])
    return bool(removed)


def set_labels(conversation: Conversation, names: list[str], *, by: User) -> list[Label]:
    """Exactly these labels on the conversation (unknown names created for admins), in one commit."""
    if len(names) > MAX_LABELS_PER_CONVERSATION:
        raise ActionRefused("labels", f"Give at most {MAX_LABELS_PER_CONVERSATION} labels.")
    labels = labels_for(conversation.workspace_id, names, by=by)
    wanted = {label.id for label in labels}
    current = _current_ids(conversation)
    if current - wanted:
        db.session.execute(delete(ConversationLabel).where(ConversationLabel.conversation_id == conversation.id,
                                                           ConversationLabel.label_id.in_(current - wanted)))
    if wanted - current:
        insert_rows(ConversationLabel, [{"conversation_id": conversation.id, "label_id": label_id,
                                         "added_by_id": by.id, "created_at": utcnow()}
                                        for label_id in sorted(wanted - current)],
                    unique=("conversation_id", "label_id"))
    if wanted != current:
        _changed([conversation.id])
    db.session.commit()
    db.session.expire(conversation, ["labels"])
    return labels


def label_conversations(conversation_ids: Iterable, add: Iterable[str] = (), remove: Iterable[str] = (), *,
                        by: User) -> int:
    """Add the labels named in `add` to, and take those named in `remove` off, every conversation
    of `conversation_ids` that belongs to `by`'s workspace, in one commit; returns how many
    conversations changed.

    For the list's bulk actions: ids are checked with app.scoping.valid_id and scoped to the
    workspace (another workspace's id, or a malformed one, is skipped as if it did not exist).
    Names are typed names (normalised as the header does); an unknown name in `add` is created
    when `by` is an admin, else the whole call is refused with ActionRefused("labels", ...)
    before anything changes; an unknown name in `remove` has nothing to remove. Open inboxes
    see the changed rows on their next poll."""
    workspace_id = by.workspace_id
    wanted_ids = {valid_id(raw) for raw in conversation_ids} - {None}
    # Validate everything before the first write (labels_for may create labels, and commits).
    remove_names = [valid_name(name, "labels") for name in remove]
    to_add = labels_for(workspace_id, add, by=by)
    to_remove = [label for label in (find_label(workspace_id, name) for name in remove_names) if label is not None]
    if not wanted_ids or not (to_add or to_remove):
        return 0
    ids = list(db.session.scalars(select(Conversation.id).where(Conversation.workspace_id == workspace_id,
                                                                Conversation.id.in_(wanted_ids))))
    changed: set[int] = set()
    if to_remove:
        gone = db.session.execute(
            delete(ConversationLabel)
            .where(ConversationLabel.conversation_id.in_(ids),
                   ConversationLabel.label_id.in_([label.id for label in to_remove]))
            .returning(ConversationLabel.conversation_id)).scalars()
        changed.update(gone)
    adding = [label for label in to_add if label not in to_remove]
    if adding and ids:
        rows = [{"conversation_id": conversation_id, "label_id": label.id, "added_by_id": by.id, "created_at": utcnow()}
                for conversation_id in ids for label in adding]
        added = insert_rows(ConversationLabel, rows, unique=("conversation_id", "label_id"),
                            returning=("conversation_id",)).scalars()
        changed.update(added)
    _changed(sorted(changed))
    db.session.commit()
    return len(changed)
