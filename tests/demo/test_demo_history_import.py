"""The history import against the stand-in's Conversations API over real HTTP (its built-in history
and conversations the simulator adds), its paging, and the simulator's "Past conversation" form."""
from __future__ import annotations

import pytest
import requests
from sqlalchemy import func, select

from app.accounts import history_import, history_pacing
from app.accounts.history_import import start_import
from app.extensions import db
from app.models import AccountImport, Contact, Conversation, Lead, Message
from app.standin import customer_igsid
from app.standin.history import BUILT_IN, conversation_id
from tests.accounts.history_kit import FakeClock
from tests.demo.conftest import stand_in_token
from tests.meta_kit import HX, graph_url


@pytest.fixture
def clock():
    fake = FakeClock()
    previous = fake.install()
    yield fake
    history_pacing.use_clock(previous)


def _graph(standin_meta, *segments, **params):
    response = requests.get(graph_url(*segments, base=standin_meta.graph_url), params=params,
                            headers={"Authorization": f"Bearer {stand_in_token('demo.boutique')}"}, timeout=5)
    return response.status_code, response.json()


def test_the_stand_in_pages_conversations_with_paging_next_and_after(standin_meta, demo):
    ig = demo.account.ig_user_id
    status, first = _graph(standin_meta, ig, "conversations", platform="instagram", limit="3")
    assert status == 200 and len(first["data"]) == 3
    assert first["paging"]["next"].startswith(standin_meta.graph_url)
    seen = [c["id"] for c in first["data"]]
    after = first["paging"]["cursors"]["after"]
    while after:
        _, page = _graph(standin_meta, ig, "conversations", platform="instagram", limit="3", after=after)
        seen += [c["id"] for c in page["data"]]
        after = page["paging"]["cursors"]["after"] if page["paging"].get("next") else None
    assert len(seen) == len(set(seen)) == len(BUILT_IN)
    updated = [c["updated_time"] for c in first["data"]]
    assert updated == sorted(updated, reverse=True)  # newest first


def test_the_stand_in_answers_a_conversation_s_messages_newest_first(standin_meta, demo):
    ig = demo.account.ig_user_id
    conversation = conversation_id(ig, customer_igsid("lena.voss"))
    status, body = _graph(standin_meta, conversation, fields="messages{id,created_time,from,to,message}")
    assert status == 200
    messages = body["messages"]["data"]
    assert [m["message"] for m in messages][0] == "Yes please, I'll pick it up on Saturday"
    assert messages[-1]["from"] == {"username": "lena.voss", "id": customer_igsid("lena.voss")}
    assert messages[1]["from"]["id"] == ig  # the business's answer


def test_the_stand_in_refuses_what_meta_refuses(standin_meta, demo):
    ig = demo.account.ig_user_id
    assert _graph(standin_meta, ig, "conversations")[0] == 400  # platform=instagram is required
    other = conversation_id("17841499999999999", customer_igsid("lena.voss"))
    status, body = _graph(standin_meta, other, fields="messages{id}")
    assert status == 400 and body["error"]["code"] == 100
    assert _graph(standin_meta, ig, "conversations", platform="instagram", after="bogus")[0] == 400


def test_connecting_in_demo_mode_imports_the_stand_in_s_history(demo, clock, monkeypatch):
    monkeypatch.setattr(history_import, "PAGE_SIZE", 2)  # four pages of conversations
    start_import(demo.account)
    state = db.session.scalar(select(AccountImport))
    # In the window: lena, omar, grace, tomas, yuki (not its 31-day-old first line) and noah.
    assert (state.status, state.done, state.total) == ("done", 6, 6)
    assert db.session.scalar(select(func.count()).select_from(Message)) == 3 + 2 + 3 + 2 + 3 + 1
    usernames = set(db.session.scalars(select(Contact.username)))
    assert usernames == {"lena.voss", "omar.haddad", "grace.okoye", "tomas.rivera", "yuki.sato", "noah.berg"}
    assert set(db.session.scalars(select(Lead.source))) == {"import"}
    waiting = {c.contact.username for c in db.session.scalars(select(Conversation)) if c.waiting_since is not None}
    assert waiting == {"lena.voss", "grace.okoye", "yuki.sato", "noah.berg"}
    photo = db.session.scalar(select(Message).where(Message.kind == "message", Message.text.is_(None)))
    assert photo.attachments[0]["type"] == "image"

    start_import(demo.account)  # again: nothing new, nothing doubled
    assert db.session.scalar(select(func.count()).select_from(Message)) == 14


def test_the_simulator_adds_a_past_conversation_the_import_then_finds(app, client, auth, demo, standin_meta, clock):
    auth.login(demo.admin)
    form = {"account_id": str(demo.account.id), "username": "maria.lopes", "days_ago": "4",
            "history_text": "Do you have this in blue?\n> We do! Which size?\nM please"}
    response = auth.post("/demo/simulator/history", form, htmx=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Added 3 messages with @maria.lopes, 4 days ago" in page
    # Each form keeps its own values: the live form's customer box is not Maria's.
    assert 'id="sim-history-username" name="username" maxlength="31" autocomplete="off" placeholder="e.g. maria.lopes" value="maria.lopes"' in page
    assert 'id="sim-username" name="username" value=""' in page
    added = app.extensions["standin"].added_history(demo.account.ig_user_id)
    thread = added[customer_igsid("maria.lopes")]
    assert [(m["from_customer"], m["text"]) for m in thread] == [
        (True, "Do you have this in blue?"), (False, "We do! Which size?"), (True, "M please")]
    # The app's Graph calls go to a stand-in on a port of its own here: give it the same thread.
    standin_meta.control.add_history(demo.account.ig_user_id, customer_igsid("maria.lopes"), thread)
    start_import(demo.account)
    maria = db.session.scalar(select(Conversation).join(Contact).where(Contact.username == "maria.lopes"))
    assert maria is not None and maria.last_message_preview == "M please" and maria.waiting_since is not None


@pytest.mark.parametrize("form, field", [
    ({"username": "maria.lopes", "days_ago": "0", "history_text": "hi"}, "1 to 60"),
    ({"username": "maria.lopes", "days_ago": "3", "history_text": "  \n "}, "one message per line"),
    ({"username": "not a name!", "days_ago": "3", "history_text": "hi"}, "letters, digits"),
])
def test_the_simulator_refuses_a_bad_past_conversation(app, auth, demo, form, field):
    auth.login(demo.admin)
    response = auth.post("/demo/simulator/history", {"account_id": str(demo.account.id), **form}, headers=HX)
    assert response.status_code == 422
    assert field in response.get_data(as_text=True)
    assert app.extensions["standin"].added_history(demo.account.ig_user_id) == {}
