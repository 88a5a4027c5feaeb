"""The demo's auto-assignment: the demo account gives new conversations in turn (round robin) to
the admin and Sam, both available and just seen, and one waiting conversation has already been
given that way, to Sam, so its header reads "Assigned to Sam Rivera · round robin". Through the same functions as
the Accounts page and ingestion (app.assignment). Running it again changes nothing."""
from __future__ import annotations

from sqlalchemy import select

from app.assignment.auto import assign_arrivals
from app.assignment.settings import set_assignment
from app.extensions import db
from app.models import Conversation, utcnow


def seed_assignment(result) -> None:
    account = result.account
    if account is None or account.assignment != "off":
        return  # no demo account, or seeded before (an admin may have changed it since: theirs)
    now = utcnow()
    for person in (result.admin, result.agent):
        person.availability = "available"
        person.last_seen_at = now  # available until the workspace's auto-away delay passes
    set_assignment(account, "round_robin")
    waiting = db.session.scalar(
        select(Conversation).where(Conversation.account_id == account.id, Conversation.assignee_id.is_(None),
                                   Conversation.status == "open")
        .order_by(Conversation.last_message_at.desc()).limit(1))
    if waiting is not None:
        account.assignment_last_user_id = result.admin.id  # Sam's turn: the demo's admin sees it given to him
        assign_arrivals([waiting], now)
    db.session.commit()
