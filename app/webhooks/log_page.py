"""The admin's webhook log page: one workspace's stored deliveries, newest first, and their bodies
shown to people. What a row's status means is in app.webhooks.ingest, which writes the rows."""
from __future__ import annotations

import json

from sqlalchemy import select

from app.extensions import db
from app.models import WebhookEvent
from app.webhooks.ingest import clean_for_storage

LOG_STATUSES = ("received", "applied", "failed", "ignored", "rejected")
BODY_PREVIEW_MAX = 20_000


def workspace_deliveries(workspace_id: int, status: str | None = None, before: int | None = None,
                         limit: int = 50) -> tuple[list[WebhookEvent], int | None]:
    """One page of a workspace's deliveries, newest first, and the id to continue before."""
    query = select(WebhookEvent).where(WebhookEvent.workspace_id == workspace_id)
    if status:
        query = query.where(WebhookEvent.status == status)
    if before:
        query = query.where(WebhookEvent.id < before)
    rows = list(db.session.scalars(query.order_by(WebhookEvent.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more else None)


def pretty_body(row: WebhookEvent) -> tuple[str, bool]:
    """The body for people: indented JSON when it is JSON, cut at BODY_PREVIEW_MAX characters.
    Cleaned as ingestion cleans it: a JSON-escaped lone surrogate (`\\ud800`) would otherwise be
    re-created by `ensure_ascii=False` and the page could not be encoded (F-08)."""
    try:
        text = json.dumps(clean_for_storage(json.loads(row.body)), indent=2, ensure_ascii=False)
    except (UnicodeDecodeError, ValueError, RecursionError):
        text = row.body_text
    if len(text) > BODY_PREVIEW_MAX:
        return text[:BODY_PREVIEW_MAX], True
    return text, False
