"""What happens to a team member, in one place: invited, joined, role changed, deactivated,
reactivated, reassigned, password reset or changed. Routes and the CLI call these; they raise
TeamRefused with a sentence for the person who asked, and leave committing to the caller.

Rules:
- one user, one workspace: an address that is a member anywhere cannot be invited elsewhere;
- the last active admin of a workspace can be neither demoted nor deactivated (409), checked
  under a lock on the workspace row, so two admins demoting each other at once cannot both win;
- invite and reset links are single use, expire (7 days, 1 day), and a new one replaces the old;
- deactivation, a reset and a password change end the user's sessions (app.auth.sessions);
  a deactivated user's API tokens stop with them (app.auth.api_tokens checks `active`).
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update

from app.extensions import db
from app.leads import ownership
from app.models import ROLES, Conversation, Invite, Lead, PasswordReset, User, Workspace, utcnow
from app.team.passwords import WeakPassword, check_password

INVITE_LIFETIME = timedelta(days=7)
RESET_LIFETIME = timedelta(days=1)
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


@dataclass
class TeamRefused(Exception):
    field: str | None
    message: str
    status: int = 422


@dataclass
class InviteRepeated(TeamRefused):
    """The same address was invited minutes ago: most likely the page was reloaded, which sends
    the form again (a phone's pull-to-refresh) and would silently kill the link just copied. The
    admin confirms a new link by naming the invite it replaces (`replace`): a reload of that
    confirmation names one that is no longer the newest, and is asked again."""

    offer_replace: bool = True
    invite_id: int | None = None


# Within this of an invite, inviting the same address again asks first (InviteRepeated).
REPEAT_GUARD = timedelta(minutes=10)


def token_digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    plaintext = secrets.token_urlsafe(32)
    return plaintext, token_digest(plaintext)


def _lock_workspace(workspace_id: int) -> None:
    """Serialise team changes of one workspace (PostgreSQL row lock; SQLite has one writer)."""
    db.session.execute(select(Workspace.id).where(Workspace.id == workspace_id).with_for_update())


def _other_active_admins(user: User) -> int:
    return db.session.scalar(select(func.count(User.id)).where(
        User.workspace_id == user.workspace_id, User.role == "admin", User.active.is_(True), User.id != user.id))


def _normal_email(email: str) -> str:
    email = (email or "").strip().lower()
    if len(email) > 254 or not EMAIL.match(email):
        raise TeamRefused("email", "Enter an email address, like rep@example.com.")
    return email


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise TeamRefused("role", "Choose admin or agent.")
    return role


# -- invites -------------------------------------------------------------------------------------

def invite(workspace_id: int, email: str, role: str, invited_by: User | None, *,
           replace: int | bool = True) -> tuple[Invite, str]:
    """A new single-use link for `email`; an earlier pending invite of that address is replaced,
    except one made within REPEAT_GUARD unless `replace` is True or that invite's id:
    InviteRepeated."""
    email, role = _normal_email(email), _check_role(role)
    member = db.session.scalar(select(User).where(User.email == email))
    if member is not None:
        if member.workspace_id == workspace_id:
            raise TeamRefused("email", f"{email} is already a member of this workspace.", 409)
        raise TeamRefused("email", f"{email} already has an account in another workspace; one person can belong "
                                   "to one workspace. Ask them to use another address.", 409)
    now = utcnow()
    if replace is not True:
        recent = db.session.execute(
            select(Invite.id, Invite.created_at).where(Invite.workspace_id == workspace_id, Invite.email == email,
                                                       Invite.accepted_at.is_(None), Invite.revoked_at.is_(None),
                                                       Invite.created_at > now - REPEAT_GUARD)
            .order_by(Invite.created_at.desc())).first()
        if recent is not None and (replace is False or recent.id != replace):
            minutes = int((now - recent.created_at).total_seconds() // 60)
            ago = "moments ago" if minutes < 1 else f"{minutes} minute{'s' if minutes != 1 else ''} ago"
            raise InviteRepeated("email", f"{email} was invited {ago}, "
                                          "and that link still works (a reload of this page sends the form again). "
                                          "A new link replaces it: the one already sent stops working.", 409,
                                 invite_id=recent.id)
    db.session.execute(update(Invite).where(Invite.workspace_id == workspace_id, Invite.email == email,
                                            Invite.accepted_at.is_(None), Invite.revoked_at.is_(None))
                       .values(revoked_at=now))
    plaintext, digest = _new_token()
    row = Invite(workspace_id=workspace_id, email=email, role=role, token_hash=digest,
                 invited_by_id=invited_by.id if invited_by else None, created_at=now, expires_at=now + INVITE_LIFETIME)
    db.session.add(row)
    db.session.flush()
    return row, plaintext


def find_invite(plaintext: str) -> Invite | None:
    if not plaintext or len(plaintext) > 100:
        return None
    return db.session.scalar(select(Invite).where(Invite.token_hash == token_digest(plaintext)))


def accept_invite(invite_row: Invite, name: str, password: str) -> User:
    if not invite_row.pending:
        raise TeamRefused(None, "This invite has already been used, replaced or has expired. Ask an admin for a new one.", 410)
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise TeamRefused("name", "Enter your name (at most 120 characters).")
    _check_password(password, name, invite_row.email)
    if db.session.scalar(select(User.id).where(User.email == invite_row.email)) is not None:
        raise TeamRefused(None, f"{invite_row.email} already has an account. Sign in instead.", 409)
    user = User(workspace_id=invite_row.workspace_id, email=invite_row.email, name=name, role=invite_row.role)
    user.set_password(password)
    db.session.add(user)
    invite_row.accepted_at = utcnow()
    db.session.flush()
    return user


def revoke_invite(invite_row: Invite) -> None:
    if invite_row.accepted_at is None and invite_row.revoked_at is None:
        invite_row.revoked_at = utcnow()


# -- roles and lifecycle -------------------------------------------------------------------------

def change_role(user: User, role: str) -> None:
    role = _check_role(role)
    _lock_workspace(user.workspace_id)
    if user.role == "admin" and role != "admin" and user.active and _other_active_admins(user) == 0:
        raise TeamRefused("role", f"{user.display_name} is the last active admin; make someone else an admin first.", 409)
    user.role = role


def deactivate(user: User) -> None:
    _lock_workspace(user.workspace_id)
    if user.role == "admin" and user.active and _other_active_admins(user) == 0:
        raise TeamRefused(None, f"{user.display_name} is the last active admin; make someone else an admin first.", 409)
    user.active = False
    user.end_sessions()  # every session and remember cookie stops at its next request


def reactivate(user: User) -> None:
    user.active = True


def reassign(former: User, to: User) -> tuple[int, int]:
    """Hand a member's open conversations and leads to another active member, in one step."""
    if to.workspace_id != former.workspace_id or not to.active or to.id == former.id:
        raise TeamRefused("to", "Choose an active member of this workspace.")
    now = utcnow()
    # updated_at too: open inboxes and boards see the new person at their next poll.
    moved = db.session.scalars(
        update(Conversation).where(Conversation.workspace_id == former.workspace_id,
                                   Conversation.assignee_id == former.id, Conversation.status != "resolved")
        .values(assignee_id=to.id, assignment_reason="manual", assigned_at=now, updated_at=now)
        .returning(Conversation.id)).all()
    leads = db.session.execute(
        update(Lead).where(Lead.workspace_id == former.workspace_id, Lead.owner_id == former.id,
                           Lead.status.notin_(("won", "lost")))
        .values(owner_id=to.id, updated_at=now)).rowcount
    # Their conversations' leads that had no owner follow the conversation, as on any assignment.
    leads += len(ownership.follow({conversation_id: to.id for conversation_id in moved}, now))
    return len(moved), leads


# -- passwords -----------------------------------------------------------------------------------

def _check_password(password: str, *user_inputs: str) -> None:
    try:
        check_password(password or "", user_inputs=tuple(part for text in user_inputs if text
                                                          for part in re.split(r"[@.\s]+", text)))
    except WeakPassword as exc:
        raise TeamRefused("password", str(exc)) from None


def issue_reset(user: User, issued_by: User | None) -> tuple[PasswordReset, str]:
    now = utcnow()
    db.session.execute(update(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
                       .values(used_at=now))  # a new link replaces any earlier one
    plaintext, digest = _new_token()
    row = PasswordReset(user_id=user.id, token_hash=digest, issued_by_id=issued_by.id if issued_by else None,
                        created_at=now, expires_at=now + RESET_LIFETIME)
    db.session.add(row)
    db.session.flush()
    return row, plaintext


def find_reset(plaintext: str) -> PasswordReset | None:
    if not plaintext or len(plaintext) > 100:
        return None
    return db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == token_digest(plaintext)))


def reset_usable(reset: PasswordReset) -> bool:
    return reset.used_at is None and reset.expires_at > utcnow() and reset.user.active


def use_reset(reset: PasswordReset, password: str) -> User:
    if not reset_usable(reset):
        raise TeamRefused(None, "This reset link has already been used, replaced or has expired. Ask an admin for a new one.", 410)
    user = reset.user
    _check_password(password, user.name or "", user.email)
    user.set_password(password)  # ends every session issued with the old password
    reset.used_at = utcnow()
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current or ""):
        raise TeamRefused("current_password", "That is not your current password.")
    if new == current:
        raise TeamRefused("new_password", "Choose a password different from the current one.")
    try:
        _check_password(new, user.name or "", user.email)
    except TeamRefused as exc:
        raise TeamRefused("new_password", exc.message) from None
    user.set_password(new)
