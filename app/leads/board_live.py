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

A label put on or taken off a conversation bumps its lead too (app.labels.tagging), so a board
filtered by that label gains or loses the card. What the poll does not see: the rest of a card's
conversation changing (its preview, the "needs a reply" dot), which is the inbox's to show; a lead
deleted with its contact (a data deletion request) stays on an open board until the next load."""
from __future__ import annotations

from datetime import timedelta

from app.inbox.live import (MAX_LIVE_ROWS, OVERLAP, ListChanges, ListState, changes_from, current_list_state,
                            recent_updates)
from app.models import Lead

POLL_EVERY = timedelta(seconds=5)  # a move on the board is a team's slower rhythm than a chat


def current_state(workspace_id: int) -> ListState:
    """The state a freshly rendered board starts from."""
    return current_list_state(workspace_id, model=Lead)


def changes(workspace_id: int, since: ListState) -> tuple[ListChanges | None, bool]:
    """None when no lead changed since the token; else the changed ones (newest first) and the
    new state. True beside them when they are more than MAX_LIVE_ROWS (a bulk change, an import):
    the board then loads its columns again instead of placing cards one by one."""
    rows = recent_updates(workspace_id, since.mark - OVERLAP, model=Lead)
    return changes_from(rows, since), len(rows) > MAX_LIVE_ROWS
