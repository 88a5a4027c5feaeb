"""The notification centre's pages (app.notifications.routes): the bell's count and its poll (204
while nothing changed, the new token and the desktop alerts when something did), the list (newest
first, keyset pages, unread style), opening one (read, then its conversation; anyone else's is a
404), "Mark all read", CSRF on both, and reading a conversation in the inbox reading its
notifications too."""
from __future__ import annotations

import json
import re

from app.extensions import db
from app.models import utcnow
from app.notifications.create import notify
from app.notifications.kinds import IN_APP
from tests.conftest import HX


def bell_label(html: str) -> str:
    match = re.search(r'id="bell"[^>]*aria-label="([^"]+)"', html) or re.search(r'aria-label="([^"]+)"[^>]*id="bell"', html)
    assert match, "no bell"
    return match.group(1)


def since_token(html: str) -> str:
    match = re.search(r'id="bell-since" name="since" value="([^"]+)"', html)
    assert match, "no bell token"
    return match.group(1)


def tell(user, conversation=None, type_="assigned", text="Bob assigned you the conversation", actor=None):
    [row] = notify(user.workspace_id, type_, [user.id], text_=text,
                   conversation_id=conversation.id if conversation else None, actor_id=actor.id if actor else None)
    db.session.commit()
    return row


def test_the_bell_counts_my_unread_in_app_notifications_on_every_page(client, auth, factory):
    me = auth.login()
    teammate = factory.user(me.workspace, role="agent")
    conversation = factory.conversation(factory.account(me.workspace))
    assert bell_label(client.get("/").get_data(as_text=True)) == "Notifications, 0 unread"
    tell(me, conversation)
    tell(me, conversation, type_="new_conversation", text="hi")
    tell(teammate, conversation)  # someone else's: not mine
    read = tell(me, conversation)
    read.read_at = utcnow()
    hidden = tell(me, conversation, type_="new_message", text="x")
    hidden.channels = 2  # desktop only: not in the bell
    db.session.commit()
    for path in ("/", "/leads", "/settings", "/notifications"):
        assert bell_label(client.get(path).get_data(as_text=True)) == "Notifications, 2 unread", path


def test_the_poll_answers_204_until_something_changes_then_the_bell_and_the_desktop_alerts(client, auth, factory):
    me = auth.login()
    conversation = factory.conversation(factory.account(me.workspace), contact=factory.contact(name="Priya Shah"))
    token = since_token(client.get("/").get_data(as_text=True))
    assert client.get(f"/notifications/bell?since={token}", headers=HX).status_code == 204

    row = tell(me, conversation, type_="new_message", text="do you ship to Lyon?")
    answer = client.get(f"/notifications/bell?since={token}", headers=HX)
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    assert 'hx-swap-oob="true"' in body and bell_label(body) == "Notifications, 1 unread"
    alerts = json.loads(answer.headers["HX-Trigger"])["notifications:new"]["items"]
    assert alerts == [{"id": row.id, "title": "New message: Priya Shah", "body": "do you ship to Lyon?",
                       "url": f"/conversations/{conversation.id}", "tag": f"conversation-{conversation.id}"}]
    token = since_token(body)
    assert client.get(f"/notifications/bell?since={token}", headers=HX).status_code == 204

    # A new_message row counting up keeps its id: its new time is the change, and it alerts again.
    row.count, row.text, row.created_at = 2, "hello?", utcnow()
    db.session.commit()
    answer = client.get(f"/notifications/bell?since={token}", headers=HX)
    assert answer.status_code == 200
    [alert] = json.loads(answer.headers["HX-Trigger"])["notifications:new"]["items"]
    assert (alert["title"], alert["body"]) == ("2 new messages: Priya Shah", "hello?")

    # Reading changes the count (the bell updates) but brings no alert.
    token = since_token(answer.get_data(as_text=True))
    row.read_at = utcnow()
    db.session.commit()
    answer = client.get(f"/notifications/bell?since={token}", headers=HX)
    assert answer.status_code == 200 and "HX-Trigger" not in answer.headers
    assert bell_label(answer.get_data(as_text=True)) == "Notifications, 0 unread"


def test_the_poll_brings_the_inbox_badge_to_every_page(client, auth, factory):
    """A rep on the leads board sees customers write: the bell's poll (on every page) answers when
    their inbox unread changes, with the badge, and no desktop alert of its own."""
    from app.inbox import unread

    me = auth.login()
    conversation = factory.conversation(factory.account(me.workspace))
    token = since_token(client.get("/leads").get_data(as_text=True))
    assert client.get(f"/notifications/bell?since={token}", headers=HX).status_code == 204
    unread.add_inbound({conversation.id: unread.NewUnread(3, utcnow())})
    db.session.commit()
    answer = client.get(f"/notifications/bell?since={token}", headers=HX)
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "HX-Trigger" not in answer.headers
    assert re.search(r'<span id="unread-badge" class="badge" data-count="3" hx-swap-oob="true">3<', body)
    assert 'id="bell"' not in body  # unchanged, so not drawn again (that would take the keyboard's focus)
    token = since_token(body)
    assert client.get(f"/notifications/bell?since={token}", headers=HX).status_code == 204
    # Past "99+" more messages change nothing on screen, and the poll stays quiet.
    unread.add_inbound({conversation.id: unread.NewUnread(200, utcnow())})
    db.session.commit()
    token = since_token(client.get(f"/notifications/bell?since={token}", headers=HX).get_data(as_text=True))
    unread.add_inbound({conversation.id: unread.NewUnread(5, utcnow())})
    db.session.commit()
    assert client.get(f"/notifications/bell?since={token}", headers=HX).status_code == 204


