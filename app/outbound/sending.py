"""How a reply is sent at most once, and found again when its job was lost: the protocol the
send job (app.outbound.jobs) follows, over the state changes in app.outbound.lifecycle.

At most once: a job sends only after winning an atomic claim (`claim_outgoing`, the UPDATE of
`lifecycle.claim_statement`: ... WHERE status='pending' AND send_claimed_at IS NULL AND mid IS
NULL), committed before the call, which nothing but the claim holder releases, and
only when the send provably did not reach Meta. If the outcome is unknown (a read timeout, or a
crash between Meta's answer and our commit) the claim stays: the echo webhook then settles the
message with its mid (app.outbound.echo), or the sweep here ends it as failed "may not have been
delivered". Never a second send on our own initiative.

Exactly once in the thread: the send response is authoritative for its own row. If an echo got
there first and stored the mid elsewhere, `lifecycle.record_sent` merges so that exactly one row
holds the mid.

This module holds what the job checks before calling Meta (`plan_send`), how long it waits
between tries, and the sweep's policy.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Row, and_, bindparam, exists, or_, select, update
from sqlalchemy.orm import aliased

from app.accounts.lifecycle import can_call_meta
from app.autocommit import run_alone
from app.extensions import db
from app.instagram.client import AccountCredentials, account_token
from app.instagram.errors import GraphError, RateLimitedError
from app.jobs import RetryPolicy
from app.messages.content import content_of
from app.models import Contact, Conversation, InstagramAccount, Message, utcnow
from app.outbound import lifecycle
from app.outbound.media_store import media_store
from app.outbound.rules import ATTACHMENT_GONE, DISCONNECTED, RENEW_CONNECTION, is_human
from app.outbound.windows import reply_window

MAX_SEND_ATTEMPTS = 5
# RQ-level retries cover crashes outside the Graph call (a database blip); Graph errors are
# retried by the send job itself, with a backoff suited to the error.
JOB_RETRY = RetryPolicy((15, 60))
STALE_CLAIM_AFTER = timedelta(minutes=5)  # far beyond the job timeout and the HTTP timeouts
LOST_AFTER = timedelta(minutes=2)  # a due pending send nobody picked up (enqueue lost)


# -- Preparing a send -------------------------------------------------------------------------

class CannotSend(Exception):
    """The message cannot be sent now, and nothing went to Meta; `reason` is for staff."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# What a send is (SendPlan.action): a DM to a person, a private reply (a DM addressed to a
# comment: Meta's private replies) or a public reply under a comment.
DM = "dm"
PRIVATE_REPLY = "private_reply"
COMMENT_REPLY = "comment_reply"


@dataclass(frozen=True)
class SendPlan:
    token: str
    ig_user_id: str
    recipient: str  # the person's IGSID; for a private or public reply, the comment's id
    text: str | None
    attachment: tuple[str, str] | None
    human_agent: bool
    action: str = DM


@dataclass(frozen=True)
class SendConversation:
    """The conversation's columns a send reads (reply_window reads these of a Conversation)."""
    kind: str
    last_inbound_at: datetime | None
    workspace_id: int


@dataclass(frozen=True)
class Outgoing:
    """A claimed message and what its send needs, read with the claim (`claim_outgoing`: on
    PostgreSQL returned by the claim's own statement, elsewhere read by `load_outgoing` in the
    claim's transaction). `message` is a row of the message's own columns, which content_of and
    is_human read as they read a Message."""
    message: Row
    conversation: SendConversation
    account: AccountCredentials
    igsid: str


def claim_outgoing(message_id: int) -> tuple[datetime, Outgoing | None] | None:
    """The send's claim (lifecycle.claim_statement) and what the send needs, read with it: the
    claim time and the message's Outgoing, or None when the claim was lost. On PostgreSQL one
    statement that is its own transaction (UPDATE ... FROM ... RETURNING): the claim and the read
    were two statements in a transaction, four round trips, most of what a send added to its Graph call
    (bench/profile_worker.py). SQLite cannot return another table's columns from an UPDATE: there
    the claim is followed by the read in the same transaction."""
    if db.engine.dialect.name != "postgresql":
        return lifecycle.claim_and_load(message_id, lambda: load_outgoing(message_id))
    now = utcnow()
    rows = run_alone(_claim_outgoing_statement(), {"message_id": message_id, "now": now}).rows
    return (now, _outgoing(rows[0])) if rows else None


