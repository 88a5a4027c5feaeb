"""Drafts: what a person has typed in a conversation's reply box and not sent yet, kept on the
server (app.models.Draft, one row per person and conversation) so that it survives switching
conversations, a reload, and follows the rep from laptop to phone.

- The browser saves the box a moment after typing stops (static/js/drafts.js) through
  PUT /conversations/<id>/draft, below; empty text deletes the row.
- Opening a thread renders the draft back into the box (`draft_text`, a template global), and
  list rows say "Draft:" where the signed-in person has one (`my_draft_previews`).
- Sending a reply discards it (`discard`, called by the send route in app.outbound.routes).

A draft is only ever its author's: every query here is keyed by the signed-in person, and the
conversation must be in their workspace (app.scoping), else 404."""
from __future__ import annotations

from flask import has_request_context, make_response, request
from flask_login import current_user, login_required
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.errors import ActionRefused
from app.extensions import db
from app.htmx_responses import empty_fragment
from app.inbox import bp
from app.instagram.graph import MAX_TEXT_BYTES
from app.models import Conversation, Draft, User
from app.scoping import get_or_404

# The box holds a reply to Instagram: a draft may be as long as the longest message it can send.
MAX_DRAFT_BYTES = MAX_TEXT_BYTES
PREVIEW_CHARS = 80  # of a draft, on its list row


def save(conversation: Conversation, user: User, text: str | None) -> Draft | None:
    """Keep `text` as the person's draft in the conversation (None when it was empty: nothing
    is kept then). Raises ActionRefused when it is longer than a message may be."""
    # Browsers send a textarea's line breaks as CRLF; the box counts them as one byte each.
    text = (text or "").replace("\r\n", "\n")
    if not text.strip():
        discard(conversation, user)
        return None
    size = len(text.encode("utf-8"))
    if size > MAX_DRAFT_BYTES:
        raise ActionRefused("text", f"This draft is {size:,} bytes; a message holds at most {MAX_DRAFT_BYTES:,}, "
                                    "so it was not saved. Shorten it to keep it.")
    draft = db.session.get(Draft, (user.id, conversation.id))
    if draft is None:
        draft = Draft(user_id=user.id, conversation_id=conversation.id, text=text)
        db.session.add(draft)
    else:
        draft.text = text
    _forget_mine()
    try:
        db.session.commit()
    except IntegrityError:
        # The same person's other device created it a moment ago: this newer text wins. (No row:
        # the conversation was deleted meanwhile, and there is nothing to keep a draft for.)
        db.session.rollback()
        draft = db.session.get(Draft, (user.id, conversation.id))
        if draft is None:
            return None
        draft.text = text
        db.session.commit()
    return draft


def discard(conversation: Conversation, user: User) -> None:
    """The person sent what they had typed, or emptied the box: no draft any more."""
    db.session.execute(delete(Draft).where(Draft.user_id == user.id, Draft.conversation_id == conversation.id))
    db.session.commit()
    _forget_mine()


def draft_text(conversation: Conversation) -> str:
    """The signed-in person's draft in this conversation, or "" (the composer's textarea)."""
    return _my_drafts().get(conversation.id, "")


def my_draft_previews() -> dict[int, str]:
    """{conversation id: the start of the draft, on one line} for every draft of the signed-in
    person, for the list rows' "Draft:" line."""
    if has_request_context() and _PREVIEWS in request.environ:
        return request.environ[_PREVIEWS]
    previews = {conversation_id: " ".join(text[:PREVIEW_CHARS].split()) for conversation_id, text in _my_drafts().items()}
    if has_request_context():
        request.environ[_PREVIEWS] = previews
    return previews


# A page shows drafts in two places (the list rows, the open thread's box): the person's drafts are
# read once per request, kept in its environ (which lives exactly as long as the request), and
# forgotten when they change. One read of the primary key under the person's id, however many rows
# the page renders; drafts are few (sending clears them) and at most a message long.
_REQUEST_CACHE, _PREVIEWS = "igdm.drafts.mine", "igdm.drafts.previews"


def _my_drafts() -> dict[int, str]:
    if not current_user or not current_user.is_authenticated:
        return {}
    if has_request_context() and _REQUEST_CACHE in request.environ:
        return request.environ[_REQUEST_CACHE]
    mine = dict(db.session.execute(select(Draft.conversation_id, Draft.text).where(Draft.user_id == current_user.id)).all())
    if has_request_context():
        request.environ[_REQUEST_CACHE] = mine
    return mine


def _forget_mine() -> None:
    if has_request_context():
        request.environ.pop(_REQUEST_CACHE, None)
        request.environ.pop(_PREVIEWS, None)


@bp.put("/conversations/<int:conversation_id>/draft")
@login_required
def put_draft(conversation_id: int):
    """The composer's autosave (form field `text`, CSRF header): 204 when kept (or deleted, for
    empty text), 422 with a sentence when longer than a message may be, 404 for a conversation
    outside the workspace."""
    conversation = get_or_404(Conversation, conversation_id)
    try:
        save(conversation, current_user, request.form.get("text"))
    except ActionRefused as refused:
        response = make_response(refused.message, 422)
        response.mimetype = "text/plain"
        return response
    return empty_fragment(204)
