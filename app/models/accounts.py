"""Connected Instagram business accounts (their encrypted token and health) and the
data-deletion requests Meta sends about an Instagram user."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, enum_check, utcnow
from app.models.workspaces import Workspace

ACCOUNT_STATUSES = ("active", "reauth_required", "disconnected")
# How new conversations of an account are assigned (app.assignment): not at all, in turn, or to
# whoever has the fewest open conversations; among available, active agents (or the chosen ones).
ASSIGNMENT_MODES = ("off", "round_robin", "least_open")


class InstagramAccount(db.Model):
    __tablename__ = "instagram_accounts"
    __table_args__ = (enum_check("status", ACCOUNT_STATUSES), enum_check("assignment", ASSIGNMENT_MODES))

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
    assignment: Mapped[str] = mapped_column(String(16), default="off", server_default="off")
    # Round robin's turn: the user id assigned last. Read and moved under this row's lock, so two
    # deliveries at once cannot both take the same turn (app.assignment).
    assignment_last_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    workspace: Mapped[Workspace] = relationship(back_populates="accounts")

    def __repr__(self) -> str:  # never includes the token
        return f"<InstagramAccount {self.id} @{self.username} {self.status}>"


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


class AccountAssignee(db.Model):
    """The agents an account's auto-assignment chooses among, when an admin narrowed it down (no
    rows: every active agent of the workspace)."""

    __tablename__ = "account_assignees"

    account_id: Mapped[int] = mapped_column(ForeignKey("instagram_accounts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
