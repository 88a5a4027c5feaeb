"""Connected Instagram business accounts (their encrypted token and health) and the
data-deletion requests Meta sends about an Instagram user."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text, text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, enum_check, utcnow
from app.models.workspaces import Workspace

ACCOUNT_STATUSES = ("active", "reauth_required", "disconnected")
# How new conversations of an account are assigned (app.assignment): not at all, in turn, or to
# whoever has the fewest open conversations; among available, active agents (or the chosen ones).
ASSIGNMENT_MODES = ("off", "round_robin", "least_open")
# Where an account's history import is (app.accounts.history_import); "idle": never started.
IMPORT_STATUSES = ("idle", "running", "done", "failed")


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
    # The permissions the person granted at Connect (Meta's `permissions`, or the scopes asked for
    # when the exchange does not list them); None for accounts connected before it was kept.
    granted_scopes: Mapped[list[str] | None] = mapped_column(JSON)
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


class AccountImport(db.Model):
    """An account's history import through the Conversations API (app.accounts.history_import):
    how far the walk got, so a crashed worker or a redeploy continues from the stored cursor
    instead of starting again, and the progress /accounts and the API show. One row per account."""

    __tablename__ = "account_imports"
    __table_args__ = (enum_check("status", IMPORT_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("instagram_accounts.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="idle", server_default="idle")
    # Every start is a new run; a job of an older run (still queued, or retried late) stops at once.
    run: Mapped[int] = mapped_column(Integer, default=0, server_default=sql_text("0"))
    days: Mapped[int] = mapped_column(Integer, default=30, server_default=sql_text("30"))
    since: Mapped[datetime | None] = mapped_column(UTCDateTime)  # older messages stop the walk
    cursor: Mapped[str | None] = mapped_column(Text)  # Meta's `after` of the next page; None: the first
    page_position: Mapped[int] = mapped_column(Integer, default=0, server_default=sql_text("0"))  # done on that page
    done: Mapped[int] = mapped_column(Integer, default=0, server_default=sql_text("0"))  # conversations imported
    total: Mapped[int] = mapped_column(Integer, default=0, server_default=sql_text("0"))  # found in the window so far
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=sql_text("0"))  # failed tries in a row
    # Pacing shared by every worker: the earliest moment (epoch ms) the next call to Meta may go out.
    next_call_ms: Mapped[int] = mapped_column(BigInteger, default=0, server_default=sql_text("0"))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a job is walking until then
    last_error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
