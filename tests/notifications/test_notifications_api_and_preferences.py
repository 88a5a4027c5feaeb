"""The notifications API (GET /api/v1/notifications, POST /api/v1/notifications/read: the token
owner's own, cursor-paged, 404 for anyone else's ids) and Settings → Notifications (a preference
row only where it differs from the default, deleted when back to it; the previews switch; the admin
type offered to admins only)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Notification, NotificationPreference, User, utcnow
from app.notifications.create import notify
from app.notifications.kinds import DEFAULT_CHANNELS, DESKTOP, EMAIL, IN_APP, PUSH
from tests.api.conftest import make_api


@pytest.fixture
def api(app, client, factory):
    """An admin's token (the API tests' client: every answer checked against the OpenAPI document)."""
    user = factory.user(name="Ada Admin")
    api = make_api(app, client, user)
    api.workspace = user.workspace
    return api


def tell(user, n=1, type_="assigned"):
    made = []
    for i in range(n):
        made += notify(user.workspace_id, type_, [user.id], text_=f"number {i}")
    db.session.commit()
    return made


def test_the_list_pages_my_notifications_newest_first(api, factory):
    mine = tell(api.user, 5)
    mine[1].read_at = utcnow()
    hidden = tell(api.user)[0]
    hidden.channels = DESKTOP  # not shown in the app, so not listed
    tell(factory.user(api.workspace, role="agent"), 2)  # a teammate's
    tell(factory.user(name="Stranger"), 2)  # another workspace's
    db.session.commit()
    seen, cursor = [], None
    while True:
        answer = api.get("/notifications?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert answer.status_code == 200
        body = answer.get_json()
        seen += body["data"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert [n["id"] for n in seen] == [n.id for n in reversed(mine)]
    first = seen[0]
    assert set(first) >= {"id", "type", "conversation_id", "lead_id", "text", "created_at", "read_at"}
    assert first["type"] == "assigned" and first["read_at"] is None and first["created_at"].endswith("Z")
    unread = api.get("/notifications?unread=true").get_json()["data"]
    assert [n["id"] for n in unread] == [n.id for n in reversed(mine) if n is not mine[1]]
    assert api.get("/notifications?cursor=bogus").status_code == 400
    assert api.get("/notifications?unread=maybe").status_code == 400


def test_read_by_ids_or_all_and_anyone_elses_id_is_a_404(api, factory):
    mine = tell(api.user, 3)
    teammate = tell(factory.user(api.workspace, role="agent"))[0]
    stranger = tell(factory.user(name="Stranger"))[0]
    for ids in ([mine[0].id, teammate.id], [stranger.id], [2_000_000_000]):
        answer = api.post("/notifications/read", json={"ids": ids})
        assert answer.status_code == 404, ids
    db.session.expire_all()
    assert all(n.read_at is None for n in mine)
    answer = api.post("/notifications/read", json={"ids": [mine[0].id, mine[0].id]})
    assert answer.status_code == 200 and answer.get_json() == {"data": {"marked_read": 1}}
    answer = api.post("/notifications/read", json={"all": True})
    assert answer.get_json() == {"data": {"marked_read": 2}}
    db.session.expire_all()
    assert all(n.read_at is not None for n in mine) and teammate.read_at is None and stranger.read_at is None
    for bad in ({}, {"ids": []}, {"ids": ["1"]}, {"ids": [True]}, {"all": False}, {"ids": [1], "all": True},
                {"other": 1}, {"ids": list(range(1, 600))}):
        assert api.post("/notifications/read", json=bad).status_code == 400, bad


def test_a_token_sees_only_its_owners_notifications_even_in_the_same_workspace(app, client, factory):
    owner = factory.user(name="Owner")
    teammate = factory.user(owner.workspace, role="agent")
    tell(teammate, 2)
    api = make_api(app, client, owner)
    assert api.get("/notifications").get_json() == {"data": [], "next_cursor": None}


def _prefs(user_id):
    return dict(db.session.execute(select(NotificationPreference.type, NotificationPreference.channels)
                                   .where(NotificationPreference.user_id == user_id)).all())


def _defaults_form(**changes):
    """The form as the page submits it with every default ticked, then `changes` applied."""
    names = {"assigned": IN_APP | DESKTOP | PUSH | EMAIL, "mention": IN_APP | DESKTOP | PUSH | EMAIL,
             "new_conversation": IN_APP | DESKTOP | PUSH, "new_message": IN_APP | DESKTOP | PUSH,
             "follow_up_due": IN_APP | DESKTOP | PUSH, "account_attention": IN_APP | DESKTOP | EMAIL}
    names.update(changes)
    bits = {"in_app": IN_APP, "desktop": DESKTOP, "push": PUSH, "email": EMAIL}
    return {f"{t}.{c}": "on" for t, mask in names.items() for c, bit in bits.items() if mask & bit}


def test_preferences_store_only_what_differs_from_the_default(client, auth, factory):
    me = auth.login(factory.user(role="agent"))
    page = client.get("/settings/notifications").get_data(as_text=True)
    assert 'name="assigned.email"' in page and 'name="new_message.email"' not in page  # mail only for some types
    assert "account_attention" not in page  # admins only
    form = _defaults_form(new_conversation=IN_APP, assigned=IN_APP | EMAIL)
    form["new_message.email"] = "on"  # not offered: ignored
    answer = auth.post("/settings/notifications", {**form, "previews": "on"})
    assert answer.status_code == 302
    assert _prefs(me.id) == {"new_conversation": IN_APP, "assigned": IN_APP | EMAIL}
    page = client.get("/settings/notifications").get_data(as_text=True)
    assert 'name="assigned.desktop" checked' not in page and 'name="assigned.email" checked' in page
    # Back to the defaults: the rows go; previews off is stored on the user.
    auth.post("/settings/notifications", _defaults_form())
    db.session.expire_all()
    assert _prefs(me.id) == {} and db.session.get(User, me.id).notification_previews is False
    assert DEFAULT_CHANNELS["assigned"] == IN_APP | DESKTOP | PUSH | EMAIL


def test_an_admin_may_choose_for_account_attention_and_csrf_is_required(client, auth, factory):
    me = auth.login()
    assert 'name="account_attention.email"' in client.get("/settings/notifications").get_data(as_text=True)
    auth.post("/settings/notifications", _defaults_form(account_attention=IN_APP))
    assert _prefs(me.id) == {"account_attention": IN_APP}
    assert client.post("/settings/notifications", data=_defaults_form()).status_code == 400
    assert _prefs(me.id) == {"account_attention": IN_APP}


def test_a_preference_decides_the_next_rows_channels(client, auth, factory):
    me = auth.login(factory.user(role="agent"))
    auth.post("/settings/notifications", _defaults_form(assigned=DESKTOP))
    [row] = tell(me)
    assert row.channels == DESKTOP
    assert db.session.scalar(select(Notification.channels)) == DESKTOP


def test_channels_this_server_cannot_use_say_so(app, client, auth, monkeypatch):
    """Push and email columns ticked on a server with neither set up told the person nothing."""
    auth.login()
    monkeypatch.setitem(app.config, "MAIL_URL", None)
    page = " ".join(client.get("/settings/notifications").get_data(as_text=True).split())
    assert page.count("not set up</span>") == 2
    assert "Push and Email are not set up on this server yet, so nothing goes out that way" in page
    monkeypatch.setitem(app.config, "MAIL_URL", "smtp://mail.test:587")
    page = " ".join(client.get("/settings/notifications").get_data(as_text=True).split())
    assert page.count("not set up</span>") == 1 and "Push is not set up on this server yet" in page
