"""Reading the inbox: the conversation list and a thread, scoped to the workspace.

Both are keyset-paginated on indexed columns so a page costs the same at any data size, and
eager-load what each row shows so a page is a handful of queries (no N+1). The web pages and the
JSON API both read through here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy import exists, false, func, select, tuple_
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.inbox import mentions, search, speakers, unread
from app.inbox.display import item_key
from app.messages import waiting
from app.models import (CONVERSATION_KINDS, CONVERSATION_STATUSES, Conversation, ConversationLabel, ConversationUnread,
                        InstagramAccount, Label, Message, Note, User)
from app.pagination import MAX_CURSOR_LENGTH, BadCursor, decode_cursor, decode_token, encode_cursor, encode_token
from app.scoping import scoped, valid_id

# The list's orders: newest activity first (ix_conversations_inbox), or the customers who have
# waited longest for a person first (ix_conversations_waiting; only conversations someone waits in).
SORTS = ("recent", "waiting")


@dataclass(frozen=True)
class ConversationFilters:
    status: str | None = None        # open / pending / resolved / snoozed; None = all
    kind: str | None = None          # dm / comments; None = both
    unread: bool = False             # the user's own unread (app.inbox.unread)
    assignee: str | None = None      # "me", "unassigned", or a user id as a string
    account_id: int | None = None
    q: str | None = None
    label: str | None = None         # a label's name (app.labels.catalog normalises what was typed)
    needs_reply: bool = False        # app.messages.waiting.needs_reply
    mentioned: bool = False          # a note mentions the user (app.inbox.mentions)
    sort: str = "recent"             # one of SORTS

    def validate(self) -> None:
        if self.status is not None and self.status not in CONVERSATION_STATUSES:
            raise ValueError(f"status must be one of {', '.join(CONVERSATION_STATUSES)}")
        if self.kind is not None and self.kind not in CONVERSATION_KINDS:
            raise ValueError(f"kind must be one of {', '.join(CONVERSATION_KINDS)}")
        if self.sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}")


def _with_row_data(query):
    """`query` (of Conversation) loading what a list row shows with it."""
    return query.options(
        joinedload(Conversation.contact), joinedload(Conversation.account), joinedload(Conversation.assignee),
        joinedload(Conversation.media),  # a comments row names its post (None for DMs: no join cost per row)
        selectinload(Conversation.labels),  # a row's chips: one more query per page, not one per row
    )


def _filtered_conversations(filters: ConversationFilters, user, search_by: str = "index"):
    """The workspace's conversations matching the filters (ids and sort keys: the list reads a
    page's ids with this, then its rows by id, `_rows_by_id`). A search (`q`) is applied
    `search_by` "index" (the workspace's matches as one set, from the trigram indexes), "row"
    (checked on each conversation the query reaches: for a few known ids or a short walk down
    the list) or "none" (the caller adds it)."""
    filters.validate()
    query = scoped(Conversation)
    if filters.status:
        query = query.where(Conversation.status == filters.status)
    if filters.kind:
        query = query.where(Conversation.kind == filters.kind)
    if filters.unread:
        query = query.where(unread.unread_filter(user.id))
    if filters.needs_reply:
        query = query.where(waiting.needs_reply_clause())
    if filters.mentioned:
        query = query.where(mentions.mentioned_filter(user.id))
    if filters.sort == "waiting":
        query = query.where(Conversation.waiting_since.is_not(None))
    if filters.assignee == "me":
        query = query.where(Conversation.assignee_id == user.id)
    elif filters.assignee == "unassigned":
        query = query.where(Conversation.assignee_id.is_(None))
    elif filters.assignee and filters.assignee.isdigit():
        query = query.where(Conversation.assignee_id == int(filters.assignee))
    if filters.account_id:
        query = query.where(Conversation.account_id == filters.account_id)
    if filters.label:
        # The label's id first (uq_labels_workspace_id_name), so the planner knows how common the
        # label is: a rare one is read from ix_conversation_labels_label, a common one while walking
        # the list's own index. The list keeps its order and keyset either way.
        label_id = db.session.scalar(select(Label.id).where(Label.workspace_id == user.workspace_id,
                                                            Label.name == filters.label))
        query = query.where(exists().where(ConversationLabel.conversation_id == Conversation.id,
                                           ConversationLabel.label_id == label_id) if label_id else false())
    term = search.search_term(filters.q)
    if term and search_by == "index":
        query = query.where(search.search_filter(user.workspace_id, term))
    elif term and search_by == "row":
        query = query.where(search.row_matches(term))
    return query


class CursorSortMismatch(BadCursor):
    """A cursor from one order of the list used with the other."""


def _encode_page_cursor(sort: str, last: Conversation) -> str:
    if sort == "waiting":
        return encode_token(["waiting", last.waiting_since.isoformat(), last.id])
    return encode_cursor(last.last_message_at, last.id)


def _decode_page_cursor(sort: str, cursor: str):
    """(moment, id) of the row a page ends on; CursorSortMismatch when the cursor was made for
    the other sort (the two orders' positions mean nothing to each other)."""
    try:
        payload = decode_token(cursor, MAX_CURSOR_LENGTH)
    except ValueError:
        raise BadCursor("cursor is not valid") from None
    made_for = "waiting" if isinstance(payload, list) and payload[:1] == ["waiting"] else "recent"
    if made_for != sort:
        raise CursorSortMismatch(f"this cursor pages the list with sort={made_for}; use it with sort={made_for} "
                                 f"or start sort={sort} from its first page")
    # A waiting cursor is a recent one with a marker in front: the same checks read what follows it.
    return decode_cursor(cursor if sort == "recent" else encode_token(payload[1:]))


def conversation_page(filters: ConversationFilters, user, cursor: str | None = None,
                      limit: int = 30) -> tuple[list[Conversation], str | None]:
    """One page of the list in the filters' order, and the cursor of the next page (or None).

    A search is answered one of two ways, whichever finds the page without reading much (see
    app.inbox.search): first the next SEARCH_WALK conversations of the list are checked one by
    one, which finds a common word's page at once; when fewer than a page of them match, the
    trigram indexes give every match of the workspace (few, for a rare word) and those are
    sorted. Both give the same rows: the walk's matches are the first matches in the list's
    order, so when they fill a page it is the page."""
    keys = []  # (id, last_message_at, waiting_since) of the page's rows, and of one more if there is one
    if search.search_term(filters.q):
        keys = db.session.execute(page_query(filters, user, cursor, limit + 1, search_by="walk")).all()
    if len(keys) <= limit:
        keys = db.session.execute(page_query(filters, user, cursor, limit + 1)).all()
    rows = _rows_by_id([key.id for key in keys[:limit]])
    next_cursor = _encode_page_cursor(filters.sort, keys[limit - 1]) if len(keys) > limit else None
    prime_rows(user, rows, filters.q)
    return rows, next_cursor


def _rows_by_id(ids: list[int]) -> list[Conversation]:
    """The conversations of a page, in the order of `ids`, with what each row shows. A page is
    found as ids first and loaded second: the statement that filters, seeks and sorts then joins
    nothing, and PostgreSQL plans it in a fraction of the time it took with the row's four joins
    (bench/profile_pages.py: planning was most of a search's statement time). Two statements
    see two moments: a row deleted in between is left out (the page is one short, its cursor
    still right), one changed in between is shown as it is now at the place it had; the live
    list's next poll puts both right, as it does for any change after a page is read."""
    if not ids:
        return []
    found = {c.id: c for c in db.session.scalars(_with_row_data(scoped(Conversation)).where(Conversation.id.in_(ids)))
             .unique()}
    return [found[i] for i in ids if i in found]


SEARCH_WALK = 200  # conversations a search checks one by one before it asks the indexes
PAGE_KEYS = (Conversation.id, Conversation.last_message_at, Conversation.waiting_since)  # a page's rows, and its cursor's


def page_query(filters: ConversationFilters, user, cursor: str | None = None, limit: int = 31,
               search_by: str = "index"):
    """The SELECT of a page's ids and sort keys (bench/bench_inbox.py and bench_search.py check the
    plans of what conversation_page sends). `recent`:
    newest activity first, keyset (last_message_at, id) descending, read from
    ix_conversations_inbox. `waiting`: the conversations a customer waits in, longest first,
    keyset (waiting_since, id) ascending, read from ix_conversations_waiting. `search_by="walk"`:
    only the matches among the next SEARCH_WALK conversations of the list (conversation_page)."""
    if search_by == "walk":
        window = _ordered(_filtered_conversations(filters, user, search_by="none"), filters.sort, cursor)
        window = window.with_only_columns(Conversation.id).limit(SEARCH_WALK).subquery()
        query = _filtered_conversations(filters, user, search_by="row").where(Conversation.id.in_(select(window.c.id)))
        return _ordered(query, filters.sort, None).with_only_columns(*PAGE_KEYS).limit(limit)
    return _ordered(_filtered_conversations(filters, user), filters.sort, cursor).with_only_columns(*PAGE_KEYS).limit(limit)


def _ordered(query, sort: str, cursor: str | None):
    """`query` in the list's order, from after the cursor's row."""
    if sort == "waiting":
        key = Conversation.waiting_since
        if cursor:
            stamp, last_id = _decode_page_cursor("waiting", cursor)
            # A row-value comparison: PostgreSQL seeks ix_conversations_waiting to it, however deep the page.
            query = query.where(tuple_(key, Conversation.id) > tuple_(stamp, last_id))
        query = query.order_by(key.asc(), Conversation.id.asc())
    else:
        key = Conversation.last_message_at
        if cursor:
            stamp, last_id = _decode_page_cursor("recent", cursor)
            # A row-value comparison in the index's own order: PostgreSQL seeks ix_conversations_inbox
            # to it (an Index Cond), however deep the page; an OR of the two columns was a filter.
            query = query.where(tuple_(key, Conversation.id) < tuple_(stamp, last_id))
        query = query.order_by(key.desc(), Conversation.id.desc())
    return query


def prime_rows(user, conversations, q: str | None = None) -> None:
    """What each row shows beyond the conversation itself, for the whole page at once: the user's
    own unread counts, who wrote the newest message and, in a search, the matching message."""
    unread.prime(user.id, [c.id for c in conversations])
    speakers.prime(conversations)
    search.prime(conversations, search.search_term(q))


def matching_conversations(filters: ConversationFilters, user, ids) -> list[Conversation]:
    """Those of `ids` that the filters let through (the live list re-checks changed rows)."""
    ids = list(ids)
    if not ids:
        return []
    query = _with_row_data(_filtered_conversations(filters, user, search_by="row")).where(Conversation.id.in_(ids))
    rows = list(db.session.scalars(query).unique())
    prime_rows(user, rows, filters.q)
    return rows


def list_conversations(limit: int = 30, user=None) -> list[Conversation]:
    from flask_login import current_user

    rows, _ = conversation_page(ConversationFilters(), user or current_user, limit=limit)
    return rows


NO_SUCH_CONVERSATION = "This conversation does not exist (any more), or it belongs to another workspace."


def find_conversation(conversation_id) -> Conversation | None:
    """One conversation of the workspace with its contact, account and assignee, or None."""
    conversation_id = valid_id(conversation_id)
    if conversation_id is None:
        return None
    return db.session.scalar(
        scoped(Conversation)
        .options(joinedload(Conversation.contact), joinedload(Conversation.account), joinedload(Conversation.assignee))
        .where(Conversation.id == conversation_id)
    )


def conversation_or_404(conversation_id) -> Conversation:
    row = find_conversation(conversation_id)
    if row is None:
        abort(404, description=NO_SUCH_CONVERSATION)
    return row


def message_page(conversation: Conversation, before: str | None = None,
                 limit: int = 50) -> tuple[list[Message], str | None]:
    """The newest `limit` messages older than the cursor, returned oldest first, and the cursor
    for the page before them (None when there is nothing older)."""
    query = (select(Message).where(Message.conversation_id == conversation.id)
             .options(joinedload(Message.sent_by)))
    if before:
        stamp, last_id = decode_cursor(before)
        # Seeks ix_messages_thread (conversation_id, created_at, id), however deep the page.
        query = query.where(tuple_(Message.created_at, Message.id) < tuple_(stamp, last_id))
    query = query.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit + 1)
    rows = list(db.session.scalars(query))
    older = None
    if len(rows) > limit:
        rows = rows[:limit]
        older = encode_cursor(rows[-1].created_at, rows[-1].id)
    rows.reverse()
    return rows, older


def thread_messages(conversation: Conversation, limit: int = 50) -> list[Message]:
    rows, _ = message_page(conversation, limit=limit)
    return rows


@dataclass(frozen=True)
class ThreadPage:
    """A page of the thread: messages and the private notes of the same stretch of time,
    interleaved in time order, plus what the messages refer to."""

    items: list                       # Message and Note rows, oldest first
    older: str | None                 # cursor of the page before, None at the start
    replied: dict[str, Message]       # mid -> message, for "replying to ..." quotes
    newer: str | None = None          # cursor of the page after, when the page is not the newest
    focus: int | None = None          # the message the thread was opened at (a search result)


def thread_page(conversation: Conversation, before: str | None = None, limit: int = 50) -> ThreadPage:
    messages, older = message_page(conversation, before, limit)
    # The notes between this page's first message (or the beginning, on the first page of the
    # conversation) and the page after it, so every note shows exactly once across pages.
    notes = select(Note).where(Note.conversation_id == conversation.id).options(joinedload(Note.author))
    if older and messages:
        notes = notes.where(Note.created_at >= messages[0].created_at)
    if before:
        stamp, _ = decode_cursor(before)
        notes = notes.where(Note.created_at < stamp)
    notes = list(db.session.scalars(notes))
    mentions.prime(notes)
    items = sorted([*messages, *notes], key=item_key)
    return ThreadPage(items=items, older=older, replied=replied_messages(conversation, messages))


def newer_messages(conversation: Conversation, after: str, limit: int = 50) -> tuple[list[Message], str | None]:
    """The oldest `limit` messages newer than the cursor, oldest first, and the cursor for the
    page after them (None when they reach the newest). A seek on ix_messages_thread, as
    message_page's; BadCursor for a malformed cursor."""
    stamp, last_id = decode_cursor(after)
    rows = list(db.session.scalars(
        select(Message).where(Message.conversation_id == conversation.id,
                              tuple_(Message.created_at, Message.id) > tuple_(stamp, last_id))
        .options(joinedload(Message.sent_by))
        .order_by(Message.created_at.asc(), Message.id.asc()).limit(limit + 1)))
    newer = None
    if len(rows) > limit:
        rows = rows[:limit]
        newer = encode_cursor(rows[-1].created_at, rows[-1].id)
    return rows, newer


def _stretch_notes(conversation: Conversation, since=None, until=None) -> list[Note]:
    """The notes from `since` (inclusive) to `until` (inclusive); None leaves that side open. A
    note at a page's boundary may come with both pages: the page keeps one (dedupeThread)."""
    notes = select(Note).where(Note.conversation_id == conversation.id).options(joinedload(Note.author))
    if since is not None:
        notes = notes.where(Note.created_at >= since)
    if until is not None:
        notes = notes.where(Note.created_at <= until)
    notes = list(db.session.scalars(notes))
    mentions.prime(notes)
    return notes


def thread_around(conversation: Conversation, message_id: int, limit: int = 50) -> ThreadPage | None:
    """The thread opened at one of its messages (a search result): about half a page before it
    and half after, with the cursors to load more either way. None when the conversation has no
    such message (deleted meanwhile, or another conversation's id)."""
    target = db.session.scalar(select(Message).where(Message.conversation_id == conversation.id,
                                                     Message.id == message_id))
    if target is None:
        return None
    here = encode_cursor(target.created_at, target.id)
    before, older = message_page(conversation, here, limit // 2)
    after, newer = newer_messages(conversation, here, limit - limit // 2 - 1)
    messages = [*before, target, *after]
    notes = _stretch_notes(conversation, messages[0].created_at if older else None,
                           messages[-1].created_at if newer else None)
    return ThreadPage(items=sorted([*messages, *notes], key=item_key), older=older,
                      replied=replied_messages(conversation, messages), newer=newer, focus=target.id)


def thread_newer_page(conversation: Conversation, after: str, limit: int = 50) -> ThreadPage:
    """The page after a thread opened at a message: the next messages and their notes."""
    messages, newer = newer_messages(conversation, after, limit)
    stamp, _ = decode_cursor(after)
    notes = _stretch_notes(conversation, stamp, messages[-1].created_at if newer and messages else None)
    return ThreadPage(items=sorted([*messages, *notes], key=item_key), older=None,
                      replied=replied_messages(conversation, messages), newer=newer)


def replied_messages(conversation: Conversation, messages) -> dict[str, Message]:
    """The messages these messages reply to, in one query (a quote must not cost one each)."""
    mids = {m.reply_to_mid for m in messages if m.reply_to_mid}
    if not mids:
        return {}
    rows = db.session.scalars(
        select(Message).where(Message.conversation_id == conversation.id, Message.mid.in_(mids))
    )
    return {m.mid: m for m in rows}


def thread_changes(conversation: Conversation, since: datetime) -> tuple[list, dict[str, Message]]:
    """Messages stored or changed, and notes added, after `since` (the live thread update)."""
    messages = list(db.session.scalars(
        select(Message).where(Message.conversation_id == conversation.id, Message.updated_at > since)
        .options(joinedload(Message.sent_by))
    ))
    notes = list(db.session.scalars(
        select(Note).where(Note.conversation_id == conversation.id, Note.created_at > since)
        .options(joinedload(Note.author))
    ))
    mentions.prime(notes)
    return sorted([*messages, *notes], key=item_key), replied_messages(conversation, messages)


UNREAD_BADGE_MAX = 99  # the badge and the tab title say "99+" past this


def unread_total(user) -> int:
    """The user's own unread messages: exact up to UNREAD_BADGE_MAX, and some number above it
    whenever the real total is above it (all the badge needs).

    Every page and every changed poll shows the badge, so its cost must not grow with the
    workspace: it sums the counts of at most UNREAD_BADGE_MAX + 1 of the user's unread rows, read
    from the primary key (user_id, conversation_id) of conversation_unreads. That is exact while
    the total is at most UNREAD_BADGE_MAX (each row holds at least one), and above it otherwise
    (bench/bench_inbox.py measures the badge at 100k conversations and 20 people)."""
    return db.session.scalar(unread_total_select(user.id)) or 0


def unread_total_select(user_id: int):
    """`unread_total` as a statement, for pages that read it with other counts in one round trip
    (app.notifications.feed.page_counts)."""
    # Ordered as the primary key is, so the planner reads it rather than scanning the table
    # until it happens on enough of this person's rows.
    mine = (select(ConversationUnread.count).where(ConversationUnread.user_id == user_id)
            .order_by(ConversationUnread.conversation_id).limit(UNREAD_BADGE_MAX + 1).subquery())
    return select(func.coalesce(func.sum(mine.c.count), 0))


def badge_count(total: int) -> str:
    """What the unread badge shows for `unread_total`'s number."""
    return f"{UNREAD_BADGE_MAX}+" if total > UNREAD_BADGE_MAX else str(total)


def workspace_accounts() -> list[InstagramAccount]:
    return list(db.session.scalars(scoped(InstagramAccount).order_by(InstagramAccount.username, InstagramAccount.id)))


def workspace_users() -> list[User]:
    return list(db.session.scalars(scoped(User).where(User.active.is_(True)).order_by(User.name, User.email)))
