"""Settings → Audit log (admins): the workspace's entries newest first, by keyset pages over
(created_at, id) that seek in ix_audit_entries_list, filtered by action group and actor, and the
same selection as CSV."""
from __future__ import annotations

from flask import abort, render_template, request
from sqlalchemy import select, tuple_

from app.audit import ACTIONS, GROUP_OF
from app.auth.roles import admin_required
from app.extensions import db
from app.models import AuditEntry, User
from app.pagination import BadCursor, decode_cursor, encode_cursor
from app.scoping import current_workspace_id, scoped, valid_id
from app.settings import bp
from app.spreadsheet import csv_download
from app.templating import iso

PAGE = 50


def _filters() -> dict:
    group = request.args.get("group") or ""
    actor = valid_id(request.args.get("actor"))
    return {"group": group if group in ACTIONS else "", "actor": actor}


def _query(filters: dict):
    query = select(AuditEntry).where(AuditEntry.workspace_id == current_workspace_id())
    if filters["group"]:
        query = query.where(AuditEntry.action.in_(ACTIONS[filters["group"]]))
    if filters["actor"]:
        query = query.where(AuditEntry.actor_id == filters["actor"])
    return query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())


def audit_page(filters: dict, cursor: str | None, limit: int = PAGE) -> tuple[list[AuditEntry], str | None]:
    query = _query(filters)
    if cursor:
        stamp, last_id = decode_cursor(cursor)
        query = query.where(tuple_(AuditEntry.created_at, AuditEntry.id) < tuple_(stamp, last_id))
    rows = list(db.session.scalars(query.limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


@bp.get("/settings/audit")
@admin_required
def audit_log():
    filters = _filters()
    try:
        entries, next_cursor = audit_page(filters, request.args.get("cursor") or None)
    except BadCursor:
        abort(400, description="This page link is out of date. Open the audit log again.")
    actors = db.session.scalars(scoped(User).order_by(User.email)).all()
    return render_template("settings/audit.html", entries=entries, next_cursor=next_cursor, filters=filters,
                           groups=list(ACTIONS), group_of=GROUP_OF, actors=actors)


CSV_COLUMNS = ("time", "actor", "action", "summary")


@bp.get("/settings/audit.csv")
@admin_required
def audit_csv():
    filters = _filters()

    def rows():
        cursor = None
        while True:
            entries, cursor = audit_page(filters, cursor, limit=500)
            for e in entries:
                yield iso(e.created_at), e.actor_name, e.action, e.summary
            if cursor is None:
                return

    return csv_download("audit-log.csv", CSV_COLUMNS, rows())