def load_outgoing(message_id: int) -> Outgoing | None:
    """One statement, plain columns: the send runs for every reply, and loading four ORM objects
    cost the job more than the statement costs PostgreSQL (bench/profile_worker.py)."""
    row = db.session.execute(_load_outgoing_statement(), {"message_id": message_id}).one_or_none()
    return None if row is None else _outgoing(row)


def _outgoing(row: Row) -> Outgoing:
    return Outgoing(message=row,
                    conversation=SendConversation(row.conversation_kind, row.last_inbound_at, row.workspace_id),
                    account=AccountCredentials(row.account_id, row.username, row.account_status,
                                               row.token_encrypted, row.ig_user_id),
                    igsid=row.igsid)


def _outgoing_columns() -> list:
    messages, conversations = Message.__table__, Conversation.__table__
    accounts, contacts = InstagramAccount.__table__, Contact.__table__
    return [*(messages.c[name] for name in _MESSAGE_COLUMNS),
            conversations.c.kind.label("conversation_kind"), conversations.c.last_inbound_at,
            conversations.c.workspace_id, accounts.c.id.label("account_id"), accounts.c.username,
            accounts.c.status.label("account_status"), accounts.c.token_encrypted, accounts.c.ig_user_id,
            contacts.c.igsid]


def _outgoing_joins() -> tuple:
    """How a message reaches its conversation, account and customer."""
    messages, conversations = Message.__table__, Conversation.__table__
    accounts, contacts = InstagramAccount.__table__, Contact.__table__
    return (conversations.c.id == messages.c.conversation_id, accounts.c.id == conversations.c.account_id,
            contacts.c.id == conversations.c.contact_id)


@cache
def _load_outgoing_statement():
    # Built once, with a bound parameter (building a statement costs Python on every call).
    messages = Message.__table__
    return select(*_outgoing_columns()).where(messages.c.id == bindparam("message_id"), *_outgoing_joins())


@cache
def _claim_outgoing_statement():
    # The claim's own UPDATE (one home for its conditions), joined to what the send reads. The
    # joined rows are read, not locked: as the separate read was.
    return lifecycle.claim_statement().where(*_outgoing_joins()).returning(*_outgoing_columns())


# What plan_send, content_of (a comment's, a private reply's meta) and is_human read of the message.
_MESSAGE_COLUMNS = ("id", "kind", "text", "attachments", "meta", "source", "human_agent", "send_attempts",
                    "parent_comment_id", "mid", "hidden")


def plan_send(outgoing: Outgoing) -> SendPlan:
    """Everything the Graph call needs, checked again at send time: the account may have lost its
    token and the reply window may have moved since the message was written."""
    message, conversation, account = outgoing.message, outgoing.conversation, outgoing.account
    if message.send_attempts > MAX_SEND_ATTEMPTS:
        raise CannotSend(f"The message could not be sent after {MAX_SEND_ATTEMPTS} tries.")
    if not can_call_meta(account):
        raise CannotSend(RENEW_CONNECTION if account.status == "reauth_required" else DISCONNECTED)
    token = account_token(account)

    if message.kind == "comment":
        # A public reply: comments have no reply window.
        return SendPlan(token, account.ig_user_id, message.parent_comment_id, message.text, None, False, COMMENT_REPLY)
    private_reply = content_of(message).private_reply
    if private_reply is not None:
        # Addressed to the comment, under its own limits (not the DM windows: the person may never
        # have written to the account).
        refusal = _private_reply_limits(message.id)
        if refusal is not None:
            raise CannotSend(refusal)
        return SendPlan(token, account.ig_user_id, private_reply.comment_id, message.text, None, False, PRIVATE_REPLY)

    window = reply_window(conversation, human=is_human(message))
    if not window.can_reply:
        raise CannotSend(window.reason)
    human_agent = window.human_agent or (message.human_agent and is_human(message))

    attachment = None
    if message.attachments:
        item = message.attachments[0]
        key = item.get("media_key")
        # Instagram fetches the URL after we call: make sure it stays up long enough.
        if key and not media_store().extend(key):
            raise CannotSend(ATTACHMENT_GONE)
        attachment = (item["type"], item["url"])
    if human_agent != message.human_agent:
        # The message shows how it went (the thread marks a human agent reply); the job commits
        # it with whatever else this read, before the Graph call.
        db.session.execute(update(Message).where(Message.id == message.id).values(human_agent=human_agent)
                           .execution_options(synchronize_session=False))
    return SendPlan(token, account.ig_user_id, outgoing.igsid, message.text if attachment is None else None,
                    attachment, human_agent)


