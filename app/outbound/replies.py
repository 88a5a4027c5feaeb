"""Replying to a customer, and the other things staff do towards Instagram: retry or delete a
failed reply, react to a customer's message, mark a conversation seen.

Every rule is checked here, on the server, whoever sends (the inbox, the JSON API, automation):
the account must be connected, the reply window open for this kind of sender, the text within
Instagram's 1000 bytes, an attachment of an allowed type and size by its content. A refused reply
raises `ReplyRefused` and stores nothing. An accepted one is committed `pending` and handed to a
background job that delivers it (app.outbound.jobs); its states from there on are drawn in
app.outbound.lifecycle.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.accounts.lifecycle import can_call_meta
from app.extensions import db
from app.instagram.graph import MAX_TEXT_BYTES
from app.integrations import events as webhook_events
from app.jobs import QUEUE_DEFAULT, QUEUE_HIGH, RetryPolicy, enqueue
from app.messages import first_times, waiting
from app.messages.content import PREVIEW_MAX, REACTION_EMOJI, content_of, preview_of
from app.models import Conversation, InstagramAccount, Message, User, utcnow
from app.outbound import lifecycle, state_sync
from app.outbound.attachments import LARGEST, AttachmentRejected, CheckedAttachment, check_attachment
from app.outbound.jobs import deliver_message_job, mark_seen_due, mark_seen_job, sync_reaction_job, typing_job
from app.outbound.media_store import NoPublicUrl, media_store, public_media_url, require_public_url
from app.outbound.rules import (
    ATTACHMENT_GONE,
    DISCONNECTED,
    HUMAN_SOURCES,
    OUR_SOURCES,
    RENEW_CONNECTION,
    normalize_text,
)
from app.outbound.sending import JOB_RETRY
from app.outbound.windows import reply_window

log = logging.getLogger(__name__)

REACTIONS = REACTION_EMOJI  # the reactions staff can send, in the order the thread offers them


class ReplyRefused(Exception):
    """A reply (or action) the server will not send. `code` is stable for programs
    ("window_closed", "human_agent_required", "too_long", "empty", "bad_attachment",
    "account_unavailable", "not_failed", "bad_reaction", "cannot_react"); `message` is one
    readable sentence for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# -- Queuing a reply --------------------------------------------------------------------------

def queue_reply(conversation: Conversation, *, text: str | None, upload: FileStorage | None = None,
                user: User | None = None, source: str = "inbox") -> list[Message]:
    """Validate a reply and queue it for delivery; returns the pending Messages, one per
    attachment and one for the text. With both text and a file, the file goes first as its own
    message and the text follows (so the last one is the text)."""
    if source not in OUR_SOURCES:
        raise ValueError(f"source must be one of {OUR_SOURCES}, got {source!r}")
    text = normalize_text(text) or None
    attachment = _read_upload(upload)
    if text is None and attachment is None:
        raise ReplyRefused("empty", "Write a message or attach a file to send.")
    if text is not None:
        size = len(text.encode("utf-8"))
        if size > MAX_TEXT_BYTES:
            raise ReplyRefused(
                "too_long",
                f"This message is {size:,} bytes; Instagram allows at most {MAX_TEXT_BYTES:,} bytes (about "
                f"{MAX_TEXT_BYTES:,} plain letters, fewer with emoji or accented and non-Latin letters). "
                "Shorten it or split it into several messages.",
            )
    require_connected(conversation.account)
    window = reply_window(conversation, human=source in HUMAN_SOURCES)
    if not window.can_reply:
        raise ReplyRefused(window.refusal_code or "window_closed", window.reason)
    if attachment is not None:
        try:
            require_public_url()
        except NoPublicUrl as exc:
            raise ReplyRefused("bad_attachment", str(exc)) from None

    now = utcnow()
    user_id = _user_id(user)
    common = dict(account_id=conversation.account_id, conversation_id=conversation.id, source=source,
                  sent_by_id=user_id, human_agent=window.human_agent, created_at=now, received_at=now, send_after=now)
    messages = []
    if attachment is not None:
        messages.append(lifecycle.new_pending_reply(text=None, attachments=[_store(conversation, attachment)],
                                                    **common))
    if text is not None:
        messages.append(lifecycle.new_pending_reply(text=text, attachments=[], **common))
    db.session.add_all(messages)
    # A person's reply answers a waiting customer; an automated one does not.
    waiting.note_message(conversation, direction="out", source=source, at=now)
    first_times.note_reply(conversation, source=source, at=now)
    conversation.last_message_at = now
    conversation.last_message_preview = preview(messages[-1])
    db.session.flush()  # ids for message.created, written in this commit (app.integrations.events)
    webhook_events.messages_created(messages, conversation.workspace_id)
    db.session.commit()
    _enqueue_sends([m.id for m in messages])
    log.info("reply queued in conversation %s: messages %s (%s)", conversation.id, [m.id for m in messages], source)
    return messages


