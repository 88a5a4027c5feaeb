"""Reading the leads list, scoped to the workspace: newest lead first, keyset-paginated on
(created_at, id) — the `ix_leads_list` index — so paging neither skips nor repeats a lead when
new ones arrive between pages."""
from __future__ import annotations

from sqlalchemy import and_, or_
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import LEAD_STATUSES, Lead
from app.pagination import DEFAULT_LIMIT, decode_cursor, encode_cursor
from app.scoping import scoped


def lead_page(status: str | None = None, cursor: str | None = None,
              limit: int = DEFAULT_LIMIT) -> tuple[list[Lead], str | None]:
    """One page of leads (optionally of one status) and the cursor of the next page (or None).
    An unknown status is a ValueError; a malformed cursor is a BadCursor."""
    if status is not None and status not in LEAD_STATUSES:
        raise ValueError(f"status must be one of {', '.join(LEAD_STATUSES)}")
    query = scoped(Lead).options(joinedload(Lead.contact))
    if status:
        query = query.where(Lead.status == status)
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
