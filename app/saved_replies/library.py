"""Saved replies: who sees and may change which, what a valid one is, and counting their use.

Two scopes: the workspace's (owner_id NULL; every member uses them, only admins change them) and
a person's own (owner_id = them; nobody else sees them, admins included). A shortcut is unique
within its scope (partial unique indexes on the table, checked here first for a readable
answer); a personal shortcut may equal a workspace one, and then the personal one is what its
owner's picker offers. An id that is not visible to the current user is a 404, whoever owns it;
a visible workspace reply that an agent tries to change is a 403.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import abort
from flask_login import current_user
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from app.errors import ActionRefused
from app.extensions import db
from app.instagram.graph import MAX_TEXT_BYTES
from app.models import SavedReply, User, utcnow
from app.outbound.attachments import LARGEST, AttachmentRejected, CheckedAttachment, check_attachment
from app.outbound.rules import normalize_text
from app.saved_replies.variables import unknown_variables
from app.scoping import id_or_404

SCOPES = ("personal", "workspace")
TITLE_MAX = 120
SHORTCUT_MAX = 40
# Letters (any alphabet; stored lower-case), digits, "-" and "_", starting with a letter or
# digit: what can follow "/" in the reply box without a space ending it.
SHORTCUT = re.compile(r"[^\W_][\w-]*")


class ReplyFormRefused(ActionRefused):
    """A saved reply that cannot be stored as sent: every field at fault, each with a sentence
    (`field`/`message` are the first of them)."""

    def __init__(self, errors: dict[str, str]) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(field, message)
        self.errors = errors


@dataclass
class ReplyForm:
    title: str = ""
    shortcut: str = ""
    text: str = ""
    scope: str = "personal"
    remove_attachment: bool = False

    @classmethod
    def from_form(cls, form, default_scope: str = "personal") -> ReplyForm:
        return cls(title=(form.get("title") or "").strip(), shortcut=normalize_shortcut(form.get("shortcut")),
                   text=normalize_text(form.get("text")), scope=form.get("scope") or default_scope,
                   remove_attachment=form.get("remove_attachment") == "on")

    @classmethod
    def of(cls, reply: SavedReply) -> ReplyForm:
        return cls(title=reply.title, shortcut=reply.shortcut, text=reply.text, scope=reply.scope)


def normalize_shortcut(raw: str | None) -> str:
    """What people type as a shortcut, as it is stored: no leading "/", lower-case."""
    return (raw or "").strip().lstrip("/").lower()


# -- Who sees what ----------------------------------------------------------------------------

def visible_to(user: User):
    """The saved replies `user` may use: the workspace's and their own."""
    return select(SavedReply).where(
        SavedReply.workspace_id == user.workspace_id,
        or_(SavedReply.owner_id.is_(None), SavedReply.owner_id == user.id),
    )


def listing(user: User) -> tuple[list[SavedReply], list[SavedReply]]:
    """(the workspace's, the user's own), each by shortcut."""
    rows = db.session.scalars(visible_to(user).order_by(SavedReply.shortcut, SavedReply.id)).all()
    return [r for r in rows if r.owner_id is None], [r for r in rows if r.owner_id is not None]


def for_picker(user: User, query: str = "") -> list[SavedReply]:
    """What the composer's "/" picker offers: the user's own and the workspace's, a personal
    shortcut hiding the workspace reply of the same shortcut, filtered by `query` and ranked the
    way static/js/saved_replies.js ranks them as the person types (change the two together)."""
    workspace, personal = listing(user)
    mine = {r.shortcut for r in personal}
    rows = sorted(personal + [r for r in workspace if r.shortcut not in mine], key=lambda r: r.shortcut)
    query = query.strip().lower()
    if not query:
        return rows
    ranked = [(rank, r) for r in rows if (rank := _rank(r, query)) is not None]
    return [r for _, r in sorted(ranked, key=lambda pair: (pair[0], pair[1].shortcut))]


def _rank(reply: SavedReply, query: str) -> int | None:
    """0: the shortcut starts with the query; 1: the shortcut holds it; 2: the title does."""
    if reply.shortcut.startswith(query):
        return 0
    if query in reply.shortcut:
        return 1
    if query in reply.title.lower():
        return 2
    return None


def visible_or_404(reply_id) -> SavedReply:
    reply = db.session.scalar(visible_to(current_user).where(SavedReply.id == id_or_404(reply_id)))
    if reply is None:
        abort(404)
    return reply


def editable_or_404(reply_id) -> SavedReply:
    """A reply the current user may change: their own, or (admins) the workspace's."""
    reply = visible_or_404(reply_id)
    if reply.owner_id is None and not current_user.is_admin:
        abort(403, "Only workspace admins can change the workspace's saved replies; you can make your own.")
    return reply


def require_scope_allowed(scope: str) -> None:
    if scope == "workspace" and not current_user.is_admin:
        abort(403, "Only workspace admins can add saved replies for the whole workspace; you can make your own.")


