"""`flask demo` shows fair assignment: the demo account gives new conversations in round robin,
the admin and Sam are available, one waiting conversation went to Sam that way (the header's
"· round robin"), and a second run changes none of it."""
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


def test_demo_account_assigns_in_turn(runner):
    run_demo(runner)
    mode, last, auto = _state()
    sam = db.session.scalar(select(User).where(User.email == "sam@example.com"))
    admin = db.session.scalar(select(User).where(User.email == "demo@example.com"))
    assert mode == "round_robin"
    assert [assignee for _, assignee in auto] == [sam.id] and last == sam.id
    assert effective_availability(sam) == "available" and effective_availability(admin) == "available"
    run_demo(runner)
    assert _state() == (mode, last, auto)
