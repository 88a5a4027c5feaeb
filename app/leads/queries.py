"""Reading the leads list, scoped to the workspace: newest lead first, keyset-paginated on
(created_at, id) — the `ix_leads_list` index — so paging neither skips nor repeats a lead when
new ones arrive between pages."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import LEAD_STATUSES, Lead
from app.pagination import DEFAULT_LIMIT, decode_cursor, encode_cursor
from app.scoping import scoped


@dataclass(frozen=True)
class LeadFilters:
    status: str | None = None
    owner: str | None = None     # "me", "none", or a user id as a string
    source: str | None = None


def _filtered(filters: LeadFilters, user):
    if filters.status is not None and filters.status not in LEAD_STATUSES:
        raise ValueError(f"status must be one of {', '.join(LEAD_STATUSES)}")
    query = scoped(Lead)
    if filters.status:
        query = query.where(Lead.status == filters.status)
    if filters.owner == "me":
        query = query.where(Lead.owner_id == user.id)
    elif filters.owner == "none":
        query = query.where(Lead.owner_id.is_(None))
    elif filters.owner:
        query = query.where(Lead.owner_id == int(filters.owner))
    if filters.source:
        query = query.where(Lead.source == filters.source)
    return query


def lead_page(filters: LeadFilters, user, cursor: str | None = None,
              limit: int = DEFAULT_LIMIT) -> tuple[list[Lead], str | None]:
    """One page of leads, newest first, and the cursor of the next page (or None). A malformed
    cursor is a BadCursor."""
    query = _filtered(filters, user).options(joinedload(Lead.contact))
    if cursor:
        stamp, last_id = decode_cursor(cursor)
        query = query.where(or_(Lead.created_at < stamp, and_(Lead.created_at == stamp, Lead.id < last_id)))
    query = query.order_by(Lead.created_at.desc(), Lead.id.desc()).limit(limit + 1)
    rows = list(db.session.scalars(query).unique())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id)
    return rows, next_cursor
