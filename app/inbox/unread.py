"""What each person has not read yet: one ConversationUnread row per (user, conversation) while
that person has unread messages there.

- Ingestion (app.webhooks.apply) adds a delivery's new customer messages to the row of every
  active member of the workspace, in the delivery's transaction, with one INSERT ... SELECT ...
  ON CONFLICT DO UPDATE (`add_inbound`), however many members and conversations it touches.
- Opening a thread deletes the reader's own row (`clear`); "mark unread" puts it back (`restore`).
  Neither touches anyone else's row.
- A snoozed conversation waking up is unread again for its assignee, or for everyone when nobody
  is assigned (`woken`, from app.jobs.upkeep).
- The badge (app.inbox.queries.unread_total), the Unread filter and each row's count read the
  rows under one user id: the primary key (user_id, conversation_id) serves all three.

`conversations.unread_count` keeps its old meaning beside this: messages nobody on the team has
read yet. Nothing shows it; it decides whether opening a thread sends Instagram's "seen" receipt,
which is about the customer (has anyone at the shop seen this?), not about one rep.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from flask import has_request_context, request
from sqlalchemy import Integer, bindparam, delete, select, text

from app.extensions import db
from app.models import Conversation, ConversationUnread, UTCDateTime


@dataclass
class NewUnread:
    """A delivery's new customer messages in one conversation."""

    count: int = 0
    since: datetime | None = None  # the oldest of them

    def add(self, at: datetime) -> None:
        self.count += 1
        self.since = at if self.since is None or at < self.since else self.since


def add_inbound(new: dict[int, NewUnread]) -> None:
    """Add new customer messages (conversation id -> what arrived) to every active member's unread,
    in the caller's transaction. One statement: the users × conversations product is made by the
    database, so a delivery costs the same round trip for a team of 2 or of 50."""
    items = sorted((cid, item) for cid, item in new.items() if item.count)
    if not items:
        return
    params = {}
    for n, (conversation_id, item) in enumerate(items):
        params.update({f"c{n}": conversation_id, f"n{n}": item.count, f"s{n}": item.since})
    db.session.execute(_fan_out(len(items)), params)


@lru_cache(maxsize=16)
def _fan_out(size: int):
    """The fan-out statement for `size` conversations, built once per size (see app/inserts.py for
    why textual SQL on ingestion's path). The same SQL runs on PostgreSQL and SQLite (3.35+): a CTE
    of VALUES with named columns, and an upsert whose SELECT has a WHERE (SQLite needs one there
    to tell the upsert's ON from a join's)."""
    values = ", ".join(f"(:c{n}, :n{n}, :s{n})" for n in range(size))
    sql = (
        f"WITH arrived (conversation_id, count, since) AS (VALUES {values}) "
        "INSERT INTO conversation_unreads (user_id, conversation_id, count, since) "
        "SELECT users.id, arrived.conversation_id, arrived.count, arrived.since "
        "FROM arrived JOIN conversations ON conversations.id = arrived.conversation_id "
        "JOIN users ON users.workspace_id = conversations.workspace_id "
        "WHERE users.active "
        "ON CONFLICT (user_id, conversation_id) DO UPDATE SET "
        "count = conversation_unreads.count + excluded.count, "
        "since = CASE WHEN excluded.since < conversation_unreads.since "
        "THEN excluded.since ELSE conversation_unreads.since END"
    )
    binds = []
    for n in range(size):
        binds += [bindparam(f"c{n}", type_=Integer()), bindparam(f"n{n}", type_=Integer()),
                  bindparam(f"s{n}", type_=UTCDateTime())]
    return text(sql).bindparams(*binds)