def _read_upload(upload) -> CheckedAttachment | None:
    if upload is None:
        return None
    filename = getattr(upload, "filename", None)
    stream = getattr(upload, "stream", upload)
    data = stream.read(LARGEST + 1)  # one byte more than any limit is enough to refuse
    if not filename and not data:
        return None  # a form's empty file field
    try:
        return check_attachment(data, filename)
    except AttachmentRejected as exc:
        raise ReplyRefused("bad_attachment", str(exc)) from None


def _store(conversation: Conversation, attachment: CheckedAttachment) -> dict:
    stored = media_store().put(conversation.workspace_id, attachment.data,
                               content_type=attachment.kind.content_type, filename=attachment.filename)
    url = public_media_url(stored.key)
    return {"type": attachment.kind.type, "url": url, "filename": attachment.filename,
            "content_type": attachment.kind.content_type, "media_key": stored.key,
            "expires_at": stored.expires_at.isoformat()}


def require_connected(account: InstagramAccount) -> None:
    if can_call_meta(account):
        return
    if account.status == "reauth_required":
        raise ReplyRefused("account_unavailable",
                           f"{RENEW_CONNECTION} An admin can reconnect @{account.username} on the Accounts page.")
    raise ReplyRefused("account_unavailable", DISCONNECTED)


def _user_id(user) -> int | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.id


def _enqueue_sends(message_ids: list[int]) -> None:
    # One job for the batch, in order: a photo and its caption reach the customer as written.
    if message_ids:
        enqueue(deliver_message_job, message_ids[0], then=tuple(message_ids[1:]), queue=QUEUE_HIGH, retry=JOB_RETRY)


def preview(message: Message) -> str:
    """The conversation list's one-line summary of a message, in the same words as inbound ones."""
    return preview_of(message)[:PREVIEW_MAX]


def retry_message(message: Message, user: User | None = None) -> Message:
    """Send a failed reply again (staff's decision, also after "may not have been delivered")."""
    if not lifecycle.is_failed_reply(message):
        raise ReplyRefused("not_failed", "Only a reply that failed to send can be retried.")
    conversation = message.conversation
    require_connected(conversation.account)
    human_agent = False
    if not answers_a_comment(message):
        window = reply_window(conversation, human=message.source in HUMAN_SOURCES)
        if not window.can_reply:
            raise ReplyRefused(window.refusal_code or "window_closed", window.reason)
        human_agent = window.human_agent
    # (A comment's public or private reply has no DM window; the send job checks its own limits.)
    for item in message.attachments or []:
        key = item.get("media_key")
        if key and not media_store().extend(key):
            raise ReplyRefused("bad_attachment", ATTACHMENT_GONE)
    retried = lifecycle.requeue_failed(message.id, human_agent=human_agent)
    db.session.refresh(message)
    if retried:  # a double click retries once
        log.info("message %s retried by user %s", message.id, _user_id(user))
        _enqueue_sends([message.id])
    return message


