"""Auto-assignment through real deliveries (app.assignment.auto via app.webhooks.apply): the order,
who is skipped, least open, reopening, manual assignment winning, and the notification."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.assignment.availability import effective_availability
from app.extensions import db
from app.inbox.actions import assign, set_status
from app.instagram import payloads as p
from app.models import AccountAssignee, Conversation, Notification
from tests.assignment.helpers import deliver_new_customer, present, team
from tests.webhooks.helpers import T0, post
from tests.sql_log import sql_sent


@pytest.fixture
def account(factory):
    account = factory.account()
    account.assignment = "round_robin"
    db.session.commit()
    return account


def _assignees(conversations):
    return [c.assignee_id for c in conversations]


def test_round_robin_goes_in_turn_by_id_and_wraps(client, factory, account):
    a, b, c = team(factory, account, 3)
    got = [deliver_new_customer(client, account) for _ in range(7)]
    assert _assignees(got) == [a.id, b.id, c.id, a.id, b.id, c.id, a.id]
    assert {x.assignment_reason for x in got} == {"round_robin"}
    assert all(x.assigned_at is not None for x in got)
    db.session.refresh(account)
    assert account.assignment_last_user_id == a.id


def test_turn_continues_after_the_last_one_even_when_people_change(client, factory, account):
    a, b, c = team(factory, account, 3)
    assert deliver_new_customer(client, account).assignee_id == a.id
    b.availability = "away"
    db.session.commit()
    assert deliver_new_customer(client, account).assignee_id == c.id  # b skipped, not a again
    assert deliver_new_customer(client, account).assignee_id == a.id


def test_away_auto_away_inactive_and_other_workspaces_are_skipped(client, factory, account):
    away, stale, gone, ok = team(factory, account, 4)
    away.availability = "away"
    present(stale, minutes_ago=45)  # workspace default: away after 30 minutes
    gone.active = False
    outsider = factory.user(factory.workspace(), role="agent")
    present(outsider)
    db.session.commit()
    assert effective_availability(stale) == "away" and effective_availability(ok) == "available"
    got = [deliver_new_customer(client, account) for _ in range(3)]
    assert _assignees(got) == [ok.id] * 3


def test_auto_away_zero_means_never(client, factory, account):
    (person,) = team(factory, account, 1)
    present(person, minutes_ago=60 * 24 * 30)
    account.workspace.auto_away_minutes = 0
    db.session.commit()
    assert deliver_new_customer(client, account).assignee_id == person.id


def test_never_seen_counts_as_away_while_auto_away_is_on(client, factory, account):
    factory.user(account.workspace, role="agent")  # never signed in: last_seen_at is NULL
    conversation = deliver_new_customer(client, account)
    assert conversation.assignee_id is None


def test_chosen_subset_only(client, factory, account):
    a, b, c = team(factory, account, 3)
    db.session.add_all([AccountAssignee(account_id=account.id, user_id=a.id),
                        AccountAssignee(account_id=account.id, user_id=c.id)])
    db.session.commit()
    got = [deliver_new_customer(client, account) for _ in range(4)]
    assert _assignees(got) == [a.id, c.id, a.id, c.id]


def test_off_assigns_nothing_and_everyone_hears_of_the_new_conversation(client, factory, account):
    people = team(factory, account, 2)
    account.assignment = "off"
    db.session.commit()
    conversation = deliver_new_customer(client, account)
    assert conversation.assignee_id is None and conversation.assignment_reason is None
    told = db.session.scalars(select(Notification.user_id).where(Notification.type == "new_conversation")).all()
    assert set(told) >= {u.id for u in people}


def test_nobody_available_stays_unassigned_and_everyone_is_told(client, factory, account):
    people = team(factory, account, 2)
    for person in people:
        person.availability = "away"
    db.session.commit()
    conversation = deliver_new_customer(client, account)
    assert conversation.assignee_id is None
    db.session.refresh(account)
    assert account.assignment_last_user_id is None
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.type == "new_conversation")))
    assert told >= {u.id for u in people}


def test_the_assignee_is_told_assigned_and_nobody_gets_new_conversation(client, factory, account):
    a, b = team(factory, account, 2)
    conversation = deliver_new_customer(client, account, text="do you ship?")
    notes = db.session.scalars(select(Notification).where(Notification.conversation_id == conversation.id)).all()
    assert [(n.user_id, n.type) for n in notes] == [(a.id, "assigned")]
    # The customer is brand new: the profile lookup has not named them yet, and the line must not
    # freeze its placeholder ("Instagram user") into the notification.
    assert notes[0].text == "The inbox assigned you the conversation with a new customer."


def test_least_open_picks_the_lightest_load_ties_in_turn(client, factory, account):
    account.assignment = "least_open"
    db.session.commit()
    a, b, c = team(factory, account, 3)
    for _ in range(2):
        factory.conversation(account, assignee_id=a.id, status="open")
    factory.conversation(account, assignee_id=b.id, status="pending")
    factory.conversation(account, assignee_id=c.id, status="resolved")  # not open: does not count
    factory.conversation(account, assignee_id=b.id, status="snoozed")  # not open either
    got = [deliver_new_customer(client, account) for _ in range(4)]
    # open loads a2 b1 c0: c; then b1 c1 tie -> b (next in turn after c is a, then b); then c1 alone;
    # then a2 b2 c2 all tied -> a, the next after c.
    assert _assignees(got) == [c.id, b.id, c.id, a.id]
    assert {x.assignment_reason for x in got} == {"least_open"}


def test_reopened_unassigned_conversation_is_assigned_assigned_one_keeps_its_person(client, factory, account):
    a, b = team(factory, account, 2)
    A = account.ig_user_id
    first = deliver_new_customer(client, account)
    assert first.assignee_id == a.id
    assign(first, None)  # a person unassigned it...
    set_status(first, "resolved")  # ...and resolved it
    second = deliver_new_customer(client, account)
    assert second.assignee_id == b.id
    manual = factory.user(account.workspace, role="agent")
    assign(second, manual.id, by=a)
    set_status(second, "resolved")
    for n, conversation in enumerate((first, second)):
        igsid = conversation.contact.igsid
        assert post(client, p.delivery(p.entry(A, [p.text_message(A, igsid, f"again.{n}", "back", T0 + 99)]))).status_code == 200
    db.session.expire_all()
    first, second = db.session.get(Conversation, first.id), db.session.get(Conversation, second.id)
    assert first.status == "open" and first.assignee_id == a.id and first.assignment_reason == "round_robin"
    assert second.assignee_id == manual.id and second.assignment_reason == "manual"  # manual wins
    # The reopened one's assignee is told once, as "assigned", not also "new_message".
    kinds = db.session.scalars(select(Notification.type).where(Notification.conversation_id == first.id,
                                                               Notification.user_id == a.id)
                               .order_by(Notification.id)).all()
    assert kinds == ["assigned", "assigned"]


def test_a_message_in_an_assigned_open_conversation_changes_nothing(client, factory, account):
    a, b = team(factory, account, 2)
    A = account.ig_user_id
    first = deliver_new_customer(client, account)
    igsid = first.contact.igsid
    assert post(client, p.delivery(p.entry(A, [p.text_message(A, igsid, "more.1", "more", T0 + 50)]))).status_code == 200
    db.session.expire_all()
    assert db.session.get(Conversation, first.id).assignee_id == a.id
    db.session.refresh(account)
    assert account.assignment_last_user_id == a.id  # no turn used


def test_manual_assignment_records_its_reason(factory, account):
    a, b = team(factory, account, 2)
    conversation = factory.conversation(account)
    assign(conversation, b.id, by=a)
    assert conversation.assignment_reason == "manual" and conversation.assigned_at is not None
    assign(conversation, None, by=a)
    assert conversation.assignment_reason is None and conversation.assigned_at is None


def test_mode_off_costs_no_statement(client, factory, account):
    """The hot path: a delivery for an account with assignment off sends no assignment statement."""
    account.assignment = "off"
    db.session.commit()
    team(factory, account, 2)
    with sql_sent() as seen:
        conversation = deliver_new_customer(client, account)
    assert conversation.assignee_id is None
    assert not [s for s in seen if "account_assignees" in s.statement
                or s.statement.startswith("SELECT workspaces.auto_away_minutes")]
    account.assignment = "round_robin"  # the same check sees them when the mode is on
    db.session.commit()
    with sql_sent() as seen:
        assert deliver_new_customer(client, account).assignee_id is not None
    assert [s for s in seen if "account_assignees" in s.statement]
    assert [s for s in seen if s.statement.startswith("SELECT workspaces.auto_away_minutes")]


def test_the_crm_hears_conversation_assigned(app, client, factory, account):
    import json

    from app.integrations.endpoints import create_endpoint
    from app.models import WebhookDelivery

    (person,) = team(factory, account, 1)
    app.config["OUTBOUND_ALLOW_HOSTS"] = frozenset({"crm.test"})  # nothing is sent: the job is not run here
    create_endpoint(account.workspace_id, "https://crm.test/hook", ["conversation.assigned"], person)
    conversation = deliver_new_customer(client, account)
    events = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.event == "conversation.assigned")).all()
    bodies = [json.loads(e.body)["data"] for e in events]
    assert [(b["id"], b["assignee_id"]) for b in bodies] == [(conversation.id, person.id)]


def test_a_snooze_that_runs_out_is_assigned_like_a_reopened_conversation(factory, account):
    """The clock's wake (app.jobs.upkeep) reopens it; unassigned ones of an account with auto-assignment
    on get the next person, assigned ones and accounts with it off are left as they are."""
    from datetime import timedelta

    from app.jobs.upkeep import wake_snoozed_conversations
    from app.models import utcnow

    a, b = team(factory, account, 2)
    off = factory.account(account.workspace)  # assignment off (the default)
    due = utcnow() - timedelta(minutes=1)
    unassigned = factory.conversation(account, status="snoozed", snoozed_until=due)
    kept = factory.conversation(account, status="snoozed", snoozed_until=due, assignee_id=b.id)
    elsewhere = factory.conversation(off, status="snoozed", snoozed_until=due)
    later = factory.conversation(account, status="snoozed", snoozed_until=utcnow() + timedelta(hours=1))
    ids = unassigned.id, kept.id, elsewhere.id, later.id
    assert wake_snoozed_conversations() == 3
    db.session.expire_all()
    unassigned, kept, elsewhere, later = (db.session.get(Conversation, i) for i in ids)
    assert unassigned.status == "open" and unassigned.assignee_id == a.id
    assert unassigned.assignment_reason == "round_robin" and unassigned.assigned_at is not None
    assert kept.status == "open" and kept.assignee_id == b.id and kept.assignment_reason is None
    assert elsewhere.status == "open" and elsewhere.assignee_id is None
    assert later.status == "snoozed" and later.assignee_id is None
    db.session.refresh(account)
    assert account.assignment_last_user_id == a.id
    told = db.session.execute(select(Notification.conversation_id, Notification.user_id, Notification.type)
                              .where(Notification.conversation_id.in_(ids))).all()
    assert told == [(unassigned.id, a.id, "assigned")]


def test_a_customer_back_to_a_member_who_left_goes_to_someone_present(client, factory, account):
    """A resolved conversation keeps its assignee, and "Reassign their work" hands over only what is
    open: a customer coming back months after their rep left reached a name nobody answers for
    (found by a walk-through). It is unassigned now, so auto-assignment (or the Unassigned view,
    with everyone told) gives it to someone present; a snooze running out the same."""
    from datetime import timedelta

    from app.jobs.upkeep import wake_snoozed_conversations
    from app.models import utcnow

    a, b = team(factory, account, 2)
    left = factory.user(account.workspace, role="agent", name="Lee Left")
    resolved = factory.conversation(account, status="resolved", assignee_id=left.id)
    snoozed = factory.conversation(account, status="snoozed", snoozed_until=utcnow() - timedelta(minutes=1),
                                   assignee_id=left.id)
    off = factory.account(account.workspace)  # assignment off
    elsewhere = factory.conversation(off, status="resolved", assignee_id=left.id)
    kept = factory.conversation(account, status="resolved", assignee_id=b.id)
    left.active = False
    db.session.commit()
    ids = resolved.id, snoozed.id, elsewhere.id, kept.id
    A, O = account.ig_user_id, off.ig_user_id
    for n, (ig, conversation) in enumerate(((A, resolved), (O, elsewhere), (A, kept))):
        items = [p.text_message(ig, conversation.contact.igsid, f"back.{n}", "I'm back", T0 + 99)]
        assert post(client, p.delivery(p.entry(ig, items))).status_code == 200
    assert wake_snoozed_conversations() == 1

    db.session.expire_all()
    resolved, snoozed, elsewhere, kept = (db.session.get(Conversation, i) for i in ids)
    assert resolved.status == "open" and resolved.assignee_id == a.id and resolved.assignment_reason == "round_robin"
    assert snoozed.status == "open" and snoozed.assignee_id == b.id
    assert elsewhere.status == "open" and elsewhere.assignee_id is None  # in Unassigned, unread for everyone
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.conversation_id == elsewhere.id)))
    assert left.id not in told  # no "new message" for someone who cannot sign in
    assert kept.assignee_id == b.id  # a present member keeps theirs
