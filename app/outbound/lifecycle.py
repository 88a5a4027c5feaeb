"""A message's states, and every change of `Message.status`: each writer goes through a function here.

A customer's message is stored `received` and stays so. One of ours (direction "out"):

    (none) --queue_reply--> pending --claim--> claimed --record_sent--> sent --read receipt--> read
    claimed --release_for_retry--> pending          nothing reached Meta; due again later
    claimed --record_failure--> failed              refused, or gave up; nothing reached Meta
    claimed --record_failure(uncertain)--> uncertain   Meta may have it ("may not have been delivered")
    claimed --sweep: its job died--> uncertain
    pending / claimed / uncertain --echo--> sent    the echo carries the mid, before or after the job
    failed / uncertain --staff retry--> pending     failed / uncertain --staff delete--> (gone)
    sent --record_sent of its identical twin--> pending   the echo had been matched to the wrong one
    (none) --echo of a message typed in the Instagram app--> sent

`claimed` is `pending` with `send_claimed_at` set, and `uncertain` is `failed` with it kept: not
statuses of their own. The claim is what makes a send happen at most once (app.outbound.sending):
only the job holding it sends, and an uncertain failure keeps it, so only the echo, never a retry
of ours, can still make the message `sent`. `delivered` is in the schema but nothing writes it
(the app subscribes to no delivery receipts); readers treat it like `sent`.

| change                          | function                        | called by                          |
|---------------------------------|---------------------------------|------------------------------------|
| (none) -> pending               | new_pending_reply               | replies.queue_reply                |
| pending -> claimed              | claim_statement                 | sending.claim_outgoing (the job)   |
| claimed -> pending              | release_for_retry               | jobs.deliver_message_job           |
| claimed -> failed / uncertain   | record_failure                  | jobs.deliver_message_job           |
| claimed -> sent                 | record_sent                     | jobs.deliver_message_job           |
| claimed -> uncertain            | fail_abandoned_claims           | sending.fail_stale_claims (sweep)  |
| pending / uncertain -> sent     | settle_by_echo, confirm_by_echo | echo.match_echo (ingestion)        |
| failed / uncertain -> pending   | requeue_failed                  | replies.retry_message (staff)      |
| failed / uncertain -> (gone)    | discard_failed                  | replies.delete_failed_message      |
| sent / delivered -> read        | mark_read                       | webhooks.apply (read receipts)     |
| (none) -> received / sent       | arrival_status                  | webhooks.apply (new messages)      |

The worker's functions (the claim to fail_abandoned_claims, and requeue_failed) commit at once so
every other process sees the change; those ingestion calls run inside the delivery's transaction
and never commit.

A failed send is no answer to the customer: every change into or out of `failed` refreshes the
conversation's stored first answer (app.messages.first_times) in the same transaction, with the
conversation's row locked before the message's, the order ingestion takes them in (the other order
could deadlock with a delivery of the same conversation).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from types import SimpleNamespace
from typing import TypeVar

from sqlalchemy import and_, bindparam, exists, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from app.autocommit import run_alone
from app.extensions import db
from app.messages import first_times
from app.models import Conversation, Message, utcnow
from app.outbound.rules import MAY_NOT_HAVE_BEEN_DELIVERED, OUR_SOURCES

log = logging.getLogger(__name__)

T = TypeVar("T")

RECEIVED = "received"  # a customer's message
PENDING = "pending"  # a reply waiting to be sent, or being sent (claimed)
SENT = "sent"  # Meta has it: we hold its mid
DELIVERED = "delivered"  # nothing writes it today (see above)
READ = "read"  # the customer's read receipt covers it
FAILED = "failed"  # not sent, or not known to be: `error` says why, for staff

_BEYOND_SENT = (DELIVERED, READ)  # never moved back to `sent`


# -- Arriving ---------------------------------------------------------------------------------

def new_pending_reply(**columns) -> Message:
    """A reply queued by staff, the API or automation: (none) -> pending. Not added to the session."""
    return Message(direction="out", status=PENDING, **columns)


def arrival_status(direction: str) -> str:
    """The first state of a message ingestion stores. A customer's is `received`; an echo that
    matched none of our replies was typed in the Instagram app, so Meta already has it: `sent`."""
    return SENT if direction == "out" else RECEIVED


# -- The send job: claim, then settle -----------------------------------------------------------

def claim_statement():
    """The claim: take the message for sending, an UPDATE that changes one row only while the
    message is pending, unclaimed and without a mid, so that one job wins. Bound parameters
    `message_id` and `now`; sending.claim_outgoing runs it (on PostgreSQL extended with FROM and
    RETURNING: what the send needs) and commits it at once, so every other process sees it."""
    return _statements().claim


def claim_and_load(message_id: int, load: Callable[[], T]) -> tuple[datetime, T] | None:
    """The claim (claim_statement), and when it is won, `load()` read inside the claim's own
    transaction: the claim time and what was loaded, or None. For a database that cannot return
    another table's columns from an UPDATE (SQLite); PostgreSQL claims and loads in one statement
    (sending.claim_outgoing)."""
    now = utcnow()
    won = db.session.execute(_statements().claim, {"message_id": message_id, "now": now}).rowcount == 1
    loaded = load() if won else None
    db.session.commit()
    return (now, loaded) if won else None


@cache
def _statements() -> SimpleNamespace:
    """The send job's two writes, built once: they run for every reply, and building an ORM
    UPDATE (each `Message.x == y` through the ORM's instrumentation) and executing it through the
    ORM's bulk-update path cost more Python than the statement costs PostgreSQL (bench/profile_worker.py).
    Core statements on the table, with bound parameters."""
    messages = Message.__table__
    other = messages.alias("other")
    claim = (
        update(messages)
        .where(messages.c.id == bindparam("message_id"), messages.c.direction == "out",
               messages.c.status == PENDING, messages.c.send_claimed_at.is_(None), messages.c.mid.is_(None))
        .values(send_claimed_at=bindparam("now"), send_attempts=messages.c.send_attempts + 1,
                updated_at=bindparam("now"))
    )
    sent_plainly = (
        update(messages)
        .where(messages.c.id == bindparam("message_id"), messages.c.status == PENDING,
               ~exists().where(other.c.account_id == messages.c.account_id, other.c.mid == bindparam("sent_mid"),
                               other.c.id != bindparam("message_id")))
        .values(mid=bindparam("sent_mid"), status=SENT, error=None, updated_at=bindparam("now"))
    )
    return SimpleNamespace(claim=claim, sent_plainly=sent_plainly)


def _still_ours(message_id: int, claimed_at: datetime):
    # Only the holder of this very claim may settle it: not an echo (which sets a mid), not a
    # later claim after staff retried a message the sweep had given up on.
    return and_(Message.id == message_id, Message.status == PENDING, Message.mid.is_(None),
                Message.send_claimed_at == claimed_at)


def _lock_conversations_of(message_ids: list[int], *, skip_locked: bool = False) -> list[int]:
    """Lock the conversations of these messages (in id order, as ingestion does); their ids.
    `skip_locked`: leave out those another transaction holds (only those returned are locked)."""
    if not message_ids:
        return []
    owners = select(Message.conversation_id).where(Message.id.in_(message_ids))
    return list(db.session.scalars(select(Conversation.id).where(Conversation.id.in_(owners))
                                   .order_by(Conversation.id).with_for_update(skip_locked=skip_locked)))


def record_failure(message_id: int, claimed_at: datetime, reason: str, *, uncertain: bool) -> bool:
    """Settle as failed. `uncertain` keeps the claim: Meta may have it, so an echo can still
    match the message and it is never sent again by itself."""
    values = {"status": FAILED, "error": reason, "updated_at": utcnow()}
    if not uncertain:
        values["send_claimed_at"] = None
    conversations = _lock_conversations_of([message_id])
    result = db.session.execute(update(Message).where(_still_ours(message_id, claimed_at)).values(**values)
                                .execution_options(synchronize_session=False))
    if result.rowcount == 1:
        first_times.refresh(conversations)
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
    Returns ids of identical replies an echo had wrongly settled, which need sending again.

    The send response is authoritative for its own row: if an echo got there first and stored the
    mid elsewhere (as an `app` message, or on an identical reply sent at the same moment), this
    merges so that exactly one row holds the mid."""
    for attempt in range(3):
        try:
            if _record_sent_plainly(message_id, mid):
                return []
            return _record_sent_once(message_id, mid)
        except (IntegrityError, OperationalError) as exc:
            # A concurrent echo took the mid (unique violation) or a lock cycle with ingestion:
            # look again with fresh data.
            db.session.rollback()
            if isinstance(exc, OperationalError) and not _is_lock_conflict(exc):
                raise
            log.info("message %s: mid settled concurrently, merging again (%d)", message_id, attempt + 1)
    return _record_sent_once(message_id, mid)


def _record_sent_plainly(message_id: int, mid: str) -> bool:
    """The usual case as one statement: the message is still pending (claimed) and no other row
    holds the mid (no echo got there first). Nothing to merge, no answer counted differently
    (pending and sent both count), so no conversation to lock. False leaves it to the full path;
    an echo storing the same mid meanwhile makes this UPDATE fail on the unique index, which
    record_sent answers by looking again. Its own transaction (app.autocommit): the job has
    nothing else to commit with it."""
    outcome = run_alone(_statements().sent_plainly, {"message_id": message_id, "sent_mid": mid, "now": utcnow()})
    return outcome.rowcount == 1


def _record_sent_once(message_id: int, mid: str, *, locked: tuple[int, ...] = ()) -> list[int]:
    """`locked`: messages whose conversations to lock first (see below); none on the usual path."""
    if locked:
        _lock_conversations_of(list(locked))
    message = db.session.get(Message, message_id, with_for_update=True, populate_existing=True)
    if message is None:
        log.warning("message %s vanished before its mid %s could be stored", message_id, mid)
        return []
    resend: list[int] = []
    holder = db.session.scalar(
        select(Message).where(Message.account_id == message.account_id, Message.mid == mid, Message.id != message.id)
        .with_for_update()
    )
    # Merging an echo's row, or a reply the sweep had failed meanwhile becoming sent, changes which
    # answers the conversations hold (app.messages.first_times): start over with those conversations
    # locked first, the order ingestion locks in (never a conversation after a message).
    counts_change = holder is not None or message.status == FAILED
    if counts_change and not locked:
        lock = (message_id,) + ((holder.id,) if holder is not None else ())
        db.session.rollback()
        return _record_sent_once(message_id, mid, locked=lock)
    touched = {message.conversation_id}
    if holder is not None:
        touched.add(holder.conversation_id)
        if holder.direction == "out" and holder.source == "app":
            # Ingestion stored our own echo as typed in the Instagram app: it is this message.
            if not message.reactions and holder.reactions:
                message.reactions = list(holder.reactions)
            if holder.status in _BEYOND_SENT:
                message.status = holder.status
            db.session.delete(holder)
        elif holder.direction == "out" and holder.source in OUR_SOURCES:
            # The echo was matched to an identical reply sent at the same time. That one's own
            # send (or its absence) decides its fate: back to pending, keeping any claim.
            holder.mid = None
            holder.status = PENDING
            holder.send_after = utcnow()
            if holder.send_claimed_at is None:
                resend.append(holder.id)
        else:
            raise RuntimeError(f"mid of message {message_id} already belongs to inbound message {holder.id}")
        db.session.flush()  # free the mid before this row takes it
    message.mid = mid
    if message.status not in _BEYOND_SENT:
        message.status = SENT
    message.error = None
    if counts_change:
        first_times.refresh(touched)  # flushes the changes above first
    db.session.commit()
    return resend


def _is_lock_conflict(exc: OperationalError) -> bool:
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return code in ("40P01", "40001")  # deadlock detected, serialization failure


def fail_abandoned_claims(claimed_before: datetime, now: datetime) -> int:
    """Claims taken before `claimed_before` belong to a crashed job: the send may or may not have
    reached Meta, and an echo would already have settled it, so they end as failed, claim kept."""
    abandoned = and_(Message.status == PENDING, Message.mid.is_(None), Message.send_claimed_at.is_not(None),
                     Message.send_claimed_at < claimed_before)
    ids = list(db.session.scalars(select(Message.id).where(abandoned)))
    # Conversations a delivery holds now are left for the next sweep: the sweep never waits for a
    # lock, so it can never deadlock with ingestion, whichever order ingestion took its rows in.
    conversations = _lock_conversations_of(ids, skip_locked=True)
    if not conversations:
        db.session.commit()
        return 0
    result = db.session.execute(
        update(Message).where(Message.id.in_(ids), Message.conversation_id.in_(conversations),
                              abandoned)  # re-checked: an echo may have settled one
        .values(status=FAILED, error=MAY_NOT_HAVE_BEEN_DELIVERED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    first_times.refresh(conversations)
    db.session.commit()
    return result.rowcount or 0


# -- The echo ---------------------------------------------------------------------------------

def awaiting_echo():
    """SQL condition for the replies an echo may still settle: no mid yet, and queued, in flight,
    or failed with its claim kept (the outcome was unknown, and an echo proves it was sent)."""
    return and_(
        Message.mid.is_(None),
        or_(Message.status.in_((PENDING, SENT)),
            and_(Message.status == FAILED, Message.send_claimed_at.is_not(None))),
    )


def settle_by_echo(message_id: int, mid: str, *, was_failed: bool) -> bool:
    """The echo's mid goes onto a reply that had none: pending or failed -> sent. False when it got
    a mid meanwhile. One conditional UPDATE (not read-then-write): it waits for a send job holding
    the row, re-checks `mid IS NULL` after it, and takes SQLite's write lock at once. In a
    savepoint, so the IntegrityError of a unique-key race with the send job (raised to the caller)
    never spoils the delivery's transaction. `was_failed`: its status as the caller read it, which
    holds (the conversation is locked, and failing a reply or retrying it locks the conversation too)."""
    with db.session.begin_nested():
        taken = db.session.execute(
            update(Message).where(Message.id == message_id, Message.mid.is_(None))
            .values(mid=mid, status=SENT, error=None, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
    if taken and was_failed:
        first_times.refresh_for_messages([message_id])  # an answer again
    return bool(taken)


def confirm_by_echo(message: Message) -> None:
    """An echo for a reply that already holds its mid: pending or failed -> sent (else unchanged)."""
    if message.status in (PENDING, FAILED):
        was_failed = message.status == FAILED
        with db.session.begin_nested():
            db.session.execute(
                update(Message).where(Message.id == message.id, Message.status.in_((PENDING, FAILED)))
                .values(status=SENT, error=None, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        db.session.refresh(message)
        if was_failed and message.status == SENT:
            first_times.refresh([message.conversation_id])  # an answer again


# -- Staff ------------------------------------------------------------------------------------

def is_failed_reply(message: Message) -> bool:
    """Only these can be retried or deleted by staff."""
    return message.direction == "out" and message.status == FAILED


def requeue_failed(message_id: int, *, human_agent: bool) -> bool:
    """Staff send a failed reply again (also one that "may not have been delivered"): failed ->
    pending, unclaimed, attempts counted from zero, due now. False when it was no longer failed
    (a double click retries once). Committed."""
    now = utcnow()
    conversations = _lock_conversations_of([message_id])
    result = db.session.execute(
        update(Message).where(Message.id == message_id, Message.status == FAILED)
        .values(status=PENDING, error=None, send_claimed_at=None, send_attempts=0, send_after=now,
                human_agent=human_agent, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        first_times.refresh(conversations)
    db.session.commit()
    return result.rowcount == 1


def discard_failed(message: Message) -> bool:
    """Staff delete a failed reply: failed -> (gone). Flushed, not committed. False, and nothing
    deleted, when it is no longer failed (an echo proved it sent meanwhile): it may be the answer."""
    # Under the conversation's lock the status cannot change: an echo settles inside a delivery,
    # which holds it, and record_sent takes it before making a failed reply sent.
    _lock_conversations_of([message.id])
    db.session.refresh(message)
    if message.status != FAILED:
        return False
    db.session.delete(message)
    db.session.flush()
    return True


# -- Read receipts ----------------------------------------------------------------------------

def mark_read(conversation_id: int, upto: datetime, now: datetime) -> int:
    """The customer read our replies up to `upto`: sent / delivered -> read. Receipts only move
    forward: pending and failed stay as they are, read stays read. The number of rows changed."""
    result = db.session.execute(
        update(Message)
        .where(Message.conversation_id == conversation_id, Message.direction == "out",
               Message.status.in_((SENT, DELIVERED)), Message.created_at <= upto)
        .values(status=READ, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
