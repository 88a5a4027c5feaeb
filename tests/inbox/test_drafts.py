"""Server-side drafts (app/inbox/drafts.py): the composer's autosave, restored into the reply box
for its author only, shown on the author's list rows, cleared by sending, refused beyond a
message's byte limit, and a 404 for another workspace's conversation."""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Draft, utcnow
from tests.conftest import AuthActions
from tests.meta_kit import HX, graph_url, sent_ok

PASSWORD = "correct-horse-battery"


@pytest.fixture
def shop(factory):
    workspace = factory.workspace("Draft Shop")
    ana = factory.user(workspace, email="ana@drafts.test", name="Ana", role="agent")
    ben = factory.user(workspace, email="ben@drafts.test", name="Ben", role="agent")
    account = factory.account(workspace)
    contact = factory.contact(account, name="Maria Lopez", username="maria.l")
    conversation = factory.conversation(account, contact=contact, last_inbound_at=utcnow() - timedelta(hours=1),
                                        last_message_preview="Is it in stock?")
    factory.message(conversation, "Is it in stock?")
    return workspace, ana, ben, account, conversation


@pytest.fixture
def as_ana(auth, shop):
    auth.login(shop[1], password=PASSWORD)
    return auth


@pytest.fixture
def as_ben(app, factory, shop):
    other = AuthActions(app.test_client(), factory)
    other.login(shop[2], password=PASSWORD)
    return other


def put_draft(actions: AuthActions, conversation_id: int, text: str, csrf: bool = True):
    headers = {"X-CSRFToken": actions.csrf_token("/settings")} if csrf else {}
    return actions.client.put(f"/conversations/{conversation_id}/draft", data={"text": text}, headers=headers)


def drafts() -> list[tuple[int, int, str]]:
    db.session.expire_all()
    return [(d.user_id, d.conversation_id, d.text) for d in db.session.scalars(select(Draft))]


def composer_text(page: str) -> str:
    match = re.search(r'<textarea id="composer-text"[^>]*>\n?(.*?)</textarea>', page, re.S)
    assert match, "no composer on the page"
    return html.unescape(match.group(1))


def test_saving_keeps_the_text_for_its_author(as_ana, shop):
    _, ana, _, _, conversation = shop

    response = put_draft(as_ana, conversation.id, "Hi Maria,\r\nyes, in size 38 <b>too</b>")

    assert response.status_code == 204 and response.get_data() == b""
    # Line breaks as the box counts them (one byte each), the rest exactly as typed.
    assert drafts() == [(ana.id, conversation.id, "Hi Maria,\nyes, in size 38 <b>too</b>")]
    assert put_draft(as_ana, conversation.id, "Hi Maria, yes").status_code == 204
    assert drafts() == [(ana.id, conversation.id, "Hi Maria, yes")]


def test_opening_the_thread_restores_my_draft_and_only_mine(as_ana, as_ben, shop):
    _, ana, ben, _, conversation = shop
    put_draft(as_ana, conversation.id, "\nHi Maria, <b>yes</b> & more")

    page = as_ana.client.get(f"/conversations/{conversation.id}").get_data(as_text=True)
    # Escaped in the page, and the draft's own first line break survives the parser's.
    assert "&lt;b&gt;yes&lt;/b&gt; &amp; more" in page and "<b>yes</b>" not in page
    assert composer_text(page) == "\nHi Maria, <b>yes</b> & more"
    fragment = as_ana.client.get(f"/conversations/{conversation.id}", headers=HX)
    assert composer_text(fragment.get_data(as_text=True)) == "\nHi Maria, <b>yes</b> & more"

    # A teammate opening the same conversation gets an empty box and no marker.
    bens_page = as_ben.client.get(f"/conversations/{conversation.id}").get_data(as_text=True)
    assert composer_text(bens_page) == ""
    assert "Draft:" not in bens_page
    # Ben's own draft does not touch Ana's.
    put_draft(as_ben, conversation.id, "Ben's words")
    assert sorted(drafts()) == sorted([(ana.id, conversation.id, "\nHi Maria, <b>yes</b> & more"),
                                       (ben.id, conversation.id, "Ben's words")])
    assert composer_text(as_ana.client.get(f"/conversations/{conversation.id}").get_data(as_text=True)) \
        == "\nHi Maria, <b>yes</b> & more"


