"""The data model: workspaces and their users, connected Instagram accounts, contacts,
conversations, messages, leads, and the raw webhook log.

Constraints live in the database (unique keys, foreign keys, checks) so that concurrent web and
worker processes cannot create duplicates whatever the Python code does. Every timestamp is
stored in UTC and comes back timezone-aware, also on SQLite.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text as sql_text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out; SQLite drops the offset, so it is put back on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def _enum_check(column: str, values: tuple[str, ...]) -> CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=f"{column}_valid")


ROLES = ("admin", "agent")
ACCOUNT_STATUSES = ("active", "reauth_required", "disconnected")
CONVERSATION_STATUSES = ("open", "pending", "resolved", "snoozed")
DIRECTIONS = ("in", "out")
MESSAGE_STATUSES = ("received", "pending", "sent", "delivered", "read", "failed")
MESSAGE_SOURCES = ("instagram", "inbox", "api", "app", "automation")
LEAD_STATUSES = ("new", "contacted", "qualified", "won", "lost")
WEBHOOK_STATUSES = ("received", "applied", "failed", "ignored", "rejected")
# Primary keys are 32-bit integers. A larger number from outside names no row, and PostgreSQL
# refuses to compare it with the column (an error, not an empty result), so callers check first.
MAX_ID = 2**31 - 1


class Workspace(db.Model):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # Meta grants the HUMAN_AGENT tag by app review; the workspace states it has it.
    human_agent_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql_text("false"))
    mark_seen_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sql_text("true"))
    # IANA name: the team's clock, for times shown where no browser zone is known yet (Settings → Workspace).
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="workspace", order_by="User.id")
    accounts: Mapped[list[InstagramAccount]] = relationship(back_populates="workspace", order_by="InstagramAccount.id")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (_enum_check("role", ROLES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str | None] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="agent")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sql_text("true"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every session and remember cookie (app.auth.sessions); bumping it ends them all.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default=sql_text("0"))
    # Profile (Settings → Profile): the zone times are shown in (else the browser's, else the
    # workspace's) and the colour of the initials avatar (one of the 36 hue-N classes).
    timezone: Mapped[str | None] = mapped_column(String(64))
    avatar_hue: Mapped[int | None] = mapped_column(Integer)

    workspace: Mapped[Workspace] = relationship(back_populates="users")

    def set_password(self, password: str) -> None:
        if self.password_hash:
            self.end_sessions()  # a changed password signs out every cookie issued with the old one
        self.password_hash = generate_password_hash(password, method="scrypt")

    def end_sessions(self) -> None:
        self.session_generation = (self.session_generation or 0) + 1

    def get_id(self) -> str:
        from app.auth.sessions import session_id

        return session_id(self)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@", 1)[0]

    @property
    def hue_class(self) -> str:
        """The avatar's colour: the chosen one, else one derived from the id."""
        from app.templating import avatar_hue

        return f"hue-{self.avatar_hue if self.avatar_hue is not None else avatar_hue(self.id) // 10}"


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # shown in settings to tell tokens apart
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class InstagramAccount(db.Model):
    __tablename__ = "instagram_accounts"
    __table_args__ = (_enum_check("status", ACCOUNT_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    ig_user_id: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str | None] = mapped_column(String(120))
    name: Mapped[str | None] = mapped_column(String(255))
    profile_picture_url: Mapped[str | None] = mapped_column(Text)
    token_encrypted: Mapped[str | None] = mapped_column(Text)  # Fernet token, see app.token_crypto
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="active")
    webhook_subscribed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql_text("false"))
    last_webhook_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql_text("false"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    workspace: Mapped[Workspace] = relationship(back_populates="accounts")

    def __repr__(self) -> str:  # never includes the token
        return f"<InstagramAccount {self.id} @{self.username} {self.status}>"


class Contact(db.Model):
    """A customer on Instagram, as seen by one of our accounts (IGSIDs are per account)."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("account_id", "igsid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("instagram_accounts.id", ondelete="CASCADE"))
    igsid: Mapped[str] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(120))
    name: Mapped[str | None] = mapped_column(String(255))
    profile_pic_url: Mapped[str | None] = mapped_column(Text)
    follower_count: Mapped[int | None] = mapped_column(Integer)
    is_verified_user: Mapped[bool | None] = mapped_column(Boolean)
    is_user_follow_business: Mapped[bool | None] = mapped_column(Boolean)
    is_business_follow_user: Mapped[bool | None] = mapped_column(Boolean)
    profile_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    profile_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account: Mapped[InstagramAccount] = relationship()

    @property
    def display_name(self) -> str:
        # Until the profile lookup succeeds the customer is still shown, by id.
        return self.name or (f"@{self.username}" if self.username else "Instagram user")

    @property
    def handle(self) -> str:
        return f"@{self.username}" if self.username else f"@{self.igsid}"


class Conversation(db.Model):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("account_id", "contact_id"),
        _enum_check("status", CONVERSATION_STATUSES),
        # The inbox list: newest activity first within a workspace, keyset-paginated by (time, id).
        Index("ix_conversations_inbox", "workspace_id", "last_message_at", "id"),
        # The live-update poll: "has anything in my workspace changed since X?"
        Index("ix_conversations_changes", "workspace_id", "updated_at"),
        # The unread badge: only the unread conversations, however many there are in all.
        Index("ix_conversations_unread", "workspace_id", postgresql_where=sql_text("unread_count > 0"),
              sqlite_where=sql_text("unread_count > 0")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("instagram_accounts.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    unread_count: Mapped[int] = mapped_column(Integer, default=0, server_default=sql_text("0"))
    # Never null (a conversation starts with its first message) so the inbox index orders it as is.
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_preview: Mapped[str | None] = mapped_column(String(200))
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)  # oldest unanswered inbound
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    account: Mapped[InstagramAccount] = relationship()
    contact: Mapped[Contact] = relationship()
    assignee: Mapped[User | None] = relationship()


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (
        # Meta's message id is unique per account; the constraint, not a lookup, stops duplicates.
        UniqueConstraint("account_id", "mid"),
        _enum_check("direction", DIRECTIONS),
        _enum_check("status", MESSAGE_STATUSES),
        _enum_check("source", MESSAGE_SOURCES),
        # The thread: a conversation's messages in Meta's timestamp order, keyset by (time, id).
        Index("ix_messages_thread", "conversation_id", "created_at", "id"),
        # The outbound sweep: pending sends that are stuck or were never queued.
        Index("ix_messages_outbox", "status", "send_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("instagram_accounts.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    mid: Mapped[str | None] = mapped_column(String(255))  # None while an outbound message is pending
    direction: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(20), default="message")  # message, postback, story_mention...
    text: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10))
    error: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(12))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reply_to_mid: Mapped[str | None] = mapped_column(String(255))
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql_text("false"))
    edited: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql_text("false"))
    reactions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # What the message carries beyond text (story, referral/ad, quick reply, postback, share, template,
    # unsupported, standby) plus reaction/edit bookkeeping: written and read only through
    # app/messages/content.py, which also names the message's kind for the API and the thread.
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    human_agent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql_text("false"))
    send_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=sql_text("0"))
    send_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A pending send is due from this time (later after a failed try); the sweep re-queues it
    # if nothing has picked it up some minutes after.
    send_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # Meta's timestamp
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # when we stored it
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    conversation: Mapped[Conversation] = relationship()
    sent_by: Mapped[User | None] = relationship()


class Note(db.Model):
    """A private note for the team inside a conversation; never sent to Instagram."""

    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_thread", "conversation_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship()


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


class Lead(db.Model):
    __tablename__ = "leads"
    __table_args__ = (
        _enum_check("status", LEAD_STATUSES),
        Index("ix_leads_list", "workspace_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), unique=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="new")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    source: Mapped[str] = mapped_column(String(20), default="dm")
    source_detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    contact: Mapped[Contact] = relationship()
    conversation: Mapped[Conversation | None] = relationship()
    owner: Mapped[User | None] = relationship()


class WebhookEvent(db.Model):
    """One signed delivery from Meta, kept raw for audit and replay."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        _enum_check("status", WEBHOOK_STATUSES),
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


class Upload(db.Model):
    """A staff attachment, served to Meta at an unguessable, expiring URL. Kept in the database
    because a Heroku-style dyno has no persistent disk."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DataDeletionRequest(db.Model):
    """A data-deletion callback from Meta, with the code its status page is found by."""

    __tablename__ = "data_deletion_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    confirmation_code: Mapped[str] = mapped_column(String(64), unique=True)
    ig_user_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="received")
    summary: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# Feature packages that own tables register them here, so one metadata sees every model.
from app.automation.models import AiDraft, AutomationLog, AutomationRule, AutomationSettings  # noqa: E402,F401
from app.team.models import Invite, PasswordReset  # noqa: E402,F401
from app.audit import AuditEntry  # noqa: E402,F401
