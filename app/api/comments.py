"""Actions on a comment through the API (docs/contract.md, "Comments and history"): a public reply,
the one private reply, hide / unhide. `<comment_id>` is Instagram's comment id, as a comment
message's `context.comment.comment_id` gives it; another workspace's comment is a 404. The rules are
app.comments.actions', as for the comments thread's buttons; each answers 202: Instagram is told
by a background job (the message's `status`, or the comment's `hidden`, says how it went)."""
from __future__ import annotations

from flask import jsonify
from flask_login import current_user
from sqlalchemy import select

from app.api import bp
from app.api.errors import ApiError
from app.api.params import body_text, invalid, json_body
from app.api.serializers import message_json
from app.comments import actions
from app.extensions import db
from app.models import Conversation, Message
from app.outbound.replies import ReplyRefused
from app.scoping import current_workspace_id

# The comment's or account's state forbids it now: 409. The text is at fault: 422.
CONFLICTS = ("already_replied", "too_old", "live_ended", "account_unavailable", "not_a_comment", "not_ours",
             "still_sending")


def _comment_or_404(comment_id: str) -> Message:
    comment = None
    if 0 < len(comment_id) <= 255:
        comment = db.session.scalar(
            select(Message).join(Conversation, Conversation.id == Message.conversation_id)
            .where(Message.mid == comment_id, Message.kind == "comment",
                   Conversation.workspace_id == current_workspace_id())
            .order_by(Message.id).limit(1)
        )
    if comment is None:
        raise ApiError(404, "not_found", "No such comment.")
    return comment


def _text(body: dict) -> str:
    if "text" not in body:
        raise invalid("text", "text is required")
    return body_text(body, "text")


def _refused(refused: ReplyRefused) -> ApiError:
    db.session.rollback()
    status = 409 if refused.code in CONFLICTS else 422
    return ApiError(status, refused.code, refused.message, field="text" if status == 422 else None)


@bp.post("/comments/<comment_id>/reply")
def reply_to_comment(comment_id: str):
    comment = _comment_or_404(comment_id)
    text = _text(json_body(("text",)))
    try:
        reply = actions.reply_publicly(comment, text, user=current_user._get_current_object(), source="api")
    except ReplyRefused as refused:
        raise _refused(refused) from None
    return jsonify(data=message_json(reply)), 202


@bp.post("/comments/<comment_id>/private-reply")
def private_reply_to_comment(comment_id: str):
    """409 with the reason (already_replied, too_old, live_ended) outside Meta's limits."""
    comment = _comment_or_404(comment_id)
    text = _text(json_body(("text",)))
    try:
        reply = actions.reply_privately(comment, text, user=current_user._get_current_object(), source="api")
    except ReplyRefused as refused:
        raise _refused(refused) from None
    return jsonify(data=message_json(reply)), 202


@bp.post("/comments/<comment_id>/hide")
def hide_comment(comment_id: str):
    comment = _comment_or_404(comment_id)
    body = json_body(("hidden",))
    hidden = body.get("hidden")
    if not isinstance(hidden, bool):
        raise invalid("hidden", "hidden is required (true or false)")
    try:
        actions.set_hidden(comment, hidden, user=current_user._get_current_object())
    except ReplyRefused as refused:
        raise _refused(refused) from None
    return jsonify(data=message_json(comment)), 202
