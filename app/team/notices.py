"""The words of the team's mails: plain text, no HTML, nothing but what the reader needs."""
from __future__ import annotations

from app.models import Invite, User
from app.team.lifecycle import INVITE_LIFETIME, RESET_LIFETIME


def invite_mail(inviter: User, invite: Invite, link: str) -> str:
    role = "an admin" if invite.role == "admin" else "an agent"
    return (f"{inviter.display_name} invited you to answer Instagram messages for {invite.workspace.name}, "
            f"as {role}.\n\nChoose your name and password here (the link works once, for "
            f"{INVITE_LIFETIME.days} days):\n\n{link}\n\nIf you did not expect this, ignore this mail.\n")


def reset_mail(user: User, link: str) -> str:
    hours = int(RESET_LIFETIME.total_seconds() // 3600)
    return (f"Hello {user.display_name},\n\nSet a new password for your Instagram Inbox account here (the link "
            f"works once, for {hours} hours; every other session of yours will be signed out):\n\n{link}\n\n"
            "If you did not ask for this, ignore this mail: your password stays as it is.\n")
