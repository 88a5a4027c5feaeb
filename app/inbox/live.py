"""Live updates of the inbox by cheap polling.

Why polling and not WebSockets/SSE: the app runs under gunicorn sync workers on a Heroku-style
platform, where a long-lived connection would pin a whole worker per open tab. A poll every 2 s is
a short request that, when nothing changed, costs one indexed range query and answers 204 with no
body and no template rendering, so it scales with plain web processes and survives restarts.

The browser holds two opaque tokens: the list token (what it has seen of the workspace's
conversations) and, with a thread open, the thread token (that conversation's last message).

Change detection works on `conversations.updated_at` (index `ix_conversations_changes`). A bare
"max(updated_at) > since" would miss a transaction that commits *after* another one with a later
timestamp (timestamps are taken before commit, by processes whose clocks differ slightly), so the
token keeps a fingerprint of every row updated in a short overlap window before its high-water
mark: a late commit inside the window changes the fingerprint and is picked up.

Each person's read state (app.inbox.unread) is not watched here: reading and "mark unread" bump
the conversation's `updated_at` instead (app.inbox.actions), so the same range scan sees them and
the re-sent row carries each viewer's own count. Watching conversation_unreads too would cost
every poll a second query, and a read leaves nothing to scan (the row is deleted); the price of
the bump is that a teammate's open list re-renders that one row, with unchanged content for them."""
from __future__ import annotations

import hashlib
from array import array
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from operator import itemgetter

from sqlalchemy import bindparam, literal, select, union_all

from app.extensions import db
from app.inbox.localtime import in_utc
from app.inbox.queries import thread_changes
from app.models import Conversation, Message, utcnow
from app.pagination import decode_token, encode_token
from app.scoping import valid_json_id

OVERLAP = timedelta(seconds=15)
MAX_LIVE_ROWS = 50  # rows re-sent per change; more than this in 15 s only happens in bulk imports
MAX_TOKEN_LENGTH = 1000  # our tokens are under 300 characters; longer ones are not read at all


class BadToken(ValueError):
    pass


def _decode(token: str) -> dict:
    """A token's payload: one flat JSON object (its values are never lists or objects)."""
    try:
        payload = decode_token(token, MAX_TOKEN_LENGTH)
    except ValueError:
        raise BadToken("token is not valid") from None
    if not isinstance(payload, dict) or any(isinstance(value, (list, dict)) for value in payload.values()):
        raise BadToken("token is not valid")
    return payload


def _moment(value) -> datetime:
    if not isinstance(value, str):
        raise BadToken("token is not valid")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadToken("token is not valid") from None
    if moment.tzinfo is None:
        raise BadToken("token is not valid")
    try:
        # In UTC and well inside datetime's range, so `mark - OVERLAP` and binding it cannot overflow (F-10).
        return in_utc(moment)
    except ValueError:
        raise BadToken("token is not valid") from None


@dataclass(frozen=True)
class ListState:
    mark: datetime       # the newest updated_at seen
    fingerprint: str     # of the (id, updated_at) pairs in (mark - OVERLAP, now]

    def token(self) -> str:
        return encode_token({"t": self.mark.isoformat(), "f": self.fingerprint})

    @classmethod
    def from_token(cls, token: str) -> ListState:
        payload = _decode(token)
        fingerprint = payload.get("f")
        if not isinstance(fingerprint, str):
            raise BadToken("token is not valid")
        return cls(mark=_moment(payload.get("t")), fingerprint=fingerprint)


# The poll's statements are built once, with bound parameters, and reused: every open tab polls
# every 2 s, and building a statement and its cache key anew cost more than running it (the
# UNION of a thread's poll took about 0.4 ms of Python per poll in process, the query itself a
# tenth of that on SQLite; bench/bench_poll.py measures the poll).

# Conversations are watched here; the leads board watches leads the same way (app.leads.board_live):
# every function below takes the model, a table with id, workspace_id and updated_at and an index
# on (workspace_id, updated_at).