def test_list_rows_say_draft_for_my_drafts_only(as_ana, as_ben, shop, factory):
    _, _, _, account, conversation = shop
    other = factory.conversation(account, contact=factory.contact(account, name="Omar"), last_message_preview="Hello")
    put_draft(as_ana, conversation.id, "Hi   Maria,\n\nyes " + "x" * 200)

    page = as_ana.client.get("/").get_data(as_text=True)
    row = re.search(rf'<li id="conv-{conversation.id}".*?</li>', page, re.S).group(0)
    assert "Draft:" in row and "Hi Maria, yes xxx" in row  # the start of it, on one line
    assert "x" * 100 not in row
    assert "Is it in stock?" in row  # the customer's last message stays
    other_row = re.search(rf'<li id="conv-{other.id}".*?</li>', page, re.S).group(0)
    assert "Draft:" not in other_row
    assert "Draft:" not in as_ben.client.get("/").get_data(as_text=True)

    # Rows the live poll re-renders carry it too.
    since = re.search(r'id="live-since" name="since" value="([^"]+)"', page).group(1)
    conversation.updated_at = utcnow() + timedelta(seconds=1)
    db.session.commit()
    changes = as_ana.client.get("/inbox/changes", query_string={"since": since}, headers=HX)
    assert f'id="conv-{conversation.id}"' in changes.get_data(as_text=True)
    assert "Draft:" in changes.get_data(as_text=True)


def test_empty_text_deletes_the_draft(as_ana, shop):
    conversation = shop[4]
    put_draft(as_ana, conversation.id, "Hi")
    assert put_draft(as_ana, conversation.id, "  \r\n ").status_code == 204
    assert drafts() == []
    assert put_draft(as_ana, conversation.id, "").status_code == 204  # nothing to delete: still fine
    assert "Draft:" not in as_ana.client.get("/").get_data(as_text=True)


def test_another_workspaces_conversation_is_a_404(as_ana, factory):
    stranger = factory.conversation(factory.account(factory.workspace("Elsewhere")))

    assert put_draft(as_ana, stranger.id, "Hello").status_code == 404
    assert put_draft(as_ana, 2**40, "Hello").status_code == 404
    assert drafts() == []


def test_a_draft_is_limited_like_a_message(as_ana, shop):
    _, ana, _, _, conversation = shop
    put_draft(as_ana, conversation.id, "Kept")

    too_long = "é" * 500 + "x"  # 1001 bytes in 501 letters
    response = put_draft(as_ana, conversation.id, too_long)

    assert response.status_code == 422
    assert "1,001 bytes" in response.get_data(as_text=True)
    assert drafts() == [(ana.id, conversation.id, "Kept")]  # the last one that fitted stays
    assert put_draft(as_ana, conversation.id, "é" * 500).status_code == 204  # exactly 1000 bytes


def test_saving_needs_the_csrf_token_and_a_signed_in_person(as_ana, client, shop):
    conversation = shop[4]
    assert put_draft(as_ana, conversation.id, "Hi", csrf=False).status_code == 400
    client.post("/logout", data={"csrf_token": as_ana.csrf_token("/settings")})
    assert put_draft(as_ana, conversation.id, "Hi", csrf=False).status_code in (302, 400, 401)
    assert drafts() == []


def test_sending_clears_my_draft_in_the_same_request(as_ana, as_ben, shop, meta):
    _, ana, ben, account, conversation = shop
    put_draft(as_ana, conversation.id, "Yes, in stock")
    put_draft(as_ben, conversation.id, "Ben's own")
    meta.post(graph_url(account.ig_user_id, "messages"), **sent_ok("mid.draft"))

    response = as_ana.post(f"/conversations/{conversation.id}/messages", {"text": "Yes, in stock"}, htmx=True)

    assert response.status_code == 201
    assert drafts() == [(ben.id, conversation.id, "Ben's own")]  # only the sender's goes
    assert composer_text(as_ana.client.get(f"/conversations/{conversation.id}").get_data(as_text=True)) == ""


def test_a_refused_send_keeps_the_draft(as_ana, shop, factory):
    _, ana, _, account, _ = shop
    closed = factory.conversation(account, last_inbound_at=utcnow() - timedelta(days=9))
    put_draft(as_ana, closed.id, "Sorry for the wait")

    response = as_ana.post(f"/conversations/{closed.id}/messages", {"text": "Sorry for the wait"}, htmx=True)

    assert response.status_code == 422
    assert drafts() == [(ana.id, closed.id, "Sorry for the wait")]


def test_deleting_the_conversation_or_the_person_takes_the_draft_along(as_ana, shop):
    conversation = shop[4]
    put_draft(as_ana, conversation.id, "Hi")
    db.session.delete(db.session.get(type(conversation), conversation.id))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Draft)) == 0