def _private_reply_limits(message_id: int) -> str | None:
    from app.comments.rules import age_refusal
    from app.models import Conversation, InstagramMedia

    row = db.session.execute(
        select(Message.created_at, InstagramMedia.product_type)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .outerjoin(InstagramMedia, InstagramMedia.id == Conversation.media_id)
        .where(Message.private_reply_message_id == message_id)
    ).first()
    if row is None:
        return None  # the comment was deleted; Instagram decides
    refusal = age_refusal(row.created_at, row.product_type)
    return refusal.message if refusal else None


# -- Retry timing -----------------------------------------------------------------------------

def retry_delay(attempt: int, error: GraphError) -> float:
    """Seconds before try `attempt + 1`: exponential with jitter, rate limits far slower, and
    never sooner than Meta's Retry-After."""
    rate_limited = isinstance(error, RateLimitedError)
    base, cap = (60.0, 900.0) if rate_limited else (5.0, 600.0)
    ceiling = min(cap, base * 3 ** (attempt - 1))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)  # "equal jitter": spread, but not to zero
    if error.retry_after:
        delay = max(delay, min(error.retry_after, cap))
    return delay


def gave_up_reason(error: GraphError) -> str:
    if isinstance(error, RateLimitedError):
        return (f"Instagram kept limiting how fast this account may send, so the message was not sent "
                f"after {MAX_SEND_ATTEMPTS} tries. Retry it in a few minutes.")
    return (f"Instagram could not be reached after {MAX_SEND_ATTEMPTS} tries, so the message was not sent. "
            "Retry it when Instagram is back.")


def retrying_note(attempt: int, error: GraphError) -> str:
    what = "is limiting this account" if isinstance(error, RateLimitedError) else "could not be reached"
    return f"Instagram {what}; trying again (attempt {attempt + 1} of {MAX_SEND_ATTEMPTS})."


# -- Sweep ------------------------------------------------------------------------------------

def fail_stale_claims(now: datetime | None = None) -> int:
    """Claims older than any job can run belong to a crashed job: they end as failed "may not
    have been delivered" (see lifecycle.fail_abandoned_claims)."""
    now = now or utcnow()
    return lifecycle.fail_abandoned_claims(now - STALE_CLAIM_AFTER, now)


def in_flight(message_id: int) -> bool:
    """Whether a try holds the message's claim (pending and claimed: its outcome not known yet)."""
    return db.session.scalar(select(Message.id).where(Message.id == message_id, Message.status == lifecycle.PENDING,
                                                      Message.send_claimed_at.is_not(None))) is not None


def take_lost_sends(now: datetime | None = None, limit: int = 200) -> list[int]:
    """Pending, unclaimed sends overdue by LOST_AFTER (their enqueue was lost, e.g. Redis down).
    Their due time moves to now, so the next sweep waits for this re-enqueue to work.

    Only the first pending send of each conversation: the rest of a reply waits behind a part
    that is retrying (a rate limit waits minutes) or held by another try, and parts queued as
    jobs of their own could go in either order; the next is taken by a later sweep, once the one
    before it is sent or failed."""
    now = now or utcnow()
    cutoff = now - LOST_AFTER
    earlier = aliased(Message)
    ids = list(db.session.scalars(
        select(Message.id)
        .where(Message.status == lifecycle.PENDING, Message.direction == "out", Message.send_claimed_at.is_(None),
               or_(Message.send_after < cutoff, and_(Message.send_after.is_(None), Message.created_at < cutoff)),
               ~exists().where(earlier.conversation_id == Message.conversation_id, earlier.id < Message.id,
                               earlier.status == lifecycle.PENDING, earlier.direction == "out"))
        .order_by(Message.id).limit(limit)
    ))
    if ids:
        db.session.execute(update(Message).where(Message.id.in_(ids)).values(send_after=now)
                           .execution_options(synchronize_session=False))
    db.session.commit()
    return ids