# -- Changing them ----------------------------------------------------------------------------

def check(form: ReplyForm, user: User, *, reply: SavedReply | None = None,
          upload: FileStorage | None = None) -> CheckedAttachment | None:
    """Raise ReplyFormRefused naming every field at fault; return the checked new attachment, if any."""
    errors: dict[str, str] = {}
    if not form.title or len(form.title) > TITLE_MAX:
        errors["title"] = f"Give it a title of at most {TITLE_MAX} characters."
    if not form.shortcut:
        errors["shortcut"] = "Give it a shortcut, e.g. “shipping”: you type /shipping in the reply box to find it."
    elif len(form.shortcut) > SHORTCUT_MAX or not SHORTCUT.fullmatch(form.shortcut):
        errors["shortcut"] = (f"Use at most {SHORTCUT_MAX} lower-case letters, digits, “-” or “_”, with no spaces, "
                              "starting with a letter or digit.")
    elif _taken(form, user, reply):
        errors["shortcut"] = (f"/{form.shortcut} is already a workspace saved reply." if form.scope == "workspace"
                              else f"You already have a saved reply /{form.shortcut}.")
    if form.scope not in SCOPES:
        errors["scope"] = "Choose who can use it: only you, or the whole workspace."
    size = len(form.text.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        errors["text"] = (f"The text is {size:,} bytes; Instagram takes at most {MAX_TEXT_BYTES:,} bytes in one "
                          "message. Shorten it.")
    attachment = None
    try:
        attachment = _read_upload(upload)
    except AttachmentRejected as exc:
        errors["attachment"] = str(exc)
    keeps_attachment = reply is not None and reply.attachment_name and not form.remove_attachment
    if not form.text and "text" not in errors and attachment is None and not keeps_attachment \
            and "attachment" not in errors:
        errors["text"] = "Write the reply's text (or attach a file to send on its own)."
    if errors:
        raise ReplyFormRefused(errors)
    return attachment


def _taken(form: ReplyForm, user: User, reply: SavedReply | None) -> bool:
    query = select(SavedReply.id).where(SavedReply.workspace_id == user.workspace_id,
                                        SavedReply.shortcut == form.shortcut)
    if form.scope == "workspace":
        query = query.where(SavedReply.owner_id.is_(None))
    else:  # personal replies are changed only by their owner
        query = query.where(SavedReply.owner_id == user.id)
    if reply is not None:
        query = query.where(SavedReply.id != reply.id)
    return db.session.scalar(query.limit(1)) is not None


def _read_upload(upload: FileStorage | None) -> CheckedAttachment | None:
    # The composer's rules (app.outbound.attachments): what could not be sent is not saved.
    if upload is None:
        return None
    data = upload.stream.read(LARGEST + 1)
    if not upload.filename and not data:
        return None  # the form's empty file field
    return check_attachment(data, upload.filename)


def save(form: ReplyForm, user: User, *, reply: SavedReply | None = None,
         attachment: CheckedAttachment | None = None) -> SavedReply:
    """Store a checked form (a new reply when `reply` is None); flushed, not committed."""
    if reply is None:
        reply = SavedReply(workspace_id=user.workspace_id)
        db.session.add(reply)
    if form.scope == "workspace":
        reply.owner_id = None
    elif reply.owner_id is None:
        reply.owner_id = user.id  # new, or an admin taking a workspace reply as their own
    reply.title, reply.shortcut, reply.text = form.title, form.shortcut, form.text
    if attachment is not None:
        reply.attachment_name = attachment.filename
        reply.attachment_type = attachment.kind.content_type
        reply.attachment_data = attachment.data
    elif form.remove_attachment:
        reply.attachment_name = reply.attachment_type = reply.attachment_data = None
    try:
        db.session.flush()
    except IntegrityError:
        # Another request took the shortcut between the check and this write.
        db.session.rollback()
        raise ReplyFormRefused({"shortcut": f"/{form.shortcut} was just taken; choose another shortcut."}) from None
    return reply


def warnings(form: ReplyForm) -> list[str]:
    """What is saved as typed but probably not meant: braces that are no variable."""
    unknown = unknown_variables(form.text)
    if not unknown:
        return []
    names = ", ".join(unknown)
    return [f"{names} {'is not a variable' if len(unknown) == 1 else 'are not variables'} the inbox fills in, "
            "so it is sent exactly as typed. The variables are {first_name}, {username}, {agent_name} and {account}."]


def delete(reply: SavedReply) -> None:
    db.session.delete(reply)


def record_use(reply: SavedReply) -> None:
    """One more use, counted in the database (two people inserting at once both count); the
    reply's updated_at says when it was last edited, so it stays."""
    db.session.execute(update(SavedReply).where(SavedReply.id == reply.id).values(
        usage_count=SavedReply.usage_count + 1, last_used_at=utcnow(), updated_at=SavedReply.updated_at))
