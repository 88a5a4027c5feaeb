"""Reply windows in sight (issue "the agent's day", item 3): the row counts down when the 24-hour
window closes within 4 hours, the header says until when it is open (or that it closed), the
composer says when replies close and, when closed for lack of the Human Agent permission, gives
admins the way to the switch; the API's Conversation carries `window_closes_at`."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from app.extensions import db
from app.models import utcnow
from app.outbound.windows import closing_soon, window_closes_at
from tests.api.conftest import make_api
from tests.meta_kit import HX


@pytest.fixture
def shop(factory, auth):
    ws = factory.workspace("Shop")
    admin = factory.user(ws, name="Ada")
    account = factory.account(ws, username="shop")
    now = utcnow()

    def conversation(name: str, hours_ago: float | None):
        at = None if hours_ago is None else now - timedelta(hours=hours_ago)
        return factory.conversation(account, contact=factory.contact(account, name=name, username=name.lower()),
                                    last_message_at=at or now, last_inbound_at=at)

    convs = {"fresh": conversation("Fresh", 1), "closing": conversation("Closing", 22.5),
             "expired": conversation("Expired", 30), "silent": conversation("Silent", None)}
    auth.login(admin)
    return admin, convs


def _html(response) -> str:
    return response.get_data(as_text=True)


def test_when_the_window_closes(app, shop):
    _, convs = shop
    now = utcnow()
    fresh = window_closes_at(convs["fresh"], now)
    assert fresh == convs["fresh"].last_inbound_at + timedelta(hours=24)
    assert closing_soon(convs["fresh"], now) is None
    assert closing_soon(convs["closing"], now) == convs["closing"].last_inbound_at + timedelta(hours=24)
    assert window_closes_at(convs["expired"], now) is None and window_closes_at(convs["silent"], now) is None


def test_rows_count_down_only_when_closing_soon(client, shop):
    _, convs = shop
    page = _html(client.get("/"))
    closing_row = re.search(rf'<li id="conv-{convs["closing"].id}".*?</li>', page, re.S).group(0)
    assert "Window closes in" in closing_row and re.search(r"1 h \d\d min", closing_row)
    assert "data-closes-at=" in closing_row
    for name in ("fresh", "expired", "silent"):
        row = re.search(rf'<li id="conv-{convs[name].id}".*?</li>', page, re.S).group(0)
        assert "Window closes in" not in row


def test_header_and_composer_say_where_the_window_stands(client, shop):
    _, convs = shop
    fresh = _html(client.get(f"/conversations/{convs['fresh'].id}", headers=HX))
    assert "Window open until" in fresh and 'id="window-open"' in fresh and "Replies are open until" in fresh
    closing = _html(client.get(f"/conversations/{convs['closing'].id}", headers=HX))
    assert "Window closes in" in closing and "notice--soon" in closing
    expired = _html(client.get(f"/conversations/{convs['expired'].id}", headers=HX))
    assert "24-hour window closed" in expired and "Replies are closed." in expired
    assert 'href="/settings/workspace#ws-human-agent"' in expired  # admins get the way to the switch


def test_agents_get_no_link_to_the_switch_and_it_goes_once_turned_on(client, auth, shop, factory):
    admin, convs = shop
    auth.client.post("/logout", data={"csrf_token": auth.csrf_token("/settings")})
    auth.login(factory.user(admin.workspace, role="agent"))
    expired = _html(client.get(f"/conversations/{convs['expired'].id}", headers=HX))
    assert "Replies are closed." in expired and "/settings/workspace" not in expired
    admin.workspace.human_agent_enabled = True
    db.session.commit()
    expired = _html(client.get(f"/conversations/{convs['expired'].id}", headers=HX))
    assert "Human agent reply." in expired


def test_the_api_says_when_the_window_closes(app, client, shop):
    admin, convs = shop
    api = make_api(app, client, admin)
    listed = {c["id"]: c for c in api.get("/conversations").get_json()["data"]}
    closes = datetime.fromisoformat(listed[convs["fresh"].id]["window_closes_at"].replace("Z", "+00:00"))
    assert abs(closes - (convs["fresh"].last_inbound_at + timedelta(hours=24))) < timedelta(seconds=1)
    assert listed[convs["expired"].id]["window_closes_at"] is None
    assert listed[convs["silent"].id]["window_closes_at"] is None
