"""`flask demo` shows fair assignment: the demo account gives new conversations in round robin,
the admin and Sam are available, one waiting conversation went to Sam that way (the header's
"· round robin"), another unassigned one is snoozed and given in turn when the clock wakes it,
and a second run changes none of it."""
from __future__ import annotations

from sqlalchemy import select

from app.assignment.availability import effective_availability
from app.extensions import db
from app.models import Conversation, InstagramAccount, User
from tests.demo.test_demo_seed import run_demo


def _state():
    db.session.expire_all()
    account = db.session.scalar(select(InstagramAccount).where(InstagramAccount.is_demo))
    auto = db.session.execute(select(Conversation.id, Conversation.assignee_id)
                              .where(Conversation.assignment_reason == "round_robin")).all()
    return account.assignment, account.assignment_last_user_id, sorted(auto)


def test_demo_account_assigns_in_turn(runner, monkeypatch):
    run_demo(runner)
    mode, last, auto = _state()
    sam = db.session.scalar(select(User).where(User.email == "sam@example.com"))
    admin = db.session.scalar(select(User).where(User.email == "demo@example.com"))
    assert mode == "round_robin"
    assert [assignee for _, assignee in auto] == [sam.id] and last == sam.id
    assert effective_availability(sam) == "available" and effective_availability(admin) == "available"
    snoozed = db.session.scalar(select(Conversation).where(Conversation.status == "snoozed",
                                                           Conversation.assignee_id.is_(None)))
    assert snoozed is not None and snoozed.account.is_demo
    run_demo(runner)
    assert _state() == (mode, last, auto)

    from datetime import timedelta

    from app.jobs import upkeep

    # The clock's wake, once the snooze has run out: the admin's turn (Sam had the last one).
    later = snoozed.snoozed_until + timedelta(seconds=1)
    monkeypatch.setattr(upkeep, "utcnow", lambda: later)
    upkeep.wake_snoozed_conversations()
    db.session.expire_all()
    woken = db.session.get(Conversation, snoozed.id)
    assert woken.status == "open" and woken.assignee_id == admin.id and woken.assignment_reason == "round_robin"
