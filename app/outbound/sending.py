"""The life of one outbound message after it is committed `pending`: claimed, sent once, and
settled as `sent` (with Meta's mid), retried later, or `failed` with a readable reason.

At most once: a job sends only after winning an atomic claim (UPDATE ... WHERE status='pending'
AND send_claimed_at IS NULL), which nothing but the claim holder releases, and only when the send
provably did not reach Meta. If the outcome is unknown (a read timeout, or a crash between Meta's
answer and our commit) the claim stays: the echo webhook then settles the message with its mid
(app.outbound.echo), or the sweep ends it as failed "may not have been delivered". Never a second
send on our own initiative.

Exactly once in the thread: the send response is authoritative for its own row. If an echo got
there first and stored the mid elsewhere (as an `app` message, or on an identical reply sent at
the same moment), `record_sent` merges so that exactly one row holds the mid.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from app.extensions import db
from app.instagram.client import AccountNotConnected, account_token
from app.instagram.errors import GraphError, RateLimitedError
from app.jobs import RetryPolicy
from app.models import Message, utcnow
from app.outbound.media_store import media_store
from app.outbound.windows import reply_window

log = logging.getLogger(__name__)

OUR_SOURCES = ("inbox", "api", "automation")
# Who counts as "a person" for Instagram's Human Agent tag: only a reply typed in the inbox.
# API clients and automation may be programs, and Meta forbids the tag on automated replies.
HUMAN_SOURCES = ("inbox",)

MAX_SEND_ATTEMPTS = 5
# RQ-level retries cover crashes outside the Graph call (a database blip); Graph errors are
# retried by the send job itself, with a backoff suited to the error.
JOB_RETRY = RetryPolicy((15, 60))
STALE_CLAIM_AFTER = timedelta(minutes=5)  # far beyond the job timeout and the HTTP timeouts
LOST_AFTER = timedelta(minutes=2)  # a due pending send nobody picked up (enqueue lost)

RENEW_CONNECTION = "The Instagram connection needs to be renewed."
DISCONNECTED = "This Instagram account is disconnected; reconnect it on the Accounts page to send."
MAY_NOT_HAVE_BEEN_DELIVERED = (
    "Instagram did not confirm this message, so it may not have been delivered. "
    "Check the conversation in the Instagram app before retrying."
)
ATTACHMENT_GONE = (
    "The attachment is no longer stored (attachments are kept for 24 hours); attach it again in a new reply."
)


def is_human(message: Message) -> bool:
    return message.source in HUMAN_SOURCES


# -- Claiming and settling -------------------------------------------------------------------

def claim(message_id: int) -> datetime | None:
    """Take the message for sending; the claim time, or None if another job has it or it is
    no longer pending. Committed at once so every other process sees it."""
    now = utcnow()
    result = db.session.execute(
        update(Message)
        .where(Message.id == message_id, Message.direction == "out", Message.status == "pending",
               Message.send_claimed_at.is_(None), Message.mid.is_(None))
        .values(send_claimed_at=now, send_attempts=Message.send_attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return now if result.rowcount == 1 else None


def _still_ours(message_id: int, claimed_at: datetime):
    # Only the holder of this very claim may settle it: not an echo (which sets a mid), not a
    # later claim after staff retried a message the sweep had given up on.
    return and_(Message.id == message_id, Message.status == "pending", Message.mid.is_(None),
                Message.send_claimed_at == claimed_at)


def record_failure(message_id: int, claimed_at: datetime, reason: str, *, uncertain: bool) -> bool:
    """Settle as failed. `uncertain` keeps the claim: Meta may have it, so an echo can still
    match the message and it is never sent again by itself."""
    values = {"status": "failed", "error": reason, "updated_at": utcnow()}
    if not uncertain:
        values["send_claimed_at"] = None
    result = db.session.execute(update(Message).where(_still_ours(message_id, claimed_at)).values(**values)
                                .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def release_for_retry(message_id: int, claimed_at: datetime, note: str, delay: float, **values) -> bool:
    """Give the claim back after a send that provably did not reach Meta, due again in `delay` s."""
    now = utcnow()
    result = db.session.execute(
        update(Message).where(_still_ours(message_id, claimed_at))
        .values(send_claimed_at=None, error=note, send_after=now + timedelta(seconds=delay), updated_at=now,
                **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def record_sent(message_id: int, mid: str) -> list[int]:
    """Store Meta's mid on the message, merging with whatever an echo already stored under it.
    Returns ids of identical replies an echo had wrongly settled, which need sending again."""
    for attempt in range(3):
        try:
            return _record_sent_once(message_id, mid)
        except (IntegrityError, OperationalError) as exc:
            # A concurrent echo took the mid (unique violation) or a lock cycle with ingestion:
            # look again with fresh data.
            db.session.rollback()
            if isinstance(exc, OperationalError) and not _is_lock_conflict(exc):
                raise
            log.info("message %s: mid settled concurrently, merging again (%d)", message_id, attempt + 1)
    return _record_sent_once(message_id, mid)


def _record_sent_once(message_id: int, mid: str) -> list[int]:
    message = db.session.get(Message, message_id, with_for_update=True, populate_existing=True)
    if message is None:
        log.warning("message %s vanished before its mid %s could be stored", message_id, mid)
        return []
    resend: list[int] = []
    holder = db.session.scalar(
        select(Message).where(Message.account_id == message.account_id, Message.mid == mid, Message.id != message.id)
        .with_for_update()
    )
    if holder is not None:
        if holder.direction == "out" and holder.source == "app":
            # Ingestion stored our own echo as typed in the Instagram app: it is this message.
            if not message.reactions and holder.reactions:
                message.reactions = list(holder.reactions)
            if holder.status in ("delivered", "read"):
                message.status = holder.status
            db.session.delete(holder)
        elif holder.direction == "out" and holder.source in OUR_SOURCES:
            # The echo was matched to an identical reply sent at the same time. That one's own
            # send (or its absence) decides its fate: back to pending, keeping any claim.
            holder.mid = None
            holder.status = "pending"
            holder.send_after = utcnow()
            if holder.send_claimed_at is None:
                resend.append(holder.id)
        else:
            raise RuntimeError(f"mid of message {message_id} already belongs to inbound message {holder.id}")
        db.session.flush()  # free the mid before this row takes it
    message.mid = mid
    if message.status not in ("delivered", "read"):
        message.status = "sent"
    message.error = None
    db.session.commit()
    return resend


def _is_lock_conflict(exc: OperationalError) -> bool:
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return code in ("40P01", "40001")  # deadlock detected, serialization failure


# -- Preparing a send -------------------------------------------------------------------------

class CannotSend(Exception):
    """The message cannot be sent now, and nothing went to Meta; `reason` is for staff."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SendPlan:
    token: str
    ig_user_id: str
    recipient: str
    text: str | None
    attachment: tuple[str, str] | None
    human_agent: bool


