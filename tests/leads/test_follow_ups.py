"""Follow-ups: the clock's `follow_up_due` reminder (exactly once, also with two clocks racing),
the due list page, and the quick picks."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.extensions import db
from app.leads.actions import update_lead
from app.leads.follow_ups import follow_up_time
from app.leads.jobs import notify_due_follow_ups
from app.models import Lead, Notification, utcnow
from tests.outbound.test_outbound_concurrency import run_together


@pytest.fixture
def team(factory):
    ws = factory.workspace("Shop")
    maya = factory.user(ws, name="Maya")
    sam = factory.user(ws, name="Sam", role="agent")
    account = factory.account(ws, username="acme")
    return ws, maya, sam, account


def _lead(factory, account, name, due, owner=None, assignee=None, note=None):
    conversation = factory.conversation(account, contact=factory.contact(account, name=name),
                                        assignee_id=assignee.id if assignee else None)
    return factory.lead(conversation, owner_id=owner.id if owner else None, next_follow_up_at=due,
                        follow_up_note=note)


def notes_of(user_id):
    return db.session.scalars(select(Notification).where(Notification.user_id == user_id,
                                                         Notification.type == "follow_up_due")).all()


def test_due_follow_ups_notify_the_owner_else_the_assignee_once(factory, team):
    ws, maya, sam, account = team
    now = utcnow()
    owned = _lead(factory, account, "Ann", now - timedelta(minutes=1), owner=maya, assignee=sam, note="send prices")
    assigned = _lead(factory, account, "Ben", now - timedelta(days=2), assignee=sam)
    nobody = _lead(factory, account, "Cy", now - timedelta(minutes=5))
    later = _lead(factory, account, "Di", now + timedelta(hours=1), owner=maya)

    assert notify_due_follow_ups(now=now) == 3
    [to_maya] = notes_of(maya.id)
    assert (to_maya.lead_id, to_maya.conversation_id, to_maya.text) == (owned.id, owned.conversation_id,
                                                                        "Follow up with Ann: send prices")
    [to_sam] = notes_of(sam.id)
    assert to_sam.lead_id == assigned.id and to_sam.text == "Follow up with Ben"
    db.session.expire_all()
    assert db.session.get(Lead, nobody.id).follow_up_notified_at is not None  # nobody to tell, claimed all the same
    assert db.session.get(Lead, later.id).follow_up_notified_at is None

    assert notify_due_follow_ups(now=now) == 0  # once
    assert len(notes_of(maya.id)) == 1
    # An hour on, the later one is due; a new time for the first one is a new reminder.
    update_lead(db.session.get(Lead, owned.id), next_follow_up_at=now + timedelta(minutes=30))
    assert notify_due_follow_ups(now=now + timedelta(hours=1, seconds=1)) == 2
    assert len(notes_of(maya.id)) == 3


def test_two_clocks_at_once_tell_each_person_once(app, factory, team):
    ws, maya, sam, account = team
    now = utcnow()
    for i in range(30):
        _lead(factory, account, f"C{i}", now - timedelta(minutes=i), owner=maya if i % 2 else None, assignee=sam)
    claimed = run_together(app, *[lambda: notify_due_follow_ups(now=now, batch=7) for _ in range(3)])
    assert sum(claimed) == 30
    db.session.expire_all()
    rows = notes_of(maya.id) + notes_of(sam.id)
    assert len(rows) == 30 and len({row.lead_id for row in rows}) == 30


def test_quick_picks_are_in_the_viewers_zone(app):
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    saturday = datetime(2027, 3, 6, 22, 30, tzinfo=timezone.utc)  # 23:30 Saturday in Berlin
    with app.test_request_context("/", headers={"Cookie": "tz=Europe/Berlin"}):
        assert follow_up_time("tomorrow", None, saturday).astimezone(berlin) == datetime(2027, 3, 7, 9, 0, tzinfo=berlin)
        assert follow_up_time("monday", None, saturday).astimezone(berlin) == datetime(2027, 3, 8, 9, 0, tzinfo=berlin)
        assert follow_up_time("3days", None, saturday).astimezone(berlin) == datetime(2027, 3, 9, 9, 0, tzinfo=berlin)
        assert follow_up_time(None, "2027-07-01T08:15", saturday) == datetime(2027, 7, 1, 6, 15, tzinfo=timezone.utc)
        assert follow_up_time(None, "", saturday) is None
        with pytest.raises(ValueError):
            follow_up_time("someday", None, saturday)
        with pytest.raises(ValueError):
            follow_up_time(None, "31/12/2027", saturday)


def test_due_list_mine_and_everyones(client, auth, factory, team):
    ws, maya, sam, account = team
    now = utcnow()
    overdue = _lead(factory, account, "Overdue Olga", now - timedelta(days=1), assignee=sam, note="call back")
    upcoming = _lead(factory, account, "Later Lee", now + timedelta(days=3), owner=sam)
    mayas = _lead(factory, account, "Maya's Mo", now - timedelta(hours=2), owner=maya, assignee=sam)
    _lead(factory, account, "No plan", None, owner=sam)
    other_ws = factory.workspace("Other")
    _lead(factory, factory.account(other_ws, username="theirs"), "Stranger", now - timedelta(hours=1))

    auth.login(sam)
    html = client.get("/leads/follow-ups").get_data(as_text=True)
    assert "Overdue Olga" in html and "call back" in html and "Later Lee" in html
    assert "Maya&#39;s Mo" not in html and "No plan" not in html and "Stranger" not in html
    assert html.index("Overdue Olga") < html.index("Later Lee")
    assert f'/conversations/{overdue.conversation_id}"' in html and f'/conversations/{upcoming.conversation_id}"' in html
    assert "Everyone&#39;s" not in html
    assert client.get("/leads/follow-ups?who=all").status_code == 403

    client.post("/logout", data={"csrf_token": auth.csrf_token("/settings")})
    auth.login(maya)
    html = client.get("/leads/follow-ups").get_data(as_text=True)
    assert "Maya&#39;s Mo" in html and "Overdue Olga" not in html
    html = client.get("/leads/follow-ups?who=all").get_data(as_text=True)
    assert all(name in html for name in ("Overdue Olga", "Later Lee", "Maya&#39;s Mo")) and "Stranger" not in html
    assert f'id="follow-up-{mayas.id}"' in html


def test_the_clock_runs_the_reminder_every_minute():
    from app.jobs.schedule import PERIODIC_JOBS

    [job] = [j for j in PERIODIC_JOBS if j.path == "app.leads.jobs:notify_due_follow_ups"]
    assert job.every_seconds == 60 and job.resolve() is notify_due_follow_ups
