"""The agent's day: what one person has not read yet, labels, saved replies, drafts, and who has a
conversation open right now.

Per-person state is keyed by (user, conversation) so that one rep opening a thread never
changes what another rep sees as unread, and a draft follows its author from laptop to phone."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class ConversationUnread(db.Model):
    """One person's unread messages in one conversation. A row exists only while the count is
    above zero, so "my unread" (the badge, the Unread filter) reads a handful of index entries
    under the person's id, however many conversations the workspace holds.

    Ingestion adds to the row of every active member of the workspace in the transaction that
    stores the message; opening the thread deletes the reader's own row; "mark unread" puts it back."""

    __tablename__ = "conversation_unreads"
    __table_args__ = (
        CheckConstraint("count > 0", name="count_positive"),
        # Fan-out and cascades come by conversation; the primary key serves "mine".
        Index("ix_conversation_unreads_conversation", "conversation_id"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=1)
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # the oldest unread message


class Label(db.Model):
    """A workspace's tag for conversations ("vip", "wholesale"): lower-case, unique per workspace."""

    __tablename__ = "labels"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))
    color: Mapped[str] = mapped_column(String(7), default="#6b7280")  # #rrggbb
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConversationLabel(db.Model):
    __tablename__ = "conversation_labels"
    # The `label=` filter walks from the label to its conversations.
    __table_args__ = (Index("ix_conversation_labels_label", "label_id", "conversation_id"),)

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    label: Mapped[Label] = relationship(lazy="joined")


class SavedReply(db.Model):
    """A canned answer: workspace-wide (owner_id is NULL, managed by admins) or one person's own.
    The text may hold {first_name}, {username}, {agent_name} and {account}; the optional
    attachment is kept in the database so it survives the platform's ephemeral disk."""

    __tablename__ = "saved_replies"
    __table_args__ = (
        Index("uq_saved_replies_workspace_shortcut", "workspace_id", "shortcut", unique=True,
              postgresql_where=sql_text("owner_id IS NULL"), sqlite_where=sql_text("owner_id IS NULL")),
        Index("uq_saved_replies_personal_shortcut", "owner_id", "shortcut", unique=True,
              postgresql_where=sql_text("owner_id IS NOT NULL"), sqlite_where=sql_text("owner_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(120))
    shortcut: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    attachment_name: Mapped[str | None] = mapped_column(String(255))
    attachment_type: Mapped[str | None] = mapped_column(String(100))
    attachment_data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    usage_count: Mapped[int] = mapped_column(Integer, default=0, server_default=sql_text("0"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def scope(self) -> str:
        return "personal" if self.owner_id else "workspace"


class Draft(db.Model):
    """What one person has typed but not sent in one conversation, kept on the server."""

    __tablename__ = "drafts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ConversationViewer(db.Model):
    """One person with one conversation open right now (app.inbox.viewers): when their tab last
    said so, and when they last typed in its box (a reply or a private note), so that a teammate
    about to answer the same customer sees it first. Short-lived: deleted when the person leaves
    the thread, ignored once its heartbeat is stale, pruned by the clock."""

    __tablename__ = "conversation_viewers"
    __table_args__ = (
        CheckConstraint("typing IS NULL OR typing IN ('reply', 'note')", name="typing_kind"),
    )

    # Read by conversation (who else is here); the primary key's first column serves it.
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    typing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    typing: Mapped[str | None] = mapped_column(String(8))
    # When the customer was last shown "typing…" for this person's reply (claimed by the
    # heartbeat's UPDATE, app.inbox.viewers.here): Instagram shows it for about 20 s, so it is sent again at most every 15.
    typing_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
