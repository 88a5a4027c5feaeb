"""What staff, the API and automation do to a comment: reply publicly, hide or unhide it, delete
one of our own replies, and reply privately (a DM addressed to the comment).

Every rule is checked here (app.comments.rules holds Meta's limits); a refusal raises the outbound
side's `ReplyRefused` and stores nothing. What is accepted goes through the DM sends' job path
(app.outbound.jobs): a public or private reply is a `pending` Message sent at most once by
`deliver_message_job` under its claim; hiding and deleting are states synced by their jobs.

One private reply per comment is held by a claim, not a check: the UPDATE of the comment's
`private_replied_at ... WHERE private_replied_at IS NULL` in the transaction that stores the reply.
Two clicks, two workers or an automation racing a person: one UPDATE matches the row, the other
waits for it (PostgreSQL's row lock; SQLite's write lock) and then matches nothing, rolls back and
is refused "already replied".
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select, update

from app.comments import rules
from app.extensions import db
from app.inserts import insert_rows
from app.instagram.graph import MAX_COMMENT_CHARS, MAX_TEXT_BYTES
from app.integrations import events as webhook_events
from app.jobs import QUEUE_HIGH, enqueue
from app.messages import first_times, waiting
from app.messages.content import PrivateReply
from app.models import Conversation, Message, User, utcnow
from app.outbound import lifecycle, state_sync
from app.outbound.jobs import delete_comment_job, deliver_message_job, sync_comment_hidden_job
from app.outbound.replies import ReplyRefused, delete_failed_message, preview, require_connected
from app.outbound.rules import OUR_SOURCES, normalize_text
from app.outbound.sending import JOB_RETRY

log = logging.getLogger(__name__)

STILL_SENDING = "This reply is still being posted; delete it once it shows as sent."
CAPTION_KEPT = 200  # of the post's caption, on the private reply ("from a comment on <post>")


# -- Public reply -----------------------------------------------------------------------------

def reply_publicly(comment: Message, text: str | None, *, user: User | None = None, source: str = "inbox") -> Message:
    """Queue a public reply under `comment` (a customer's or our own); the pending Message, of kind
    `comment`, in the comment's conversation. Instagram threads one level deep: a reply to a reply
    goes under the comment that started the thread."""
    _check_source(source)
    if comment.kind != "comment" or not comment.mid:
        raise ReplyRefused("not_a_comment", "Only a posted comment can be replied to.")
    text = normalize_text(text)
    if not text:
        raise ReplyRefused("empty", "Write the reply to post.")
    if len(text) > MAX_COMMENT_CHARS:
        raise ReplyRefused("too_long", f"This reply is {len(text):,} characters; Instagram allows at most "
                                       f"{MAX_COMMENT_CHARS:,} in a comment.")
    conversation = comment.conversation
    require_connected(conversation.account)
    now = utcnow()
    reply = lifecycle.new_pending_reply(
        account_id=comment.account_id, conversation_id=conversation.id, kind="comment", text=text, attachments=[],
        parent_comment_id=comment.parent_comment_id or comment.mid, source=source, sent_by_id=_user_id(user),
        human_agent=False, created_at=now, received_at=now, send_after=now)
    db.session.add(reply)
    _note_reply(conversation, reply, source, now)
    db.session.commit()
    _enqueue_send(reply.id)
    log.info("public reply %s queued under comment %s (%s)", reply.id, comment.id, source)
    return reply


# -- Private reply ----------------------------------------------------------------------------

def reply_privately(comment: Message, text: str | None, *, user: User | None = None, source: str = "inbox") -> Message:
    """Queue the one private reply to a customer's `comment`: a pending DM in the person's DM
    conversation (made if they have none), addressed to the comment. Refused (ReplyRefused with
    code already_replied / too_old / live_ended) outside Meta's limits."""
    _check_source(source)
    text = normalize_text(text)
    if not text:
        raise ReplyRefused("empty", "Write the private reply to send.")
    size = len(text.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        raise ReplyRefused("too_long", f"This message is {size:,} bytes; Instagram allows at most {MAX_TEXT_BYTES:,}.")
    conversation = comment.conversation
    media = conversation.media
    refusal = rules.private_reply_refusal(comment, media.product_type if media else None)
    if refusal is not None:
        raise ReplyRefused(refusal.code, refusal.message)
    require_connected(conversation.account)

    now = utcnow()
    dm = dm_conversation(conversation, now)
    about = PrivateReply(comment.mid, media.ig_media_id if media else None, media.permalink if media else None,
                         (media.caption or "")[:CAPTION_KEPT] or None if media else None)
    reply = lifecycle.new_pending_reply(
        account_id=comment.account_id, conversation_id=dm.id, text=text, attachments=[],
        meta={"private_reply": about.to_json()}, source=source, sent_by_id=_user_id(user), human_agent=False,
        created_at=now, received_at=now, send_after=now)
    db.session.add(reply)
    db.session.flush()
    claimed = db.session.execute(
        update(Message)
        .where(Message.id == comment.id, Message.kind == "comment", Message.private_replied_at.is_(None))
        .values(private_replied_at=now, private_reply_message_id=reply.id, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise ReplyRefused("already_replied", rules.ALREADY_REPLIED)
    _note_reply(dm, reply, source, now)
    conversation.updated_at = now  # the comments thread shows the comment as answered privately
    db.session.commit()
    _enqueue_send(reply.id)
    log.info("private reply %s queued for comment %s (%s)", reply.id, comment.id, source)
    return reply


def dm_conversation(comments: Conversation, now: datetime) -> Conversation:
    """The DM conversation of the person behind a comments conversation, made if they have none
    (race-safe: the partial unique index on (account, contact) for kind dm decides). A new one is
    made as of `now`, the reply's own moment: dated later than the reply, it made the reply look
    older than the thread, so who spoke last ("You:" in the list) was never set."""
    from app.webhooks.apply import DM_THREAD  # ingestion's predicate for that index

    query = select(Conversation).where(Conversation.account_id == comments.account_id,
                                       Conversation.contact_id == comments.contact_id, Conversation.kind == "dm")
    found = db.session.scalar(query)
    if found is not None:
        return found
    insert_rows(Conversation, [{
        "workspace_id": comments.workspace_id, "account_id": comments.account_id, "contact_id": comments.contact_id,
        "kind": "dm", "media_id": None, "status": "open", "assignee_id": comments.assignee_id,
        "assignment_reason": comments.assignment_reason, "assigned_at": comments.assigned_at,
        "last_message_at": now, "created_at": now, "updated_at": now,
    }], ["account_id", "contact_id"], unique_where=DM_THREAD)
    return db.session.scalars(query).one()


def private_reply_of(comment: Message) -> Message | None:
    """The DM that is the comment's private reply (None before one, or if it was deleted)."""
    if comment.private_reply_message_id is None:
        return None
    return db.session.get(Message, comment.private_reply_message_id)


# -- Hide / unhide ----------------------------------------------------------------------------

def set_hidden(comment: Message, hidden: bool, *, user: User | None = None) -> Message:
    """Hide a customer's comment from everyone but its author (or show it again). Shown at once;
    the job makes Instagram match and puts it back, with the reason, if Instagram refuses."""
    if not rules.is_customer_comment(comment):
        raise ReplyRefused("not_a_comment", rules.NOT_A_CUSTOMER_COMMENT)
    require_connected(comment.conversation.account)
    if comment.hidden == hidden and not (comment.meta or {}).get("comment_error"):
        return comment  # a double click changes nothing and calls Instagram once
    comment.hidden = hidden
    comment.meta = {k: v for k, v in (comment.meta or {}).items() if k != "comment_error"}
    comment.conversation.updated_at = utcnow()
    state_sync.mark(comment)  # the sweep tells Instagram if this enqueue is lost
    db.session.commit()
    enqueue(sync_comment_hidden_job, comment.id, queue=QUEUE_HIGH, retry=JOB_RETRY)
    log.info("comment %s %s by user %s", comment.id, "hidden" if hidden else "shown", _user_id(user))
    return comment


# -- Delete our reply -------------------------------------------------------------------------

def delete_reply(reply: Message, *, user: User | None = None) -> Message | None:
    """Delete one of the account's own comments: a failed one just goes (nothing is on Instagram);
    a posted one is marked deleted at once and deleted on Instagram by its job. None when the row
    itself is gone."""
    if not rules.is_our_comment(reply):
        raise ReplyRefused("not_ours", rules.NOT_OUR_REPLY)
    if lifecycle.is_failed_reply(reply) and not reply.mid:
        delete_failed_message(reply)
        return None
    if not reply.mid:
        raise ReplyRefused("still_sending", STILL_SENDING)
    if reply.is_deleted:
        return reply
    require_connected(reply.conversation.account)
    reply.is_deleted = True
    reply.meta = {k: v for k, v in (reply.meta or {}).items() if k != "comment_error"}
    reply.conversation.updated_at = utcnow()
    state_sync.mark(reply)
    db.session.commit()
    enqueue(delete_comment_job, reply.id, queue=QUEUE_HIGH, retry=JOB_RETRY)
    log.info("comment %s deleted by user %s", reply.id, _user_id(user))
    return reply


# -- Helpers ----------------------------------------------------------------------------------

def _check_source(source: str) -> None:
    if source not in OUR_SOURCES:
        raise ValueError(f"source must be one of {OUR_SOURCES}, got {source!r}")


def _note_reply(conversation: Conversation, reply: Message, source: str, now) -> None:
    waiting.note_message(conversation, direction="out", source=source, at=now)
    first_times.note_reply(conversation, source=source, at=now)
    conversation.last_message_at = now
    conversation.last_message_preview = preview(reply)
    db.session.flush()  # ids for message.created (app.integrations.events)
    webhook_events.messages_created([reply], conversation.workspace_id)


def _enqueue_send(message_id: int) -> None:
    enqueue(deliver_message_job, message_id, queue=QUEUE_HIGH, retry=JOB_RETRY)


def _user_id(user) -> int | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.id
