"""The demo's auto-assignment: the demo account gives new conversations in turn (round robin) to
the admin and Sam, both available and just seen, and one waiting conversation has already been
given that way, to Sam, so its header reads "Assigned to Sam Rivera · round robin". Another unassigned
one is snoozed for a few minutes: when the clock wakes it (app.jobs.upkeep) it is given in turn too,
as a snooze that runs out is. Through the same functions as the Accounts page, the inbox and
ingestion (app.assignment, app.inbox.actions). Running it again changes nothing."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.assignment.auto import assign_arrivals
from app.assignment.settings import set_assignment
from app.extensions import db
from app.inbox.actions import set_status
from app.models import Conversation, utcnow

SNOOZE = timedelta(minutes=10)  # long enough to see it snoozed, short enough to watch it wake


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
    unassigned = select(Conversation).where(Conversation.account_id == account.id, Conversation.assignee_id.is_(None),
                                            Conversation.status == "open")
    if waiting is not None:
        unassigned = unassigned.where(Conversation.id != waiting.id)
    later = db.session.scalar(unassigned.order_by(Conversation.last_message_at.desc()).limit(1))
    if later is not None:
        set_status(later, "snoozed", now + SNOOZE)  # commits
