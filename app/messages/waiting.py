"""Who spoke last in a conversation, and whether the customer is waiting for a person.

A conversation *needs a reply* when the customer spoke last and no person of the team has answered
since. An automated reply (source `automation`) is not an answer: the customer still waits for a
person. A reply from the inbox or the API is one, and so is a message a person typed in the
Instagram app (its echo, source `app`).

`Conversation.waiting_since` is the time of the customer's oldest unanswered message (None: nobody
is waiting) and `Conversation.last_speaker` who wrote the newest message (customer, team or
automation). Both change only through `note_message` (every new message: ingestion in
app.webhooks.apply, replies in app.outbound.replies), `recount` (the thread lost a message),
`note_resolved` and `note_reopened`, so the rule is written once.

Resolving counts as handled: it clears `waiting_since`. A resolved conversation is one the team
decided needs nothing more (the customer's "thanks!" is the usual last word), and if the customer
writes again ingestion reopens it and the wait starts from that message. A person reopening it
undoes the resolve: the wait is worked out again from the thread (`note_reopened`). A conversation
resolved by mistake (only the bot had answered) is then back in the queue with its real wait; one
that ended on the customer's "thanks!" waits again too, from that message, until the person who
reopened it answers or resolves it again: the cost of never losing an unanswered customer. Keeping resolved
conversations in the waiting set instead would fill ix_conversations_waiting (a partial index on
`waiting_since IS NOT NULL`) with every conversation that ended on the customer's word, and the
Longest waiting sort, which reads that index oldest first, would wade through them on every page.
A snoozed conversation keeps its wait (it is put off, not handled) but does not *need a reply*
until it wakes: `needs_reply` is true for open and pending conversations only.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.models import Conversation, Message, utcnow

CUSTOMER, TEAM, AUTOMATION = "customer", "team", "automation"
# Statuses in which a waiting customer needs a reply now (snoozed ones wait until they wake).
NEEDS_REPLY_STATUSES = ("open", "pending")
AUTOMATED_SOURCES = ("automation",)


def speaker_of(direction: str, source: str) -> str:
    """Who wrote a message: the customer (anything inbound), the automation, or a person of the team."""
    if direction == "in":
        return CUSTOMER
    return AUTOMATION if source in AUTOMATED_SOURCES else TEAM


def note_message(conversation: Conversation, *, direction: str, source: str, at: datetime,
                 customer_wrote: bool = True) -> bool:
    """A new message at `at` joined the conversation: move `waiting_since` and `last_speaker` by
    the rule. Call it before the conversation's `last_message_at` is moved to this message.
    `customer_wrote` is False for inbound lines the customer did not write (an ad referral's
    context): they change who spoke last, not whether anyone waits. Returns whether anything changed."""
    before = (conversation.waiting_since, conversation.last_speaker)
    who = speaker_of(direction, source)
    newest = conversation.last_message_at is None or at >= conversation.last_message_at
    if who == CUSTOMER:
        # Only unanswered if nothing newer is in the thread: an old message arriving late after
        # our reply must not make the customer look ignored.
        if customer_wrote and conversation.waiting_since is None and newest:
            conversation.waiting_since = at
    elif who == TEAM:
        if conversation.waiting_since is not None and at >= conversation.waiting_since:
            conversation.waiting_since = None  # answered
    if newest:
        conversation.last_speaker = who
    return (conversation.waiting_since, conversation.last_speaker) != before


def note_resolved(conversation: Conversation) -> None:
    """Resolving counts as handled (see the module's docstring)."""
    conversation.waiting_since = None


def note_reopened(conversation: Conversation) -> None:
    """A person took the conversation out of resolved (its status is already the new one): the
    wait that resolving cleared is worked out again from the thread, so a conversation resolved by
    mistake and reopened is back under Needs reply, waiting since the customer's first unanswered
    message, as before."""
    recount(conversation)


def needs_reply(conversation: Conversation) -> bool:
    return conversation.waiting_since is not None and conversation.status in NEEDS_REPLY_STATUSES


def needs_reply_clause():
    """`needs_reply` as SQL, for the list's filter."""
    return Conversation.waiting_since.is_not(None) & Conversation.status.in_(NEEDS_REPLY_STATUSES)


def recount(conversation: Conversation) -> None:
    """Work both out again from the thread, after a message left it (a failed reply deleted): the
    speaker of the newest message, and the customer's oldest message after the last answer."""
    newest = db.session.execute(
        select(Message.direction, Message.source).where(Message.conversation_id == conversation.id)
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(1)
    ).first()
    conversation.last_speaker = speaker_of(newest.direction, newest.source) if newest else None
    if conversation.status == "resolved":
        conversation.waiting_since = None
        return
    answered = db.session.scalar(
        select(Message.created_at).where(Message.conversation_id == conversation.id, Message.direction == "out",
                                         Message.source.not_in(AUTOMATED_SOURCES))
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(1)
    )
    unanswered = select(Message.created_at).where(Message.conversation_id == conversation.id,
                                                  Message.direction == "in", Message.kind != "referral")
    if answered is not None:
        unanswered = unanswered.where(Message.created_at > answered)
    conversation.waiting_since = db.session.scalar(unanswered.order_by(Message.created_at, Message.id).limit(1))


def waited(since: datetime | None, now: datetime | None = None) -> str:
    """How long the customer has waited, in the words rows and the header use: "under a minute",
    "12 min", "2 h", "3 d". static/js/app.js keeps it current between renders (data-waiting-since)."""
    if since is None:
        return ""
    minutes = max(0, int(((now or utcnow()) - since).total_seconds() // 60))
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"
