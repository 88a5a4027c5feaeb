"""The inbox search (`q`): which conversations match, and the matching text shown in a list row.

A conversation matches when its customer's name or username, or the text of one of its
(not deleted) messages, contains the words typed, ignoring case. On PostgreSQL the two halves
are trigram index searches (migration 0019: ix_contacts_search led by the workspace,
ix_messages_search led by the account, since messages carry the account, not the workspace), so
a search reads only its own workspace's index entries and costs what it finds, not what the
workspace holds; bench/bench_search.py checks the plans at 1M messages. SQLite runs the same
statement with LIKE and scans.

Two forms of the same test, for the two ways app.inbox.queries.conversation_page finds a page:
`search_filter`, the workspace's matches as one set of ids (a UNION of the two index searches)
that the list then sorts and pages by its own keyset, written as `id IN (…)` so the planner
makes it a semi-join (building it reads the workspace's account ids: the statement names them as
values); and `row_matches`, correlated EXISTS checked on each conversation a query
reaches, for a short walk down the list or a few known ids. The second over a whole workspace
is what search used to be: a read of every message."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import has_request_context, request
from markupsafe import Markup, escape
from sqlalchemy import and_, exists, func, or_, select, union

from app.extensions import db
from app.models import Contact, Conversation, InstagramAccount, Message

# Characters of context kept before the first match in a row's snippet: a couple of words. A
# row shows one line (about 35 characters on a phone), and 40 before the match put it past the
# ellipsis, the found word out of sight.
SNIPPET_BEFORE = 16
SNIPPET_LENGTH = 160  # the snippet's whole length at most


def search_term(q: str | None) -> str | None:
    """What is searched for: the text without surrounding spaces or a leading @ (people type
    usernames with it; they are stored without), or None when nothing is left."""
    term = (q or "").strip().lstrip("@").strip()
    return term or None


def _pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _message_text_matches(term: str):
    return and_(Message.is_deleted.is_(False), Message.text.ilike(_pattern(term), escape="\\"))


def matching_conversation_ids(workspace_id: int, term: str):
    """The ids of the workspace's conversations that match `term`, as a subquery."""
    pattern = _pattern(term)
    # The workspace's accounts as values, not a subquery: joined, the planner reads a small
    # workspace's messages once per account (bench/profile_pages.py: 21 ms at 10k messages).
    accounts = list(db.session.scalars(select(InstagramAccount.id).where(InstagramAccount.workspace_id == workspace_id)))
    by_message = (select(Message.conversation_id)
                  .where(Message.account_id.in_(accounts), _message_text_matches(term)))
    by_contact = (select(Conversation.id)
                  .join(Contact, and_(Contact.id == Conversation.contact_id, Contact.account_id == Conversation.account_id))
                  .where(Contact.workspace_id == workspace_id,
                         or_(Contact.name.ilike(pattern, escape="\\"), Contact.username.ilike(pattern, escape="\\"))))
    return union(by_message, by_contact)


def search_filter(workspace_id: int, term: str):
    """The list's WHERE clause for a search (the list adds its own workspace condition too)."""
    return Conversation.id.in_(matching_conversation_ids(workspace_id, term))


def row_matches(term: str):
    """The same test as `search_filter`, made on each conversation the query reaches (its
    messages through ix_messages_thread, its contact by key): the cheap way for a few known
    conversations or a short walk down the list, never for a whole workspace."""
    pattern = _pattern(term)
    return or_(
        exists().where(Contact.id == Conversation.contact_id,
                       or_(Contact.name.ilike(pattern, escape="\\"), Contact.username.ilike(pattern, escape="\\"))),
        exists().where(Message.conversation_id == Conversation.id, _message_text_matches(term)),
    )


@dataclass(frozen=True)
class Hit:
    """The newest matching message of a conversation on the page: what the row shows, and where
    the thread opens (app.inbox.queries.thread_around)."""

    message_id: int
    snippet: Markup


def message_hits(conversations, term: str | None) -> dict[int, Hit]:
    """conversation id -> its newest message matching `term`, for the conversations of one list
    page (one query). A conversation found by its customer's name has no hit."""
    ids = [c.id for c in conversations]
    if not term or not ids:
        return {}
    ranked = (select(Message.id, Message.conversation_id, Message.text,
                     func.row_number().over(partition_by=Message.conversation_id,
                                            order_by=(Message.created_at.desc(), Message.id.desc())).label("rank"))
              .where(Message.conversation_id.in_(ids), _message_text_matches(term)).subquery())
    rows = db.session.execute(select(ranked.c.id, ranked.c.conversation_id, ranked.c.text).where(ranked.c.rank == 1))
    return {conversation_id: Hit(message_id, highlight(snippet(text, term), term))
            for message_id, conversation_id, text in rows}


def _memo() -> dict | None:
    # Per request, as app.inbox.speakers: the rows a page (or a live update) shows were primed
    # with their hits in one query, and each row reads its own here.
    if not has_request_context():
        return None
    return request.environ.setdefault("igdm.inbox.search", {})


def prime(conversations, term: str | None) -> None:
    """Look up the hits of a page's rows for a search, in one query (`message_hits`)."""
    memo = _memo()
    if memo is not None and term:
        memo["term"] = term
        memo.update(message_hits(conversations, term))


def search_hit(conversation) -> Hit | None:
    """The row's hit, when the list it is in is a search and one of its messages matched."""
    memo = _memo()
    return memo.get(conversation.id) if memo else None


def search_mark(text: str) -> Markup:
    """`text` (a name on a row) with the current search's matches marked, escaped otherwise."""
    memo = _memo()
    return highlight(text, memo.get("term") if memo else None)


def snippet(text: str, term: str) -> str:
    """A stretch of `text` around the first match of `term`, cut on spaces where it can, with
    an ellipsis where text was left out."""
    text = " ".join((text or "").split())
    found = text.lower().find(term.lower())
    if found < 0 or len(text) <= SNIPPET_LENGTH:
        return text[:SNIPPET_LENGTH] + ("…" if len(text) > SNIPPET_LENGTH else "")
    start = max(0, found - SNIPPET_BEFORE)
    if start:
        space = text.find(" ", start, found)
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + SNIPPET_LENGTH)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def highlight(text: str, term: str | None) -> Markup:
    """`text` escaped, with every case-insensitive occurrence of `term` in <mark>. The text is
    split on the matches first and each piece escaped on its own, so markup in the text (or in
    the term) is shown as text, never interpreted."""
    if not term:
        return Markup(escape(text))
    pieces = re.split(f"({re.escape(term)})", text, flags=re.IGNORECASE)
    return Markup("").join(Markup("<mark>{}</mark>").format(piece) if k % 2 else escape(piece)
                           for k, piece in enumerate(pieces))
