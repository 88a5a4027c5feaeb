"""Webhook deliveries: each signed delivery from Meta kept raw (for the log page, audit and
replay), and the events that arrived before the message they are about."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, JSON, LargeBinary, String, Text, text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, enum_check, utcnow

WEBHOOK_STATUSES = ("received", "applied", "failed", "ignored", "rejected")


class WebhookEvent(db.Model):
    """One signed delivery from Meta, kept raw for audit and replay."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        enum_check("status", WEBHOOK_STATUSES),
        Index("ix_webhook_events_status", "status", "received_at"),
        Index("ix_webhook_events_workspace", "workspace_id", "id"),  # the admin log page
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(10), default="received")
    error: Mapped[str | None] = mapped_column(Text)  # why it could not be applied (failed, rejected) or was ignored
    warnings: Mapped[str | None] = mapped_column(Text)  # applied, but something was skipped or worked around
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=sql_text("0"))
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ig_account_ids: Mapped[str | None] = mapped_column(String(255))  # entry ids, for the log page
    event_count: Mapped[int] = mapped_column(Integer, default=0, server_default=sql_text("0"))
    # Set only when every entry belongs to this workspace's accounts: who may read the raw body.
    workspace_id: Mapped[int | None] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))

    @property
    def body_text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class DeferredEvent(db.Model):
    """An event about a message we have not seen yet (a read, reaction, edit or unsend that
    overtook its message); applied when the message arrives, so nothing is lost to ordering."""

    __tablename__ = "deferred_events"
    __table_args__ = (Index("ix_deferred_events_target", "account_id", "mid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("instagram_accounts.id", ondelete="CASCADE"))
    mid: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The delivery that parked it (webhook_events.id, no foreign key: the log may be pruned first),
    # so that its expiry is noted on that delivery's log row, never silent.
    webhook_event_id: Mapped[int | None] = mapped_column(Integer)
