"""Web routes of the outbound side. Thin: the rules live in app.outbound.replies.

An htmx request gets the message bubble (templates/inbox/_message.html) to swap in; a plain form
post is redirected back to the conversation. Every id is looked up through app.scoping, so
another workspace's conversation or message is a 404.
"""
from __future__ import annotations

import io
import re

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from app.htmx_responses import empty_fragment, hx_reswap, hx_trigger, is_fragment_request, render_fragment
from app.inbox import drafts
from app.models import Conversation, Message
from app.outbound import bp
from app.outbound.attachments import LARGEST, MB
from app.outbound.media_store import media_store
from app.outbound.replies import (
    ReplyRefused,
    delete_failed_message,
    queue_reply,
    react,
    retry_message,
    unreact,
)
from app.scoping import get_message_or_404, get_or_404

COMPOSER_ERROR_TARGET = "#composer-error"  # where the composer shows a refused reply
MEDIA_KEY = re.compile(r"[A-Za-z0-9_-]{32,64}")


@bp.post("/conversations/<int:conversation_id>/messages")
@login_required
def send_message(conversation_id: int):
    conversation = get_or_404(Conversation, conversation_id)
    try:
        messages = queue_reply(conversation, text=request.form.get("text"), upload=request.files.get("file"),
                               user=current_user, source="inbox")
    except ReplyRefused as refused:
        return _reply_refused(conversation.id, refused)
    drafts.discard(conversation, current_user)  # what was typed is on its way: no draft left behind
    if not is_fragment_request():
        return redirect(url_for("inbox.conversation", conversation_id=conversation.id))
    response = render_fragment("inbox/_messages.html", 201, messages=messages)
    return hx_trigger(response, {"reply-queued": {"conversation_id": conversation.id}})


@bp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(exc):
    # Raised while the form is parsed (before the view runs), so answered here, readably.
    refused = ReplyRefused("bad_attachment", f"The file is larger than {LARGEST // MB} MB, the most Instagram "
                                             "takes for any attachment.")
    conversation_id = (request.view_args or {}).get("conversation_id")
    if conversation_id is None:
        return render_template("errors/error.html", status=413, title="Too large", message=refused.message), 413
    return _reply_refused(conversation_id, refused)


def _reply_refused(conversation_id: int, refused: ReplyRefused):
    if is_fragment_request():
        response = render_fragment("inbox/_reply_error.html", 422, message=refused.message, code=refused.code)
        return hx_reswap(response, "innerHTML", COMPOSER_ERROR_TARGET)
    flash(refused.message, "error")
    return redirect(url_for("inbox.conversation", conversation_id=conversation_id))


@bp.get("/messages/<int:message_id>/status")
@login_required
def message_status(message_id: int):
    """The bubble again: a pending one polls this until it is sent or failed."""
    return _bubble(get_message_or_404(message_id), always_fragment=True)


@bp.post("/messages/<int:message_id>/retry")
@login_required
def retry(message_id: int):
    message = get_message_or_404(message_id)
    try:
        retry_message(message, user=current_user)
    except ReplyRefused as refused:
        return _bubble(message, notice=refused.message, status=422)
    return _bubble(message)


@bp.post("/messages/<int:message_id>/delete")
@login_required
def delete(message_id: int):
    message = get_message_or_404(message_id)
    conversation_id = message.conversation_id
    try:
        delete_failed_message(message)
    except ReplyRefused as refused:
        return _bubble(message, notice=refused.message, status=422)
    if is_fragment_request():
        return empty_fragment()  # swapped over the bubble: it disappears
    return redirect(url_for("inbox.conversation", conversation_id=conversation_id))


@bp.post("/messages/<int:message_id>/react")
@login_required
def react_to(message_id: int):
    message = get_message_or_404(message_id)
    try:
        react(message, current_user, request.form.get("reaction") or "love")
    except ReplyRefused as refused:
        return _bubble(message, notice=refused.message, status=422)
    return _bubble(message)


@bp.post("/messages/<int:message_id>/unreact")
@login_required
def unreact_to(message_id: int):
    message = get_message_or_404(message_id)
    try:
        unreact(message, current_user)
    except ReplyRefused as refused:
        return _bubble(message, notice=refused.message, status=422)
    return _bubble(message)


def _bubble(message: Message, *, notice: str | None = None, status: int = 200, always_fragment: bool = False):
    if always_fragment or is_fragment_request():
        return render_fragment("inbox/_message.html", status, message=message, notice=notice)
    if notice:
        flash(notice, "error")
    return redirect(url_for("inbox.conversation", conversation_id=message.conversation_id))


@bp.get("/media/<key>")
def media(key: str):
    """An attachment, for Instagram to fetch (no login: the 256-bit key is the credential, and it
    expires). Served as exactly the type its content was checked to be, never sniffed."""
    if not MEDIA_KEY.fullmatch(key):
        abort(404)
    item = media_store().get(key)
    if item is None:
        abort(404)
    response = send_file(io.BytesIO(item.data), mimetype=item.content_type, download_name=item.filename,
                         as_attachment=item.content_type == "application/pdf", conditional=True,
                         etag=key, max_age=300, last_modified=None)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
