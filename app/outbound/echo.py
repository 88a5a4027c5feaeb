"""Matching the echo webhook of a business message to the outbound Message we sent.

Meta echoes every message the account sends: ours (sent through the API) and those typed in the
Instagram app. The echo and our send job's response race; whichever comes second must find the
row the first one settled, so the reply shows exactly once with Meta's mid. Webhook ingestion
calls `match_echo` for every echo, inside its own transaction; a None answer means "typed in the
app", which ingestion stores as an outbound message with source `app`.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Conversation, InstagramAccount, Message
from app.outbound import lifecycle
from app.outbound.rules import OUR_SOURCES, normalize_text

log = logging.getLogger(__name__)

# An echo follows its send within seconds; these bounds only keep an old failed reply from being
# taken for a new message typed in the app with the same words (and allow for clock skew).
_MATCH_BEFORE = timedelta(days=1)
_MATCH_AFTER = timedelta(minutes=10)


def match_echo(account: InstagramAccount, conversation: Conversation, *, mid: str, text: str | None,
               attachments: list[dict], timestamp: datetime | None) -> Message | None:
    """Our outbound Message this echo belongs to, settled as `sent` with `mid`; None when the echo
    is of a message typed in the Instagram app.

    Found by the mid itself (the send job or an earlier delivery of this echo stored it), else the
    oldest reply in this conversation still waiting for its mid whose text (or attachment types)
    is the echo's: in-flight sends first, then queued ones, then sends that ended "may not have
    been delivered" (the echo proves they were).

    Runs in the caller's transaction and does not commit; its write (lifecycle.settle_by_echo)
    sits in a savepoint so a unique-key race with the send job never spoils the caller's
    transaction. (On SQLite a savepoint opened before the transaction's first write is committed
    when released.)
    """
    for _ in range(3):
        existing = _by_mid(account.id, mid)
        if existing is not None:
            return _settle(existing, mid)
        candidate = _candidate(account, conversation, text, attachments, _aware(timestamp))
        if candidate is None:
            # The send job may have stored this mid between the two queries.
            existing = _by_mid(account.id, mid)
            return _settle(existing, mid) if existing is not None else None
        try:
            taken = lifecycle.settle_by_echo(candidate.id, mid, was_failed=candidate.status == lifecycle.FAILED)
        except IntegrityError:
            # The send job committed this mid on another row while we matched: it wins.
            log.info("echo %s: mid stored concurrently, matching again", mid)
            continue
        if taken:
            return db.session.get(Message, candidate.id, populate_existing=True)
        # Settled by someone else meanwhile: look again.
    existing = _by_mid(account.id, mid)
    return _settle(existing, mid) if existing is not None else None


def _by_mid(account_id: int, mid: str) -> Message | None:
    return db.session.scalar(select(Message).where(Message.account_id == account_id, Message.mid == mid))


def _settle(message: Message, mid: str) -> Message | None:
    if message.direction != "out":
        log.error("echo %s carries the mid of inbound message %s", mid, message.id)
        return None
    lifecycle.confirm_by_echo(message)
    return message


def _candidate(account, conversation, text, attachments, when: datetime | None) -> Message | None:
    query = (
        select(Message)
        .where(
            Message.account_id == account.id,
            Message.conversation_id == conversation.id,
            Message.direction == "out",
            Message.source.in_(OUR_SOURCES),
            lifecycle.awaiting_echo(),
        )
        .order_by(Message.status == lifecycle.FAILED, Message.send_claimed_at.is_(None), Message.created_at,
                  Message.id)
    )
    if when is not None:
        query = query.where(Message.created_at >= when - _MATCH_BEFORE, Message.created_at <= when + _MATCH_AFTER)
    wanted_text = normalize_text(text)
    wanted_types = sorted(str(a.get("type")) for a in attachments or [] if isinstance(a, dict))
    for message in db.session.scalars(query):
        if wanted_text:
            if normalize_text(message.text) == wanted_text:
                return message
        elif wanted_types and sorted(str(a.get("type")) for a in message.attachments or []) == wanted_types:
            return message
    return None


def _aware(value: datetime | None) -> datetime | None:
    # Ingestion passes the event's aware UTC time; a naive one is taken as UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)