def plan_send(message: Message) -> SendPlan:
    """Everything the Graph call needs, checked again at send time: the account may have lost its
    token and the reply window may have moved since the message was written."""
    if message.send_attempts > MAX_SEND_ATTEMPTS:
        raise CannotSend(f"The message could not be sent after {MAX_SEND_ATTEMPTS} tries.")
    conversation = message.conversation
    account = conversation.account
    if account.status == "reauth_required":
        raise CannotSend(RENEW_CONNECTION)
    try:
        token = account_token(account)
    except AccountNotConnected:
        raise CannotSend(DISCONNECTED) from None

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
        message.human_agent = human_agent
    # Read before the commit, which expires every loaded object (reading after it cost a query each).
    plan = SendPlan(token, account.ig_user_id, conversation.contact.igsid,
                    message.text if attachment is None else None, attachment, human_agent)
    db.session.commit()  # ends the transaction: nothing stays open during the Graph call
    return plan


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
    """Claims older than any job can run belong to a crashed job: the send may or may not have
    reached Meta, and an echo would already have settled it, so they end as failed."""
    now = now or utcnow()
    result = db.session.execute(
        update(Message)
        .where(Message.status == "pending", Message.mid.is_(None), Message.send_claimed_at.is_not(None),
               Message.send_claimed_at < now - STALE_CLAIM_AFTER)
        .values(status="failed", error=MAY_NOT_HAVE_BEEN_DELIVERED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount or 0


def take_lost_sends(now: datetime | None = None, limit: int = 200) -> list[int]:
    """Pending, unclaimed sends overdue by LOST_AFTER (their enqueue was lost, e.g. Redis down).
    Their due time moves to now, so the next sweep waits for this re-enqueue to work."""
    now = now or utcnow()
    cutoff = now - LOST_AFTER
    ids = list(db.session.scalars(
        select(Message.id)
        .where(Message.status == "pending", Message.direction == "out", Message.send_claimed_at.is_(None),
               or_(Message.send_after < cutoff, and_(Message.send_after.is_(None), Message.created_at < cutoff)))
        .order_by(Message.id).limit(limit)
    ))
    if ids:
        db.session.execute(update(Message).where(Message.id.in_(ids)).values(send_after=now)
                           .execution_options(synchronize_session=False))
    db.session.commit()
    return ids