def woken(conversations: list[Conversation]) -> None:
    """Snoozed conversations whose time came are back: unread for whoever follows them, as a snoozed
    mail comes back to the top of an inbox unread (the wake only reopened them, and a rep saw nothing
    change but a tag). Their assignee, or with nobody (or a former member) assigned every active
    member (as a customer's message would). An existing count is kept; the caller commits."""
    from app.models import User

    members: dict[int, list[int]] = {}
    if conversations:
        for user_id, workspace_id in db.session.execute(
                select(User.id, User.workspace_id).where(User.active, User.workspace_id.in_({c.workspace_id for c in conversations}))):
            members.setdefault(workspace_id, []).append(user_id)
    by_user: dict[int, list[Conversation]] = {}
    for conversation in conversations:
        team = members.get(conversation.workspace_id, [])
        # A former member's conversation is nobody's now: the whole team sees it come back.
        followers = [conversation.assignee_id] if conversation.assignee_id in team else team
        for user_id in followers:
            by_user.setdefault(user_id, []).append(conversation)
    for user_id, theirs in by_user.items():
        restore(user_id, theirs)


def clear(user_id: int, conversation_ids: list[int]) -> list[int]:
    """The user has read these conversations: their rows go. Returns the ids that had one."""
    if not conversation_ids:
        return []
    gone = list(db.session.scalars(
        delete(ConversationUnread)
        .where(ConversationUnread.user_id == user_id, ConversationUnread.conversation_id.in_(conversation_ids))
        .returning(ConversationUnread.conversation_id)
    ))
    _remember(user_id, {conversation_id: 0 for conversation_id in conversation_ids})
    return gone


def restore(user_id: int, conversations: list[Conversation]) -> list[int]:
    """"Mark unread" for the user: a row with a count of at least 1 for each conversation (an
    existing count is kept). Returns the ids that had none."""
    if not conversations:
        return []
    ids = [c.id for c in conversations]
    have = set(db.session.scalars(
        select(ConversationUnread.conversation_id)
        .where(ConversationUnread.user_id == user_id, ConversationUnread.conversation_id.in_(ids))
    ))
    added = [c for c in conversations if c.id not in have]
    db.session.add_all(ConversationUnread(user_id=user_id, conversation_id=c.id, count=1,
                                          since=c.last_inbound_at or c.last_message_at) for c in added)
    _remember(user_id, {c.id: 1 for c in added})
    return [c.id for c in added]


# -- Reading one person's counts ----------------------------------------------------------------
# A page shows a count on every row: `prime` reads them for the whole page in one query, and
# `count_for` then answers from what the request already knows.

def _memo(user_id: int) -> dict[int, int] | None:
    # Kept in the request's environ, which lives exactly as long as the request (flask.g lives as
    # long as the app context, which tests share between requests).
    if not has_request_context():
        return None
    return request.environ.setdefault("igdm.inbox.unread", {}).setdefault(user_id, {})


def _remember(user_id: int, counts: dict[int, int]) -> None:
    memo = _memo(user_id)
    if memo is not None:
        memo.update(counts)


def prime(user_id: int, conversation_ids) -> dict[int, int]:
    """The user's unread count in each of these conversations (0 where none), in one query
    through the primary key."""
    memo = _memo(user_id)
    wanted = [i for i in dict.fromkeys(conversation_ids) if memo is None or i not in memo]
    counts = {i: 0 for i in wanted}
    if wanted:
        counts.update(db.session.execute(
            select(ConversationUnread.conversation_id, ConversationUnread.count)
            .where(ConversationUnread.user_id == user_id, ConversationUnread.conversation_id.in_(wanted))
        ).tuples().all())
    if memo is None:
        return counts
    memo.update(counts)
    return {i: memo[i] for i in conversation_ids}


def count_for(user_id: int, conversation_id: int) -> int:
    """The user's unread messages in one conversation: from what the page primed when it did (a
    list asks once per row), else one query."""
    memo = _memo(user_id)
    if memo is not None and conversation_id in memo:
        return memo[conversation_id]
    return prime(user_id, [conversation_id])[conversation_id]


def mine(conversation: Conversation) -> int:
    """The signed-in user's unread count in `conversation` (the template global `my_unread`)."""
    from flask_login import current_user

    if not current_user or not current_user.is_authenticated:
        return 0
    return count_for(current_user.id, conversation.id)


def unread_filter(user_id: int):
    """SQL: the conversation has unread messages for this user (the Unread filter)."""
    return select(ConversationUnread.conversation_id).where(
        ConversationUnread.user_id == user_id, ConversationUnread.conversation_id == Conversation.id
    ).exists()
