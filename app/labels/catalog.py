"""A workspace's labels: what a label name may be, and what admins do to the set (create, rename,
recolour, delete), each recorded in the audit log.

A name is lower case, letters, digits, `-` and `_`, 1 to 40 characters; what people type is
normalised first ("Hot Lead" becomes "hot-lead"), so the same tag is never two labels. Refusals
are `ActionRefused` naming the field, for the pages and the API to show."""
from __future__ import annotations

import re
import unicodedata

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import audit
from app.errors import ActionRefused
from app.extensions import db
from app.labels.palette import BY_KEY, Colour, next_colour
from app.models import ConversationLabel, Label, User
from app.scoping import valid_id

NAME_MAX = 40
# Letters and digits of any script (\w), `_` and `-`: a name reads the same in a URL and a chip.
_VALID_NAME = re.compile(r"[\w-]+")
NAME_RULE = f"A label is 1 to {NAME_MAX} letters, digits, - or _ (spaces become -)."


def normalize_name(raw: str | None) -> str:
    """What a typed name becomes: NFKC (so look-alike forms are one label), trimmed, lower case,
    runs of spaces turned into one `-`. Not checked: see `valid_name`."""
    text = unicodedata.normalize("NFKC", raw or "").strip().lower()
    return re.sub(r"\s+", "-", text)


def valid_name(raw: str | None, field: str = "name") -> str:
    """The normalised name, or ActionRefused(field) saying what a name may be."""
    name = normalize_name(raw)
    if not name:
        raise ActionRefused(field, "Enter a label name. " + NAME_RULE)
    if label_name(name) is None:
        raise ActionRefused(field, f"“{name[:NAME_MAX]}” cannot be a label. " + NAME_RULE)
    return name


def label_name(raw: str | None) -> str | None:
    """The normalised name when it can be a label's, else None (for filters, which ignore it)."""
    name = normalize_name(raw)
    return name if name and len(name) <= NAME_MAX and _VALID_NAME.fullmatch(name) else None


def valid_colour(raw: str | None, field: str = "color") -> Colour:
    colour = BY_KEY.get((raw or "").strip())
    if colour is None:
        raise ActionRefused(field, "Choose one of the colours.")
    return colour


def workspace_labels(workspace_id: int) -> list[Label]:
    """Every label of the workspace, by name (few: the menus and filters list them all)."""
    return list(db.session.scalars(select(Label).where(Label.workspace_id == workspace_id).order_by(Label.name)))


# A page shows the labels in several places (the list filter, the header's menu, the bulk bar):
# read once per request, kept in its environ (which lives exactly as long as the request), and
# forgotten when this module changes them.
_REQUEST_CACHE = "igdm.labels.workspace_labels"


def current_workspace_labels() -> list[Label]:
    """The signed-in person's workspace's labels (templates: the header's menu, the list filter)."""
    if not current_user or not current_user.is_authenticated:
        return []
    if not has_request_context():
        return workspace_labels(current_user.workspace_id)
    known = request.environ.setdefault(_REQUEST_CACHE, {})
    if current_user.workspace_id not in known:
        known[current_user.workspace_id] = workspace_labels(current_user.workspace_id)
    return known[current_user.workspace_id]


def _forget_current() -> None:
    if has_request_context():
        request.environ.pop(_REQUEST_CACHE, None)


def find_label(workspace_id: int, name: str | None) -> Label | None:
    """The workspace's label of that (typed) name, or None; through uq_labels_workspace_id_name."""
    name = normalize_name(name)
    if not name or len(name) > NAME_MAX:
        return None
    return db.session.scalar(select(Label).where(Label.workspace_id == workspace_id, Label.name == name))


def label_by_id(workspace_id: int, label_id) -> Label | None:
    label_id = valid_id(label_id)
    if label_id is None:
        return None
    return db.session.scalar(select(Label).where(Label.id == label_id, Label.workspace_id == workspace_id))


def usage_counts(workspace_id: int) -> dict[int, int]:
    """How many conversations carry each label (the settings page)."""
    rows = db.session.execute(
        select(ConversationLabel.label_id, func.count())
        .join(Label, Label.id == ConversationLabel.label_id)
        .where(Label.workspace_id == workspace_id)
        .group_by(ConversationLabel.label_id)
    )
    return {label_id: count for label_id, count in rows}


def _require_admin(by: User) -> None:
    if not by.is_admin:
        raise ActionRefused("name", "Only workspace admins can create, change or delete labels.")


def create_label(workspace_id: int, name: str, *, by: User, colour: Colour | None = None,
                 field: str = "name") -> Label:
    """A new label (admins), committed with its audit entry. Without a colour it gets the
    palette's least used one."""
    _require_admin(by)
    name = valid_name(name, field)
    if find_label(workspace_id, name) is not None:
        raise ActionRefused(field, f"There is already a label “{name}”.")
    if colour is None:
        colour = next_colour(list(db.session.scalars(select(Label.color).where(Label.workspace_id == workspace_id))))
    label = Label(workspace_id=workspace_id, name=name, color=colour.background)
    db.session.add(label)
    try:
        db.session.flush()
    except IntegrityError:  # someone else created it a moment ago
        db.session.rollback()
        raise ActionRefused(field, f"There is already a label “{name}”.") from None
    audit.record("label.created", f"Created the label “{name}” ({colour.name.lower()})",
                 workspace_id=workspace_id, actor=by, label_id=label.id)
    db.session.commit()
    _forget_current()
    return label


def update_label(label: Label, *, by: User, name: str | None = None, colour: Colour | None = None) -> bool:
    """Rename and/or recolour (admins); False when nothing changed. Conversations keep the label:
    they refer to it by id, and show the new name from the next render on."""
    _require_admin(by)
    changes = []
    if name is not None:
        name = valid_name(name)
        if name != label.name:
            other = find_label(label.workspace_id, name)
            if other is not None and other.id != label.id:
                raise ActionRefused("name", f"There is already a label “{name}”.")
            changes.append(f"renamed “{label.name}” to “{name}”")
            label.name = name
    if colour is not None and colour.background != label.color:
        changes.append(f"colour {colour.name.lower()}")
        label.color = colour.background
    if not changes:
        return False
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ActionRefused("name", f"There is already a label “{name}”.") from None
    audit.record("label.changed", f"Label “{label.name}”: " + ", ".join(changes),
                 workspace_id=label.workspace_id, actor=by, label_id=label.id)
    db.session.commit()
    _forget_current()
    return True


def delete_label(label: Label, *, by: User) -> None:
    """Delete the label (admins): the database takes it off every conversation (ON DELETE
    CASCADE) and out of automation rules (SET NULL) in the same statement.

    The conversations' updated_at is not bumped: a label on thousands of conversations would make
    every open inbox re-fetch all of them; open lists drop the chip on their next render."""
    _require_admin(by)
    audit.record("label.deleted", f"Deleted the label “{label.name}”",
                 workspace_id=label.workspace_id, actor=by, label_id=label.id)
    db.session.delete(label)
    db.session.commit()
    _forget_current()