def test_the_poll_alerts_only_for_the_desktop_channel_and_not_from_a_foreign_token(client, auth, factory):
    me = auth.login()
    conversation = factory.conversation(factory.account(me.workspace))
    token = since_token(client.get("/").get_data(as_text=True))
    row = tell(me, conversation)
    row.channels = IN_APP  # the person turned desktop alerts off for this type
    db.session.commit()
    answer = client.get(f"/notifications/bell?since={token}", headers=HX)
    assert answer.status_code == 200 and "HX-Trigger" not in answer.headers
    # A token this code did not make starts over: the bell, and no burst of old alerts.
    for bad in ("", "garbage", "e30", "eyJuIjotMSwibSI6MCwidCI6bnVsbH0"):
        answer = client.get(f"/notifications/bell?since={bad}", headers=HX)
        assert answer.status_code == 200 and "HX-Trigger" not in answer.headers


def test_the_list_is_mine_newest_first_in_keyset_pages_with_unread_marked(client, auth, factory, monkeypatch):
    from app.notifications import routes

    monkeypatch.setattr(routes, "PAGE_SIZE", 2)
    me = auth.login()
    other_workspace_user = factory.user(name="Stranger")
    conversation = factory.conversation(factory.account(me.workspace), contact=factory.contact(name="Ann <b>Lee</b>"))
    rows = [tell(me, conversation, text=f"number {n}") for n in range(3)]
    rows[0].read_at = utcnow()
    db.session.commit()
    tell(other_workspace_user, text="not for me")
    html = client.get("/notifications").get_data(as_text=True)
    assert [int(i) for i in re.findall(r'data-notification="(\d+)"', html)] == [rows[2].id, rows[1].id]
    assert "Ann &lt;b&gt;Lee&lt;/b&gt;" in html and "<b>Lee" not in html  # escaped
    assert html.count("notif--unread") == 2 and "not for me" not in html
    older = re.search(r'href="(/notifications\?before=[^"]+)"', html).group(1)
    html = client.get(older.replace("&amp;", "&")).get_data(as_text=True)
    assert [int(i) for i in re.findall(r'data-notification="(\d+)"', html)] == [rows[0].id]
    assert "notif--unread" not in html and "Older notifications" not in html
    unread = client.get("/notifications?unread=1").get_data(as_text=True)
    assert [int(i) for i in re.findall(r'data-notification="(\d+)"', unread)] == [rows[2].id, rows[1].id]
    assert client.get("/notifications?before=not-a-cursor").status_code == 400


def test_opening_reads_it_and_goes_to_its_conversation_anyone_elses_is_a_404(client, auth, factory):
    me = auth.login()
    teammate = factory.user(me.workspace, role="agent")
    stranger = factory.user(name="Stranger")
    conversation = factory.conversation(factory.account(me.workspace))
    mine = tell(me, conversation)
    theirs = tell(teammate, conversation)
    foreign = tell(stranger, factory.conversation(factory.account(stranger.workspace)))
    for row in (theirs, foreign):
        assert auth.post(f"/notifications/{row.id}/open").status_code == 404
    for bad in ("0", "99999999999", "abc"):
        assert auth.post(f"/notifications/{bad}/open").status_code == 404
    answer = auth.post(f"/notifications/{mine.id}/open")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/conversations/{conversation.id}")
    db.session.expire_all()
    assert mine.read_at is not None and theirs.read_at is None and foreign.read_at is None
    account_row = notify(me.workspace_id, "account_attention", [me.id], text_="reconnect",
                         account_id=conversation.account_id)[0]
    db.session.commit()
    assert auth.post(f"/notifications/{account_row.id}/open").headers["Location"].endswith("/accounts")


def test_posts_need_the_csrf_token(client, auth, factory):
    me = auth.login()
    row = tell(me, factory.conversation(factory.account(me.workspace)))
    assert client.post(f"/notifications/{row.id}/open").status_code == 400
    assert client.post("/notifications/read-all").status_code == 400
    db.session.expire_all()
    assert row.read_at is None


def test_mark_all_read_reads_only_mine(client, auth, factory):
    me = auth.login()
    teammate = factory.user(me.workspace, role="agent")
    conversation = factory.conversation(factory.account(me.workspace))
    mine = [tell(me, conversation), tell(me, conversation, type_="new_conversation")]
    theirs = tell(teammate, conversation)
    answer = auth.post("/notifications/read-all")
    assert answer.status_code == 302
    db.session.expire_all()
    assert all(n.read_at is not None for n in mine) and theirs.read_at is None
    assert bell_label(client.get("/").get_data(as_text=True)) == "Notifications, 0 unread"


def test_reading_a_conversation_in_the_inbox_reads_its_notifications(client, auth, factory):
    me = auth.login()
    conversation = factory.conversation(factory.account(me.workspace), unread_count=1)
    other = factory.conversation(factory.account(me.workspace))
    about_it, about_other = tell(me, conversation), tell(me, other)
    assert auth.post(f"/conversations/{conversation.id}/read", htmx=True).status_code in (200, 204)
    db.session.expire_all()
    assert about_it.read_at is not None and about_other.read_at is None


def test_pages_need_a_sign_in(client):
    assert client.get("/notifications").status_code == 302
    assert client.get("/notifications/bell").status_code in (302, 401)
    assert client.get("/settings/notifications").status_code == 302