def _recent_updates_query(model=Conversation):
    # One range scan of the model's (workspace_id, updated_at) index (ix_conversations_changes).
    return (select(model.id, model.updated_at)
            .where(model.workspace_id == bindparam("workspace_id"), model.updated_at > bindparam("after")))


@cache
def _recent_updates_statement(model=Conversation):
    return _recent_updates_query(model).order_by(model.updated_at.desc())


def recent_updates(workspace_id: int, after: datetime, model=Conversation) -> list[tuple[int, datetime]]:
    """(id, updated_at) of the model's rows updated after `after`, newest first."""
    rows = db.session.execute(_recent_updates_statement(model), {"workspace_id": workspace_id, "after": after}).all()
    return [(row_id, updated) for row_id, updated in rows]


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


def _fingerprint(rows) -> str:
    """A digest of the (id, updated_at) pairs, whatever their order. Hashed as packed integers
    (updated_at in microseconds): in a campaign burst every conversation of the window changes
    between two polls, a window holds thousands of rows and is fingerprinted twice a poll, and
    formatting each timestamp as text was most of that (2,000 rows: 2.5 ms, now 0.8)."""
    packed = array("q")
    for row_id, updated in sorted(rows, key=itemgetter(0)):
        packed.append(row_id)
        packed.append((updated - _EPOCH) // _MICROSECOND)
    return hashlib.sha256(packed.tobytes()).hexdigest()[:24]


def state_from(rows, floor: datetime) -> ListState:
    """The state after these (id, updated_at) rows, never before `floor`."""
    mark = max([floor, *(updated for _, updated in rows)])
    window = [(i, u) for i, u in rows if u > mark - OVERLAP]
    return ListState(mark=mark, fingerprint=_fingerprint(window))


@cache
def _newest_update_statement(model=Conversation):
    return (select(model.updated_at).where(model.workspace_id == bindparam("workspace_id"))
            .order_by(model.updated_at.desc()).limit(1))


def current_list_state(workspace_id: int, now: datetime | None = None, model=Conversation) -> ListState:
    """The state a freshly rendered page starts from."""
    mark = db.session.scalar(_newest_update_statement(model), {"workspace_id": workspace_id}) or now or utcnow()
    return state_from(recent_updates(workspace_id, mark - OVERLAP, model), mark)


@dataclass(frozen=True)
class ListChanges:
    updated: dict[int, datetime]   # conversations updated in the overlap window -> when
    state: ListState

    @property
    def changed_ids(self) -> list[int]:
        return list(self.updated)

    def bumped_since(self, conversation_id: int, moment: datetime) -> bool:
        updated = self.updated.get(conversation_id)
        return updated is not None and updated > moment - OVERLAP


def changes_from(rows: list[tuple[int, datetime]], since: ListState) -> ListChanges | None:
    """None when nothing changed since the token; else which rows to re-send and the new state."""
    if _fingerprint(rows) == since.fingerprint:
        return None
    state = state_from(rows, since.mark)
    return ListChanges(updated=dict(rows[:MAX_LIVE_ROWS]), state=state)


@dataclass(frozen=True)
class ThreadState:
    conversation_id: int
    last_id: int | None          # the thread's last message (in Meta's order)...
    last_updated: datetime | None  # ...and when it last changed (status, reaction, edit)
    mark: datetime               # changes after this (minus the overlap) are re-sent

    def token(self) -> str:
        return encode_token({
            "c": self.conversation_id, "m": self.last_id,
            "u": self.last_updated.isoformat() if self.last_updated else None, "t": self.mark.isoformat(),
        })

    @classmethod
    def from_token(cls, token: str) -> ThreadState:
        payload = _decode(token)
        conversation_id, last_id, last_updated = payload.get("c"), payload.get("m"), payload.get("u")
        if valid_json_id(conversation_id) is None or (last_id is not None and valid_json_id(last_id) is None):
            raise BadToken("token is not valid")
        return cls(conversation_id=conversation_id, last_id=last_id,
                   last_updated=_moment(last_updated) if last_updated is not None else None,
                   mark=_moment(payload.get("t")))


LastMessage = tuple[int | None, datetime | None]  # a thread's last message: (id, updated_at)


@cache
def _last_message_query():
    # The top of ix_messages_thread for this conversation, scoped to the workspace.
    return (select(Message.id, Message.updated_at)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Message.conversation_id == bindparam("conversation_id"),
                   Conversation.workspace_id == bindparam("workspace_id"))
            .order_by(Message.created_at.desc(), Message.id.desc()).limit(1))


