"""A lead is owned by the person its conversation is assigned to, until someone chooses otherwise.

A sales rep's pipeline is the board's "Mine" and the leads list's owner filter; a customer
auto-assigned to Sam (or given to him by hand) was Sam's conversation but nobody's lead, and so
on nobody's board. So when a conversation gets an assignee, its lead takes that person as owner
if it has none. An owner someone set (on the lead panel, the list, the board, the API) is never
replaced, and taking the conversation away from someone leaves the lead where it is: who owns a
deal is a sales decision, the conversation's assignee only the first guess.

Called, in the caller's transaction, wherever a conversation's assignee is set: by hand, in bulk
and through the API (app.inbox.actions.assign_all), by the team page's "Reassign their work"
(app.team.lifecycle.reassign) and by auto-assignment (app.assignment.auto, for ingestion and the
snooze clock). A lead made after its conversation was assigned is given the
assignee as it is created (app.webhooks.apply.create_leads)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import case, select, update
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.integrations import events as webhook_events
from app.models import Contact, Conversation, Lead, utcnow


def follow_assignees(conversations: Iterable[Conversation], now: datetime | None = None) -> list[int]:
    """Give these conversations' leads that have no owner their conversation's assignee; returns
    the ids of the leads given one. One UPDATE for all of them (auto-assignment hands a delivery's
    new customers to different people)."""
    return follow({c.id: c.assignee_id for c in conversations if c.assignee_id is not None}, now)


def follow(owners: dict[int, int], now: datetime | None = None) -> list[int]:
    """`follow_assignees` for conversation ids and their new assignee's id (a bulk UPDATE that
    returned only ids: the team page's "Reassign their work")."""
    if not owners:
        return []
    now = now or utcnow()
    given = db.session.execute(
        update(Lead)
        .where(Lead.conversation_id.in_(sorted(owners)), Lead.owner_id.is_(None))
        .values(owner_id=case(owners, value=Lead.conversation_id), updated_at=now)
        .returning(Lead.id, Lead.workspace_id)
        .execution_options(synchronize_session=False)).all()
    _tell_integrations(given)
    return sorted(lead_id for lead_id, _ in given)


def _tell_integrations(given: list[tuple[int, int]]) -> None:
    """lead.updated for each, as a change of owner on the lead panel sends it (app.leads.actions);
    the leads are read only for a workspace with an endpoint that listens."""
    by_workspace: dict[int, list[int]] = {}
    for lead_id, workspace_id in given:
        by_workspace.setdefault(workspace_id, []).append(lead_id)
    listening = webhook_events.Subscriptions(by_workspace)
    for workspace_id, lead_ids in sorted(by_workspace.items()):
        if not listening.endpoints(workspace_id, webhook_events.LEAD_UPDATED):
            continue
        leads = db.session.scalars(select(Lead).where(Lead.id.in_(lead_ids)).order_by(Lead.id)
                                   .options(joinedload(Lead.contact).joinedload(Contact.account))
                                   .execution_options(populate_existing=True)).all()
        webhook_events.leads_updated(workspace_id, leads, listening)
