"""The demo's team as a real one looks after a while: a rep who left (deactivated, their open
work handed to Sam, a resolved conversation still showing them as a former member) and an invite
waiting to be accepted. Written through the same team functions as Settings → Team, with their
audit entries. Running it again changes nothing."""
from __future__ import annotations

from sqlalchemy import select

from app import audit
from app.cli import create_user
from app.extensions import db
from app.models import Conversation, Invite, User
from app.team import lifecycle

FORMER_EMAIL = "alex@example.com"
FORMER_NAME = "Alex Kim"
INVITED_EMAIL = "jordan@example.com"


def seed_team(result, workspace_name: str, password: str) -> None:
    admin, agent, workspace = result.admin, result.agent, result.workspace
    former = db.session.scalar(select(User).where(User.email == FORMER_EMAIL))
    if former is None:
        former = create_user(FORMER_EMAIL, password, workspace_name, role="agent", name=FORMER_NAME)
        _give_work(former, workspace.id)
        lifecycle.deactivate(former)
        audit.record("team.deactivate", f"Deactivated {former.email}", actor=admin, user_id=former.id)
        conversations, leads = lifecycle.reassign(former, agent)
        audit.record("team.reassign", f"Gave {conversations} conversation(s) and {leads} lead(s) of {former.email} "
                                      f"to {agent.email}", actor=admin, user_id=former.id, to_user_id=agent.id)
    pending = db.session.scalar(select(Invite.id).where(Invite.workspace_id == workspace.id,
                                                        Invite.email == INVITED_EMAIL, Invite.accepted_at.is_(None),
                                                        Invite.revoked_at.is_(None)))
    if pending is None and db.session.scalar(select(User.id).where(User.email == INVITED_EMAIL)) is None:
        row, _ = lifecycle.invite(workspace.id, INVITED_EMAIL, "agent", admin)
        audit.record("team.invite", f"Invited {row.email} as agent", actor=admin, invite_id=row.id)
    db.session.commit()


def _give_work(former: User, workspace_id: int) -> None:
    """Before leaving, Alex handled one conversation to the end and had two open ones."""
    unassigned = select(Conversation).where(Conversation.workspace_id == workspace_id,
                                            Conversation.assignee_id.is_(None))
    resolved = db.session.scalar(unassigned.where(Conversation.status == "resolved").limit(1))
    open_ones = db.session.scalars(unassigned.where(Conversation.status == "open")
                                   .order_by(Conversation.last_message_at.desc()).limit(2)).all()
    for conversation in ([resolved] if resolved else []) + list(open_ones):
        conversation.assignee_id = former.id
    db.session.flush()
