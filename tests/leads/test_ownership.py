"""A lead is owned by its conversation's assignee until someone chooses otherwise
(app.leads.ownership): auto-assignment and assignment by hand, alone or in bulk, give an ownerless
lead its owner; an owner someone chose stays; a lead made after its conversation was assigned
starts with that owner; the board's live poll sees the change."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.inbox.actions import assign_all
from app.leads import board_live
from app.instagram import payloads as p
from app.models import Conversation, Lead
from tests.assignment.helpers import deliver_new_customer, team
from tests.sql_log import sql_sent
from tests.webhooks.helpers import T0, post


def _lead_of(conversation) -> Lead:
    db.session.expire_all()
    return db.session.scalar(select(Lead).where(Lead.conversation_id == conversation.id))


def test_auto_assignment_makes_the_assignee_the_owner(client, factory):
    account = factory.account()
    account.assignment = "round_robin"
    db.session.commit()
    sam, tia = team(factory, account, 2)
    first = deliver_new_customer(client, account)
    with sql_sent() as seen:  # the hot path: the new lead is made with its owner, no UPDATE after
        second = deliver_new_customer(client, account)
    assert not [sent for sent in seen if sent.statement.lstrip().upper().startswith("UPDATE LEADS")]
    assert (first.assignee_id, second.assignee_id) == (sam.id, tia.id)
    assert (_lead_of(first).owner_id, _lead_of(second).owner_id) == (sam.id, tia.id)


def test_assigning_by_hand_or_in_bulk_gives_an_ownerless_lead_its_owner_and_no_other(auth, factory):
    ws = factory.workspace("Owner Shop")
    admin = auth.login(factory.user(ws, name="Ada Admin"))
    sam = factory.user(ws, name="Sam Rivera", role="agent")
    account = factory.account(ws)
    nobody, chosen, bulk_a, bulk_b = (factory.conversation(account) for _ in range(4))
    for conversation in (nobody, bulk_a, bulk_b):
        factory.lead(conversation)
    factory.lead(chosen, owner_id=admin.id)  # someone chose its owner: it stays
    since = board_live.current_state(ws.id)

    assert auth.post(f"/conversations/{nobody.id}/assign", {"assignee": str(sam.id)}, htmx=True).status_code == 200
    assert auth.post(f"/conversations/{chosen.id}/assign", {"assignee": str(sam.id)}, htmx=True).status_code == 200
    assert (_lead_of(nobody).owner_id, _lead_of(chosen).owner_id) == (sam.id, admin.id)
    # The board's live poll sees the new owner (the lead's updated_at moved).
    changed, _ = board_live.changes(ws.id, since)
    assert changed is not None and _lead_of(nobody).id in changed.changed_ids

    # Taken away or given to someone else: the lead stays with its owner (a sales decision).
    auth.post(f"/conversations/{nobody.id}/assign", {"assignee": "none"}, htmx=True)
    auth.post(f"/conversations/{nobody.id}/assign", {"assignee": "me"}, htmx=True)
    assert _lead_of(nobody).owner_id == sam.id

    response = auth.post("/conversations/bulk", {"ids": [str(bulk_a.id), str(bulk_b.id)], "action": "assign",
                                                 "assignee": "me"}, htmx=True)
    assert response.status_code == 200
    assert (_lead_of(bulk_a).owner_id, _lead_of(bulk_b).owner_id) == (admin.id, admin.id)


def test_a_lead_made_after_its_conversation_was_assigned_starts_with_that_owner(client, factory):
    """An echo of a message typed in the Instagram app makes the conversation before the customer
    speaks; assigned then, its lead comes with the customer's first message."""
    account = factory.account()
    [sam] = team(factory, account, 1)
    A, customer = account.ig_user_id, "6543210099000001"
    assert post(client, p.delivery(p.entry(A, [p.echo(A, customer, "m.echo", "Hello from the shop", T0)]))).status_code == 200
    conversation = db.session.scalar(select(Conversation))
    assert conversation is not None and db.session.scalar(select(Lead)) is None
    assign_all([conversation], sam.id)
    assert post(client, p.delivery(p.entry(A, [p.text_message(A, customer, "m.first", "Hi!", T0 + 1000)]))).status_code == 200
    assert _lead_of(conversation).owner_id == sam.id


def test_a_reopened_conversation_auto_assigned_gives_its_ownerless_lead_an_owner(client, factory):
    """The path where the lead already exists when auto-assignment runs (ingestion's reopen, and
    the snooze clock's wake): app.assignment.auto calls follow_assignees."""
    account = factory.account()
    account.assignment = "round_robin"
    db.session.commit()
    sam, tia = team(factory, account, 2)
    conversation = deliver_new_customer(client, account)
    assert conversation.assignee_id == sam.id
    assign_all([conversation], None)  # a person unassigned it...
    lead = _lead_of(conversation)
    lead.owner_id = None  # ...and cleared its owner
    conversation = db.session.get(Conversation, conversation.id)
    conversation.status = "resolved"
    db.session.commit()
    A, igsid = account.ig_user_id, conversation.contact.igsid
    assert post(client, p.delivery(p.entry(A, [p.text_message(A, igsid, "m.back", "back again", T0 + 99)]))).status_code == 200
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).assignee_id == tia.id
    assert _lead_of(conversation).owner_id == tia.id


def test_reassigning_a_former_members_work_gives_ownerless_leads_the_new_person(auth, factory):
    ws = factory.workspace("Handover Shop")
    admin = auth.login(factory.user(ws, name="Ada Admin"))
    gone = factory.user(ws, name="Gina Gone", role="agent")
    account = factory.account(ws)
    theirs = factory.conversation(account, assignee_id=gone.id)
    factory.lead(theirs)  # nobody's lead, Gina's conversation
    auth.post(f"/settings/team/{gone.id}/deactivate")
    assert auth.post(f"/settings/team/{gone.id}/reassign", {"to": str(admin.id)}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Conversation, theirs.id).assignee_id == admin.id
    assert _lead_of(theirs).owner_id == admin.id
