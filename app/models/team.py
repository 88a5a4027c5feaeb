"""The team's tables: invites and password-reset links (each link is a random token shown once;
only its SHA-256 is stored, so a database dump opens no account), and the sessions signed out one
at a time."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, enum_check, utcnow
from app.models.workspaces import ROLES, User, Workspace


class Invite(db.Model):
    """A single-use link that lets one email address join a workspace with a role."""

    __tablename__ = "invites"
    __table_args__ = (enum_check("role", ROLES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    workspace: Mapped[Workspace] = relationship()
    invited_by: Mapped[User | None] = relationship()

    @property
    def pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > utcnow()


class PasswordReset(db.Model):
    """A single-use link, issued by an admin (or the CLI), that sets a user's password."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class SignedOutSession(db.Model):
    """One sign-in ended by "Sign out" on its device (app.auth.sessions): that cookie stops working,
    the person's other devices stay signed in. Kept until the cookie would have expired anyway
    (app.jobs.upkeep prunes it); "Sign out everywhere" needs no rows (users.session_generation)."""

    __tablename__ = "signed_out_sessions"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # "<issued at>:<nonce>" of the session's id: not a secret (the cookie is signed by the app's key).
    session_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    signed_out_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
