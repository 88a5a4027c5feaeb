"""Web routes for the actions on a comment in a comments thread: reply publicly, reply privately,
hide / unhide, delete our own reply. Thin: the rules live in app.comments.actions and
app.comments.rules. Agents and admins alike; every id is looked up through app.scoping, so another
workspace's comment is a 404, and so is a message that is not a comment.

An htmx request gets the comment's actions block (templates/comments/_actions.html) back, with
the refusal or the confirmation in it; a plain form post is redirected to the conversation.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from sqlalchemy import select

from app.comments import actions, bp, rules
from app.extensions import db
from app.htmx_responses import is_fragment_request, render_fragment
from app.inbox.queries import workspace_users
from app.models import Message
from app.outbound.replies import ReplyRefused
from app.scoping import get_message_or_404

@dataclass(frozen=True)
class CommentActions:
    """What the actions block offers for one comment (a template global, so the thread can
    include templates/comments/_actions.html for each comment)."""

    comment: Message
    ours: bool
    private_reply: Message | None  # the DM, once sent or queued
    private_refusal: rules.Refusal | None  # why no private reply is possible now
    can_delete: bool


@bp.app_template_global("comment_actions")
def comment_actions(comment: Message) -> CommentActions:
    ours = rules.is_our_comment(comment)
    media = comment.conversation.media
    refusal = None if ours else rules.private_reply_refusal(comment, media.product_type if media else None)
    return CommentActions(comment=comment, ours=ours, private_reply=actions.private_reply_of(comment),
                          private_refusal=refusal,
                          can_delete=ours and not comment.is_deleted and (bool(comment.mid) or comment.status == "failed"))


@bp.app_template_global("latest_customer_comment")
def latest_customer_comment(conversation) -> Message | None:
    """The person's newest comment still on Instagram: what the thread's reply box answers."""
    return db.session.scalar(
        select(Message).where(Message.conversation_id == conversation.id, Message.kind == "comment",
                              Message.direction == "in", Message.is_deleted.is_(False), Message.mid.is_not(None))
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(1))


def _comment_or_404(message_id: int) -> Message:
    message = get_message_or_404(message_id)
    if message.kind != "comment":
        abort(404)
    return message


@bp.post("/comments/<int:message_id>/reply")
@login_required
def reply(message_id: int):
    comment = _comment_or_404(message_id)
    region = request.form.get("from") == "region"  # the thread's reply box, not a comment's own form
    answer = _region if region else _answer
    try:
        queued = actions.reply_publicly(comment, request.form.get("text"), user=current_user, source="inbox")
    except ReplyRefused as refused:
        return answer(comment, notice=refused.message, code=refused.code, status=422)
    # Said until the reply's own bubble says it went (static/js/app.js takes the line away then).
    return answer(comment, done="Reply queued: it shows in the thread as it goes out.", done_until=queued.id)


@bp.post("/comments/<int:message_id>/private-reply")
@login_required
def private_reply(message_id: int):
    comment = _comment_or_404(message_id)
    try:
        actions.reply_privately(comment, request.form.get("text"), user=current_user, source="inbox")
    except ReplyRefused as refused:
        # 422 for every refusal: htmx swaps a 422's fragment (the reason shows in place); the API says 409.
        return _answer(comment, notice=refused.message, code=refused.code, status=422)
    return _answer(comment, done="Private reply queued: it opens a conversation in their DMs.")


@bp.post("/comments/<int:message_id>/hide")
@login_required
def hide(message_id: int):
    comment = _comment_or_404(message_id)
    hidden = request.form.get("hidden", "1") not in ("0", "false", "")
    try:
        actions.set_hidden(comment, hidden, user=current_user)
    except ReplyRefused as refused:
        return _answer(comment, notice=refused.message, code=refused.code, status=422)
    return _answer(comment, done="Hidden on Instagram." if hidden else "Shown again on Instagram.")


@bp.post("/comments/<int:message_id>/delete")
@login_required
def delete(message_id: int):
    comment = _comment_or_404(message_id)
    conversation_id = comment.conversation_id
    try:
        left = actions.delete_reply(comment, user=current_user)
    except ReplyRefused as refused:
        return _answer(comment, notice=refused.message, code=refused.code, status=422)
    if left is None:
        if is_fragment_request():
            return render_fragment("comments/_deleted.html", 200, message_id=message_id)
        return redirect(url_for("inbox.conversation", conversation_id=conversation_id))
    return _answer(left, done="Reply deleted.")


def _answer(comment: Message, *, notice: str | None = None, code: str | None = None, done: str | None = None,
            done_until: int | None = None, status: int = 200):
    """`done_until`: a queued reply's id; the confirmation goes once that reply is sent or failed."""
    if is_fragment_request():
        return render_fragment("comments/_actions.html", status, comment=comment, notice=notice, code=code,
                               done=done, done_until=done_until)
    flash(notice or done, "error" if notice else "success")
    return redirect(url_for("inbox.conversation", conversation_id=comment.conversation_id))


def _region(comment: Message, *, notice: str | None = None, code: str | None = None, done: str | None = None,
            done_until: int | None = None, status: int = 200):
    if is_fragment_request():
        # `users`: the private note's @mention picker lists the teammates, as on the full page.
        return render_fragment("comments/_comment_actions.html", status, current=comment.conversation, notice=notice,
                               code=code, done=done, done_until=done_until, users=workspace_users())
    return _answer(comment, notice=notice, code=code, done=done, status=status)