def _last_message(workspace_id: int, conversation_id: int) -> LastMessage:
    row = db.session.execute(_last_message_query(),
                             {"workspace_id": workspace_id, "conversation_id": conversation_id}).first()
    return (row[0], row[1]) if row else (None, None)


def current_thread_state(workspace_id: int, conversation: Conversation, now: datetime | None = None) -> ThreadState:
    last_id, last_updated = _last_message(workspace_id, conversation.id)
    return ThreadState(conversation.id, last_id, last_updated, now or utcnow())


def poll(workspace_id: int, since: ListState | None,
         thread: ThreadState | None) -> tuple[ListChanges | None, LastMessage | None]:
    """What one poll must re-send: the list's changes (None when nothing changed, or without a
    list token) and, when the open thread may have changed, its last message (else None).

    The thread may have changed when its last message is not the one the token saw (a new
    message, a status or reaction on the last one) or when its conversation was bumped (a message
    arriving anywhere in time order, a new note)."""
    rows, last = _poll_rows(workspace_id, since.mark - OVERLAP if since else None,
                            thread.conversation_id if thread else None)
    changes = changes_from(rows, since) if since else None
    if thread is None:
        return changes, None
    bumped = bool(changes and changes.bumped_since(thread.conversation_id, thread.mark))
    if not bumped and last == (thread.last_id, thread.last_updated):
        return changes, None
    return changes, last


def _poll_rows(workspace_id: int, after: datetime | None,
               conversation_id: int | None) -> tuple[list[tuple[int, datetime]], LastMessage]:
    """`recent_updates` and `_last_message` in one round trip (UNION ALL) when a poll needs
    both: every open tab polls every 2 s, so a second round trip would cost every poll of an
    agent's tab (bench/bench_poll.py measures the poll with a thread open)."""
    if conversation_id is None:
        return (recent_updates(workspace_id, after) if after else []), (None, None)
    if after is None:
        return [], _last_message(workspace_id, conversation_id)
    rows = db.session.execute(_poll_rows_statement(), {
        "workspace_id": workspace_id, "after": after, "conversation_id": conversation_id}).all()
    # Newest first, as recent_updates orders them (a UNION has no order of its own).
    updated = sorted(((row.row_id, row.at) for row in rows if row.part == "c"), key=lambda pair: pair[1], reverse=True)
    found = [(row.row_id, row.at) for row in rows if row.part == "m"]
    return updated, (found[0] if found else (None, None))


@cache
def _poll_rows_statement():
    updates = _recent_updates_query().subquery()
    last = _last_message_query().subquery()
    return union_all(
        select(literal("c").label("part"), updates.c.id.label("row_id"), updates.c.updated_at.label("at")),
        select(literal("m"), last.c.id, last.c.updated_at),
    )


@dataclass(frozen=True)
class ThreadUpdate:
    items: list                  # messages and notes to (re)place, in thread order
    replied: dict                # mid -> message, for quotes
    state: ThreadState


def thread_update(conversation: Conversation, since: ThreadState,
                  last: tuple[int | None, datetime | None]) -> ThreadUpdate:
    """Every message changed and note added since the token's mark (minus the overlap), re-sent
    whole: the browser replaces what it has and inserts the rest in order."""
    items, replied = thread_changes(conversation, since.mark - OVERLAP)
    stamps = [getattr(item, "updated_at", None) or item.created_at for item in items]
    mark = max([since.mark, *stamps])
    return ThreadUpdate(items, replied, ThreadState(conversation.id, last[0], last[1], mark))
