"""Outbound webhooks for the team's CRM (HubSpot, Zapier, Make, a spreadsheet): the URLs an admin
registered, each event to deliver, and every attempt (app.integrations).

A delivery row is written in the transaction of the event it reports (a lead created or moved, a
conversation assigned, a message), so an event is never lost between the database and the queue;
jobs send it with retries and record each attempt."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, enum_check, utcnow

DELIVERY_STATUSES = ("pending", "succeeded", "failed")


class WebhookEndpoint(db.Model):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The signing secret, encrypted like account tokens (app.token_crypto); shown once at creation.
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sql_text("true"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # How its newest delivery attempt went (app.integrations.sending._record): when, and its error,
    # None when it succeeded. Settings → Integrations shows a failing endpoint from these.
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))


class WebhookDelivery(db.Model):
    """One event for one endpoint: its body (fixed when the event happened, so a redelivery sends
    the same bytes and the same id) and where its retries stand."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        enum_check("status", DELIVERY_STATUSES),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
        # The sender and its sweep: what is due now.
        Index("ix_webhook_deliveries_due", "next_attempt_at",
              postgresql_where=sql_text("status = 'pending'"), sqlite_where=sql_text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(36), unique=True)  # the body's "id": receivers dedupe on it
    event: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)  # the exact JSON sent (and signed)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=sql_text("0"))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    endpoint: Mapped[WebhookEndpoint] = relationship()


class WebhookAttempt(db.Model):
    """One try at sending a delivery, as the admin sees it: when, the answer's status (None when
    there was none: a timeout, a refused address), how long it took, and the error."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(300))
    redelivery: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql_text("false"))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # a few response headers, never the body
