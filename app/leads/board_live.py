"""The pipeline board follows what teammates do (a card moved, a new lead from a DM, a deal's
value or owner changed) without a reload: a sales team works one board together, and a card a
colleague already moved to Won must not be chased again from a stale screen.

The board polls GET /leads/board/changes every POLL_EVERY (app.leads.board_routes), with the
inbox's change detection (app.inbox.live: a high-water mark on `updated_at` and a fingerprint of
the rows in an overlap window before it, so a transaction committing late is not missed), here
over leads and their index ix_leads_changes (workspace_id, updated_at). Nothing changed: one range
scan and a 204. Something changed: the changed leads that the board's filters keep, as cards
static/js/board.js places (templates/leads/_board_changes.html), the others as gone, and every
column's head.

What the poll does not see: a card's conversation changing (its preview, the "needs a reply"
dot, its labels: a board filtered by label does not follow a label put on or taken off), which is
the inbox's to show; a lead deleted with its contact (a data deletion request) stays on an open
board until the next load."""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, select

from app.extensions import db
from app.inbox.live import MAX_LIVE_ROWS, OVERLAP, ListChanges, ListState, changes_from, state_from
from app.models import Lead, utcnow

POLL_EVERY = timedelta(seconds=5)  # a move on the board is a team's slower rhythm than a chat


@cache
def _recent_statement():
    # One range scan of ix_leads_changes, newest first (as app.inbox.live orders its rows).
    return (select(Lead.id, Lead.updated_at)
            .where(Lead.workspace_id == bindparam("workspace_id"), Lead.updated_at > bindparam("after"))
            .order_by(Lead.updated_at.desc()))


@cache
def _newest_statement():
    return (select(Lead.updated_at).where(Lead.workspace_id == bindparam("workspace_id"))
            .order_by(Lead.updated_at.desc()).limit(1))


def _recent(workspace_id: int, after: datetime) -> list[tuple[int, datetime]]:
    rows = db.session.execute(_recent_statement(), {"workspace_id": workspace_id, "after": after}).all()
    return [(lead_id, updated) for lead_id, updated in rows]


def current_state(workspace_id: int, now: datetime | None = None) -> ListState:
    """The state a freshly rendered board starts from."""
    mark = db.session.scalar(_newest_statement(), {"workspace_id": workspace_id}) or now or utcnow()
    return state_from(_recent(workspace_id, mark - OVERLAP), mark)


def changes(workspace_id: int, since: ListState) -> tuple[ListChanges | None, bool]:
    """None when no lead changed since the token; else the changed ones (newest first) and the
    new state. True beside them when they are more than MAX_LIVE_ROWS (a bulk change, an import):
    the board then loads its columns again instead of placing cards one by one."""
    rows = _recent(workspace_id, since.mark - OVERLAP)
    return changes_from(rows, since), len(rows) > MAX_LIVE_ROWS
