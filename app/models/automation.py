"""Automation's tables: a workspace's rules and settings, the log that makes every automated
reply happen at most once per inbound message, and AI drafts waiting for staff."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.conversations import CONVERSATION_STATUSES, LEAD_STATUSES
from app.models.types import UTCDateTime, enum_check, utcnow

# "comment": a comment on one of the account's posts or ads -> a private reply (and maybe a public one).
RULE_KINDS = ("greeting", "away", "keyword", "story_mention", "comment")
MAX_PUBLIC_REPLIES = 5  # a comment rule's public reply variants, one picked at random
MATCH_TYPES = ("contains", "exact", "regex")
# What a rule may set on the conversation: "snoozed" needs a time, so a rule cannot choose it.
RULE_CONVERSATION_STATUSES = tuple(s for s in CONVERSATION_STATUSES if s != "snoozed")
LOG_KINDS = RULE_KINDS + ("ai",)
LOG_OUTCOMES = ("pending", "sent", "skipped", "failed")
DRAFT_STATUSES = ("pending", "ready", "failed")

# Monday to Friday, nine to five: a starting point admins adjust on the settings page.
DEFAULT_BUSINESS_HOURS: dict[str, list[list[str]]] = {str(day): [["09:00", "17:00"]] for day in range(5)}
DEFAULT_PAUSE_MINUTES = 30
DEFAULT_AWAY_EVERY_HOURS = 12


class AutomationSettings(db.Model):
    """One row per workspace (absent until an admin first saves: defaults apply)."""

    __tablename__ = "automation_settings"
    __table_args__ = (
        CheckConstraint("pause_minutes >= 0", name="pause_minutes_valid"),
        CheckConstraint("away_every_hours >= 1", name="away_every_hours_valid"),
    )

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Weekday ("0" = Monday) -> list of ["HH:MM", "HH:MM"] opening intervals in `timezone`.
    business_hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=lambda: dict(DEFAULT_BUSINESS_HOURS))
    knowledge: Mapped[str | None] = mapped_column(Text)  # business facts the AI may draft from
    ai_auto_reply: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql_text("false"))
    pause_minutes: Mapped[int] = mapped_column(Integer, default=DEFAULT_PAUSE_MINUTES)
    away_every_hours: Mapped[int] = mapped_column(Integer, default=DEFAULT_AWAY_EVERY_HOURS)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AutomationRule(db.Model):
    __tablename__ = "automation_rules"
    __table_args__ = (
        enum_check("kind", RULE_KINDS),
        enum_check("match_type", MATCH_TYPES),
        enum_check("set_lead_status", LEAD_STATUSES),
        enum_check("set_conversation_status", RULE_CONVERSATION_STATUSES),
        CheckConstraint("kind NOT IN ('keyword', 'comment') OR (match_type IS NOT NULL AND pattern IS NOT NULL)",
                        name="keyword_has_pattern"),
        Index("ix_automation_rules_order", "workspace_id", "position", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    # None: every account of the workspace; otherwise only conversations of that account.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("instagram_accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    match_type: Mapped[str | None] = mapped_column(String(10))
    pattern: Mapped[str | None] = mapped_column(String(200))
    reply_text: Mapped[str] = mapped_column(Text)
    set_lead_status: Mapped[str | None] = mapped_column(String(16))
    assign_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    add_label_id: Mapped[int | None] = mapped_column(ForeignKey("labels.id", ondelete="SET NULL"))
    set_conversation_status: Mapped[str | None] = mapped_column(String(16))
    # Comment rules: the posts (instagram_media ids) they watch, None for any post of the account;
    # and the public reply variants (None or []: no public reply). `reply_text` is the private reply.
    media_ids: Mapped[list[int] | None] = mapped_column(JSON)
    public_replies: Mapped[list[str] | None] = mapped_column(JSON)
    position: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sql_text("true"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AutomationLog(db.Model):
    """What automation did about one inbound message. The unique message_id is the idempotency
    key: a job run twice (retry, redelivery, two workers) finds the row and sends nothing."""

    __tablename__ = "automation_log"
    __table_args__ = (
        enum_check("kind", LOG_KINDS),
        enum_check("outcome", LOG_OUTCOMES),
        # "Was an away reply sent in this conversation in the last N hours?"
        Index("ix_automation_log_limit", "conversation_id", "kind", "created_at"),
        Index("ix_automation_log_recent", "workspace_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), unique=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("automation_rules.id", ondelete="SET NULL"))
    kind: Mapped[str | None] = mapped_column(String(16))  # kept when the rule is deleted
    outcome: Mapped[str] = mapped_column(String(10), default="pending")
    reason: Mapped[str | None] = mapped_column(Text)
    reply_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommentAutomationClaim(db.Model):
    """Comment automation answers a person once per post: the unique (contact, post) row, inserted
    before anything is sent, is the claim that concurrent deliveries of two comments race for."""

    __tablename__ = "comment_automation_claims"
    __table_args__ = (UniqueConstraint("contact_id", "media_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    media_id: Mapped[int] = mapped_column(ForeignKey("instagram_media.id", ondelete="CASCADE"), index=True)
    comment_message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("automation_rules.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AiDraft(db.Model):
    """A reply the model drafts for staff; any web process can answer the poll for it."""

    __tablename__ = "ai_drafts"
    __table_args__ = (enum_check("status", DRAFT_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    text: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
