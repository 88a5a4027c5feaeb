"""When a conversation's customer first wrote, and when a person of the team first answered after
that: `Conversation.first_customer_at` and `first_answer_at`, the two times the reports' first
response, 24 h window and resolution figures are made of (app.reports.figures).

The definitions (the SQL and the Python forms below say the same thing, and the reports' partial
indexes ix_messages_first_customer / ix_messages_first_answer hold exactly these rows):

- a *customer message*: inbound, and not an ad's referral line (context, not something they wrote);
- a *person's answer*: outbound, not automated (app.messages.waiting.AUTOMATED_SOURCES), not a failed
  send (it never reached the customer);
- `first_customer_at`: the oldest customer message; `first_answer_at`: the oldest person's answer at or
  after it (an answer before the customer ever wrote answers nothing). Both NULL until they exist.

Why stored: computed at report time they cost two index probes per conversation of the period,
most of a report's time at a million messages (bench/bench_reports.py). They are not a nightly copy
that can drift: every writer keeps them in the transaction of the message they come from, with
the conversation's row locked.

- New messages: ingestion's `note_new_message`, on the row it locked, no query; replies and comment
  actions' `note_reply`, one conditional UPDATE. `note_new_message` asks for `refresh` only when a customer message older than the stored first one arrives after an
  answer is stored (history import, a late delivery): an earlier answer may count now.
- A status change into or out of `failed` (app.outbound.lifecycle), or a row deleted: `refresh`.
- Bulk writers (`flask seed`, the demo, the test factory, migration 0022's backfill): `refresh` over
  their conversations, the same SQL.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement, literal_column

from app.extensions import db
from app.messages.waiting import AUTOMATED_SOURCES
from app.models import Conversation, Message

FAILED = "failed"


def sql_constant(value: str):  # app.reports.figures writes its constants with it too
    # A constant in the SQL, not a parameter: partial indexes (and PostgreSQL's generic plans) can
    # only be matched against constants.
    return literal_column("'" + value.replace("'", "''") + "'")


# -- The definitions ----------------------------------------------------------------------------

def customer_message(m=Message) -> ColumnElement:
    """SQL: a message the customer wrote; the predicate of ix_messages_first_customer."""
    return and_(m.direction == sql_constant("in"), m.kind != sql_constant("referral"))


def person_reply(m=Message) -> ColumnElement:
    """SQL: a person's answer that reached the customer (or may still); the predicate of
    ix_messages_first_answer."""
    return and_(m.direction == sql_constant("out"), *[m.source != sql_constant(s) for s in AUTOMATED_SOURCES],
                m.status != sql_constant(FAILED))


def is_customer_message(direction: str, kind: str | None) -> bool:
    return direction == "in" and kind != "referral"


def is_person_reply(direction: str, source: str | None, status: str | None) -> bool:
    return direction == "out" and source not in AUTOMATED_SOURCES and status != FAILED


# -- Keeping them -------------------------------------------------------------------------------

def note_new_message(conversation: Conversation, *, direction: str, kind: str | None, source: str | None,
                     status: str | None, at: datetime, only_rows_so_far: bool = False) -> bool:
    """A new message at `at` joined `conversation` (its row locked by the caller): move the stored
    times if it is the first of its kind. Returns True when only `refresh` can tell: the first
    customer message moved (it was none, or this one is older), so answers already in the thread
    that were too early to count may count now (a thread we started, a late delivery, a history
    import). `only_rows_so_far`: the caller has noted every row of the conversation, in time order
    (a conversation its delivery created), so nothing older can be waiting in the thread."""
    if is_customer_message(direction, kind):
        first = conversation.first_customer_at
        if first is not None and at >= first:
            return False
        conversation.first_customer_at = at
        # Answers noted so far were all too early to count (none is stored): a conversation with no
        # other rows needs nothing more; otherwise which answers count now needs the messages.
        return not only_rows_so_far
    if is_person_reply(direction, source, status):
        first_in, answer = conversation.first_customer_at, conversation.first_answer_at
        if first_in is not None and at >= first_in and (answer is None or at < answer):
            conversation.first_answer_at = at
    return False


def note_reply(conversation: Conversation, *, source: str, at: datetime) -> None:
    """A reply of ours queued at `at` (now: nothing in the thread is newer) by a path that does not
    lock the conversation (app.outbound.replies, app.comments.actions): one conditional UPDATE, which
    PostgreSQL re-checks on the row's newest version when another transaction held it, so a
    concurrent delivery or reply is never overwritten."""
    if not is_person_reply("out", source, "pending"):
        return
    c = Conversation
    db.session.execute(
        update(c).where(c.id == conversation.id, c.first_customer_at <= at,
                        or_(c.first_answer_at.is_(None), c.first_answer_at > at))
        .values(first_answer_at=at, updated_at=c.updated_at)  # the reply's own write moves updated_at
        .execution_options(synchronize_session=False)
    )
    db.session.expire(conversation, ["first_answer_at"])


def first_customer_sql(conversation_id: ColumnElement):
    m = aliased(Message)
    return select(func.min(m.created_at)).where(m.conversation_id == conversation_id, customer_message(m)) \
        .scalar_subquery()


def first_answer_sql(conversation_id: ColumnElement):
    m = aliased(Message)
    return select(func.min(m.created_at)).where(m.conversation_id == conversation_id, person_reply(m),
                                                m.created_at >= first_customer_sql(conversation_id)) \
        .scalar_subquery()


def refresh(conversation_ids: Iterable[int] | None = None, *, workspace_id: int | None = None) -> None:
    """Recompute both times from the messages: for `conversation_ids`, or every conversation of
    `workspace_id`. Given ids, locks the rows first, in id order as ingestion does, in a statement
    of its own: under READ COMMITTED the UPDATE that follows then reads every message committed
    before it got the locks (an UPDATE that waited for a row would still read with its older
    snapshot). A whole workspace is for bulk writers (seed, demo, tests), not run beside live traffic."""
    where = []
    if conversation_ids is not None:
        ids = sorted(set(conversation_ids))
        if not ids:
            return
        where.append(Conversation.id.in_(ids))
    if workspace_id is not None:
        where.append(Conversation.workspace_id == workspace_id)
    if not where:
        raise ValueError("refresh needs conversation ids or a workspace")
    db.session.flush()
    if conversation_ids is not None:
        db.session.execute(select(Conversation.id).where(*where).order_by(Conversation.id).with_for_update())
    db.session.execute(
        update(Conversation).where(*where)
        # updated_at kept: the inbox's live poll watches it, and nothing it shows changed.
        .values(first_customer_at=first_customer_sql(Conversation.id), first_answer_at=first_answer_sql(Conversation.id),
                updated_at=Conversation.updated_at)
        .execution_options(synchronize_session=False)
    )
    # Rows this session holds would otherwise keep (and later write back) the old values.
    for held in list(db.session.identity_map.values()):
        if isinstance(held, Conversation) and (conversation_ids is None or held.id in ids) \
                and (workspace_id is None or held.workspace_id == workspace_id):
            db.session.expire(held, ["first_customer_at", "first_answer_at"])


def refresh_for_messages(message_ids: Iterable[int]) -> None:
    """`refresh` the conversations of these messages (a status change into or out of failed)."""
    ids = list(message_ids)
    if ids:
        refresh(db.session.scalars(select(Message.conversation_id).where(Message.id.in_(ids))).all())
