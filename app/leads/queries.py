"""Reading leads, scoped to the workspace, for the leads page, its CSV export and the JSON API.

Newest lead first, keyset-paginated on (created_at, id) — the `ix_leads_list` index — so paging
neither skips nor repeats a lead when new ones arrive between pages. On the page, filters come
from the URL (`/leads?status=new&owner=me&source=ad&label=vip`), so the page, a reload, a shared
link and the CSV export of the same URL show the same leads."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import exists, false, func, select, tuple_
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import LEAD_STATUSES, Contact, Conversation, ConversationLabel, Label, Lead
from app.pagination import DEFAULT_LIMIT, decode_cursor, encode_cursor
from app.scoping import current_workspace_id, scoped
from app.url_filters import choice_arg, label_arg, owner_arg


@dataclass(frozen=True)
class LeadFilters:
    status: str | None = None
    owner: str | None = None     # "me", "none", or a user id as a string
    source: str | None = None
    label: str | None = None     # a label's name, normalised as app.labels.catalog does
    notices: tuple[str, ...] = ()

    @classmethod
    def from_args(cls, args) -> LeadFilters:
        notices = []
        status = choice_arg(args, "status", LEAD_STATUSES, notices)
        owner = owner_arg(args, notices)
        source = (args.get("source") or "").strip()[:20] or None
        label = label_arg(args, notices)
        return cls(status=status, owner=owner, source=source, label=label, notices=tuple(notices))

    def params(self, **overrides) -> dict[str, str]:
        values = {"status": self.status, "owner": self.owner, "source": self.source, "label": self.label, **overrides}
        return {k: v for k, v in values.items() if v}


def _filtered(filters: LeadFilters, user, with_status: bool = True):
    if filters.status is not None and filters.status not in LEAD_STATUSES:
        raise ValueError(f"status must be one of {', '.join(LEAD_STATUSES)}")
    query = labelled(owned_from(scoped(Lead), filters.owner, filters.source, user), filters.label, user.workspace_id)
    if with_status and filters.status:
        query = query.where(Lead.status == filters.status)
    return query


def labelled(query, label: str | None, workspace_id: int):
    """The label filter the leads page and the board share: leads whose conversation carries the
    label. The label's id first (as the inbox does), so an unknown label is an empty list, not a
    join; the EXISTS reads conversation_labels' primary key (conversation_id, label_id) per lead."""
    if not label:
        return query
    label_id = db.session.scalar(select(Label.id).where(Label.workspace_id == workspace_id, Label.name == label))
    if label_id is None:
        return query.where(false())
    # PostgreSQL's plan depends on how many conversations carry the label: few, from them through
    # ix_leads_conversation (0.2 ms at 100k leads; without that index every lead was read, 14 ms);
    # many, down the list's index until the page is full (0.4 ms).
    return query.where(exists().where(ConversationLabel.conversation_id == Lead.conversation_id,
                                      ConversationLabel.label_id == label_id))


def owned_from(query, owner: str | None, source: str | None, user):
    """The owner and source filters the leads page and the board share (app.url_filters.owner_arg
    reads `owner`: "me", "none" or a user id)."""
    if owner == "me":
        query = query.where(Lead.owner_id == user.id)
    elif owner == "none":
        query = query.where(Lead.owner_id.is_(None))
    elif owner:
        query = query.where(Lead.owner_id == int(owner))
    if source:
        query = query.where(Lead.source == source)
    return query


def _with_row_data(query):
    # Everything a row shows, in the same query: contact (and its account), owner, conversation.
    return query.options(
        joinedload(Lead.contact).joinedload(Contact.account), joinedload(Lead.owner),
        joinedload(Lead.conversation),
    )


def lead_page(filters: LeadFilters, user, cursor: str | None = None,
              limit: int = DEFAULT_LIMIT) -> tuple[list[Lead], str | None]:
    """One page of leads, newest first, and the cursor of the next page (or None). A malformed
    cursor is a BadCursor."""
    query = _with_row_data(_filtered(filters, user))
    if cursor:
        stamp, last_id = decode_cursor(cursor)
        # A row-value comparison in ix_leads_list's order: an index seek, however deep the page.
        query = query.where(tuple_(Lead.created_at, Lead.id) < tuple_(stamp, last_id))
    rows = list(db.session.scalars(query.order_by(Lead.created_at.desc(), Lead.id.desc()).limit(limit + 1)).unique())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id)
    return rows, next_cursor


def iter_leads(filters: LeadFilters, user, batch: int = 500) -> Iterator[Lead]:
    """Every matching lead, newest first, read in batches (the CSV export streams them)."""
    cursor = None
    while True:
        rows, cursor = lead_page(filters, user, cursor, batch)
        yield from rows
        if cursor is None:
            return


def status_counts(filters: LeadFilters, user) -> dict[str, int]:
    """How many leads are at each stage, under the other filters: the funnel."""
    query = _filtered(filters, user, with_status=False).with_only_columns(Lead.status, func.count()).group_by(Lead.status)
    counts = dict.fromkeys(LEAD_STATUSES, 0)
    counts.update({status: n for status, n in db.session.execute(query)})
    return counts


def lead_sources() -> list[str]:
    return list(db.session.scalars(
        select(Lead.source).where(Lead.workspace_id == current_workspace_id()).distinct().order_by(Lead.source)
    ))


def last_activity(lead: Lead):
    conversation: Conversation | None = lead.conversation
    return conversation.last_message_at if conversation else None
