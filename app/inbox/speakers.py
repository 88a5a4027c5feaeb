"""Who spoke last, as a list row says it: "You:", "Bot:", "Sam Rivera:", or nothing before the
customer's own words.

`Conversation.last_speaker` says customer, team or automation (app.messages.waiting keeps it); which
person of the team wrote is the newest message's `sent_by`, looked up for a whole page at once
(`prime`) so a row never costs a query of its own."""
from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.messages.waiting import AUTOMATION, TEAM
from app.models import Conversation, Message, User

APP_SPEAKER = "Instagram app"  # typed in the Instagram app: we cannot tell by whom


def _memo() -> dict | None:
    # Per request (as app.inbox.unread._memo), keyed by the row's newest message time so that a
    # reply sent during the request is not answered from an older lookup.
    if not has_request_context():
        return None
    return request.environ.setdefault("igdm.inbox.speakers", {})


def _key(conversation: Conversation):
    return conversation.id, conversation.last_message_at


def _lookup(conversations) -> dict:
    """(id, last_message_at) -> the User who wrote each one's newest message (None: nobody we
    know, i.e. typed in the Instagram app). One query, a newest-first probe of ix_messages_thread
    per conversation, and one more for the users."""
    newest_sender = (select(Message.sent_by_id).where(Message.conversation_id == Conversation.id)
                     .order_by(Message.created_at.desc(), Message.id.desc()).limit(1).scalar_subquery())
    senders = dict(db.session.execute(
        select(Conversation.id, newest_sender).where(Conversation.id.in_([c.id for c in conversations]))
    ).tuples().all())
    user_ids = {uid for uid in senders.values() if uid is not None}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    return {_key(c): users.get(senders.get(c.id)) for c in conversations}


def prime(conversations) -> None:
    """Look up, for a whole page, who wrote the newest message of each row the team spoke last in."""
    memo = _memo()
    if memo is None:
        return
    wanted = [c for c in conversations if c.last_speaker == TEAM and _key(c) not in memo]
    if wanted:
        memo.update(_lookup(wanted))


def last_sender(conversation: Conversation) -> User | None:
    """The person who wrote the newest message (for a row whose last speaker is the team)."""
    memo = _memo()
    key = _key(conversation)
    if memo is not None and key in memo:
        return memo[key]
    found = _lookup([conversation])[key]
    if memo is not None:
        memo[key] = found
    return found


def speaker_label(conversation: Conversation) -> str:
    """What goes before the preview: "You", a teammate's name, "Bot", the Instagram app, or ""
    when the customer spoke last (their words stand alone)."""
    if conversation.last_speaker == AUTOMATION:
        return "Bot"
    if conversation.last_speaker != TEAM:
        return ""
    sender = last_sender(conversation)
    if sender is None:
        return APP_SPEAKER
    if current_user and current_user.is_authenticated and sender.id == current_user.id:
        return "You"
    return sender.display_name
