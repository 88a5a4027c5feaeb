"""Notifications: what each person is told about (a new conversation, a message in theirs, an
assignment, a mention, a follow-up due, an account needing attention), their choices of how, the
devices that receive Web Push, and who a private note mentions.

A notification row is written in the transaction of the event that caused it (app.notifications.create),
so it exists exactly when the event does; the channels that leave the app (push, email) are
delivered later by jobs that read the pending flags here, so a Redis outage delays them and loses
nothing (app.notifications.push, app.notifications.email)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, enum_check, utcnow

NOTIFICATION_TYPES = ("new_conversation", "new_message", "assigned", "mention", "follow_up_due",
                      "account_attention")


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        enum_check("type", NOTIFICATION_TYPES),
        # The bell and the list: one person's rows, newest first; the count reads the unread part.
        Index("ix_notifications_user", "user_id", "id"),
        Index("ix_notifications_user_unread", "user_id", "id",
              postgresql_where=sql_text("read_at IS NULL"), sqlite_where=sql_text("read_at IS NULL")),
        # "New message in my conversation" is one unread row per person and conversation that
        # counts up (app.notifications.create): a busy chat is one line in the bell, not fifty.
        Index("ux_notifications_open_message", "user_id", "conversation_id", unique=True,
              postgresql_where=sql_text("read_at IS NULL AND type = 'new_message'"),
              sqlite_where=sql_text("read_at IS NULL AND type = 'new_message'")),
        # The delivery jobs and their sweeps read only what is still to be sent.
        Index("ix_notifications_push_pending", "id",
              postgresql_where=sql_text("push_pending"), sqlite_where=sql_text("push_pending")),
        Index("ix_notifications_email_pending", "user_id", "id",
              postgresql_where=sql_text("email_pending"), sqlite_where=sql_text("email_pending")),
        Index("ix_notifications_conversation", "conversation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(24))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("instagram_accounts.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # One line for the bell, the push and the mail ("Priya: do you ship to Lyon?"); never a secret.
    text: Mapped[str] = mapped_column(String(300), default="")
    count: Mapped[int] = mapped_column(Integer, default=1, server_default=sql_text("1"))
    # The channels this row goes out on, decided from the person's preferences when it is written:
    # a bitmask of app.notifications.kinds.IN_APP | DESKTOP | PUSH | EMAIL.
    channels: Mapped[int] = mapped_column(Integer, default=1, server_default=sql_text("1"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    push_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql_text("false"))
    email_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql_text("false"))


class NotificationPreference(db.Model):
    """A person's channels for one type, stored only when they differ from the defaults
    (app.notifications.kinds.DEFAULT_CHANNELS), so a new user needs no rows."""

    __tablename__ = "notification_preferences"
    __table_args__ = (enum_check("type", NOTIFICATION_TYPES),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    type: Mapped[str] = mapped_column(String(24), primary_key=True)
    channels: Mapped[int] = mapped_column(Integer)


class PushSubscription(db.Model):
    """One browser or phone that receives Web Push for a person (the PushSubscription it gave us).
    The endpoint is a capability URL of the push service: it is never shown in full."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(Text)
    endpoint_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256: one row per device
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    device: Mapped[str] = mapped_column(String(120), default="")  # "Chrome on Android", for the list
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))


class NoteMention(db.Model):
    """A teammate named in a private note (`@name`); the Mentions filter walks from the person."""

    __tablename__ = "note_mentions"
    __table_args__ = (Index("ix_note_mentions_user", "user_id", "note_id"),)

    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
