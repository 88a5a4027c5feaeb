"""Workspaces and the people in them: a workspace (one team, its settings), its users with their
role and profile, and their API tokens."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.config import PASSWORD_HASH_METHOD
from app.extensions import db
from app.models.types import UTCDateTime, enum_check, utcnow


def password_hash_method() -> str:
    """How passwords are hashed: the app's PASSWORD_HASH_METHOD, the default (app.config) outside an app."""
    return current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else PASSWORD_HASH_METHOD


if TYPE_CHECKING:
    from app.models.accounts import InstagramAccount

THEMES = ("system", "light", "dark")
AVAILABILITIES = ("available", "away")
ROLES = ("admin", "agent")


class Workspace(db.Model):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # Meta grants the HUMAN_AGENT tag by app review; the workspace states it has it.
    human_agent_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql_text("false"))
    # What customers see of the team (Settings → Workspace): "Seen" once someone opens their
    # conversation (app.outbound.jobs.mark_seen_job), "typing…" while someone writes them a reply
    # (app.outbound.jobs.typing_job; never for a private note).
    mark_seen_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sql_text("true"))
    typing_indicator_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sql_text("true"))
    # IANA name: the team's clock, for times shown where no browser zone is known yet (Settings → Workspace).
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # Assignment and mention alerts are mailed to people who have not been active for this long
    # (app.notifications.email), so someone at their desk is not mailed what they already saw.
    alert_email_after_minutes: Mapped[int] = mapped_column(Integer, default=10, server_default=sql_text("10"))
    # "Available" people become away after this long without a request (0: never), so auto-assignment
    # never hands a conversation to someone who closed the laptop (app.assignment).
    auto_away_minutes: Mapped[int] = mapped_column(Integer, default=30, server_default=sql_text("30"))
    # The currency new lead values are in unless a person picks another (ISO 4217).
    currency: Mapped[str] = mapped_column(String(3), default="USD", server_default="USD")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="workspace", order_by="User.id")
    accounts: Mapped[list[InstagramAccount]] = relationship(back_populates="workspace", order_by="InstagramAccount.id")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (enum_check("role", ROLES), enum_check("theme", THEMES),
                      enum_check("availability", AVAILABILITIES))

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
    # Light, dark, or whatever the device prefers.
    theme: Mapped[str] = mapped_column(String(8), default="system", server_default="system")
    # The last request this person made, at most a minute stale (app.auth.activity): email alerts
    # wait for people who are away, and availability goes "away" after a while without it.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the person set (shown on avatars and in the assignee picker); "available" turns into away
    # by itself after the workspace's auto_away_minutes without a request (app.assignment).
    availability: Mapped[str] = mapped_column(String(12), default="available", server_default="available")
    # Off: push notifications and mails say that something happened, never what a customer wrote.
    notification_previews: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sql_text("true"))

    workspace: Mapped[Workspace] = relationship(back_populates="users")

    def set_password(self, password: str) -> None:
        if self.password_hash:
            self.end_sessions()  # a changed password signs out every cookie issued with the old one
        self.password_hash = generate_password_hash(password, method=password_hash_method())

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