def answers_a_comment(message: Message) -> bool:
    """A public reply (a comment of ours) or a private reply (a DM addressed to a comment)."""
    return message.kind == "comment" or content_of(message).private_reply is not None


def delete_failed_message(message: Message) -> None:
    """Remove a reply that failed to send (and its stored attachment) from the thread."""
    if not lifecycle.is_failed_reply(message):
        raise ReplyRefused("not_failed", "Only a reply that failed to send can be deleted.")
    conversation = message.conversation
    attachments = list(message.attachments or [])
    if not lifecycle.discard_failed(message):
        db.session.rollback()
        raise ReplyRefused("not_failed", "Only a reply that failed to send can be deleted.")
    for item in attachments:  # once the row is gone: a reply sent after all keeps its files
        if item.get("media_key"):
            media_store().delete(item["media_key"])
    _refresh_preview(conversation)
    waiting.recount(conversation)  # the deleted reply may have been the answer, or the last word
    db.session.commit()


def _refresh_preview(conversation: Conversation) -> None:
    latest = db.session.scalar(
        select(Message).where(Message.conversation_id == conversation.id, Message.is_deleted.is_(False))
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(1)
    )
    conversation.last_message_preview = preview(latest) if latest else None
    conversation.last_message_at = latest.created_at if latest else conversation.last_message_at


# -- Reactions --------------------------------------------------------------------------------

def react(message: Message, user: User, reaction: str = "love") -> None:
    """React to a customer's message as the business (replacing any earlier business reaction)."""
    emoji = REACTIONS.get(reaction)
    if emoji is None:
        raise ReplyRefused("bad_reaction", f"Choose one of these reactions: {', '.join(REACTIONS)}.")
    _require_reactable(message)
    others = [r for r in message.reactions or [] if r.get("by") != "business"]
    message.reactions = others + [{"emoji": emoji, "reaction": reaction, "by": "business", "user_id": _user_id(user)}]
    _queue_reaction_sync(message)


def unreact(message: Message, user: User) -> None:
    """Take the business's reaction off a customer's message."""
    _require_reactable(message)
    message.reactions = [r for r in message.reactions or [] if r.get("by") != "business"]
    _queue_reaction_sync(message)


def _require_reactable(message: Message) -> None:
    if message.direction != "in" or not message.mid or message.is_deleted:
        raise ReplyRefused("cannot_react", "Only a customer's message can be reacted to.")
    require_connected(message.conversation.account)


def _queue_reaction_sync(message: Message) -> None:
    # Shown at once; the job makes Instagram match (and undoes it if Instagram refuses).
    meta = dict(message.meta or {})
    meta.pop("reaction_error", None)
    message.meta = meta
    state_sync.mark(message)  # the sweep sends it if this enqueue is lost
    db.session.commit()
    enqueue(sync_reaction_job, message.id, queue=QUEUE_HIGH, retry=JOB_RETRY)


# -- Seen receipts ----------------------------------------------------------------------------

def queue_typing(conversation_id: int) -> None:
    """Show the customer "typing…" (app.outbound.jobs.typing_due says when), in the background;
    called by the viewers' heartbeat (app.inbox.viewers) while someone types a reply, after its
    commit (hence the id: the row would be loaded again). Best effort: it never raises into that
    request."""
    try:
        enqueue(typing_job, conversation_id, queue=QUEUE_HIGH)
    except Exception:
        log.exception("could not queue typing_on for conversation %s", conversation_id)


def queue_mark_seen(conversation: Conversation) -> None:
    """Tell Instagram the customer's messages were seen, in the background. Best effort: it never
    raises into the page that opened the conversation."""
    try:
        if not mark_seen_due(conversation):
            return
        enqueue(mark_seen_job, conversation.id, queue=QUEUE_DEFAULT, retry=RetryPolicy((30,)))
    except Exception:
        log.exception("could not queue mark_seen for conversation %s", conversation.id)
