"""`flask demo` shows the bell: the demo's conversations arrive through real ingestion, which tells
both people about each new one, and the admin hands Sam his (app.demo.seed), which tells Sam
"Demo Admin assigned you ..."; what the story has them read is read. A second run adds nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Notification, User
from tests.demo.test_demo_seed import run_demo


def _by_person() -> dict[tuple[str, str, bool], int]:
    db.session.expire_all()
    rows = db.session.execute(
        select(User.email, Notification.type, Notification.read_at.is_(None), func.count())
        .join(User, User.id == Notification.user_id).group_by(User.email, Notification.type, Notification.read_at.is_(None)))
    return {(email, type_, unread): n for email, type_, unread, n in rows}


def test_the_demo_people_have_notifications_and_a_second_run_adds_none(runner):
    run_demo(runner)
    seen = _by_person()
    sam_assigned = sum(n for (email, type_, _), n in seen.items() if email == "sam@example.com" and type_ == "assigned")
    assert sam_assigned >= 1
    assert not any(email == "demo@example.com" and type_ == "assigned" for email, type_, _ in seen)  # self-assigned
    for email in ("demo@example.com", "sam@example.com"):
        assert any(e == email and unread for e, _, unread in seen), email  # the bell has something to show
    # The admin's hand-over says who gave it (the order of rows is the database's: ask for that one).
    admin = db.session.scalar(select(User).where(User.email == "demo@example.com"))
    by_admin = db.session.scalars(select(Notification).where(Notification.type == "assigned",
                                                             Notification.actor_id == admin.id)).all()
    assert by_admin and all(n.text.startswith("Demo Admin assigned you the conversation with ") for n in by_admin)
    run_demo(runner)
    assert _by_person() == seen
