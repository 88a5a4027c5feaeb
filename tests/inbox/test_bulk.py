"""POST /conversations/bulk: the list's bulk actions apply the single actions' rules to every
selected conversation, refuse the whole request (404, nothing changed) when one id is not the
workspace's, and answer htmx with the changed rows out of band."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from app.inbox.bulk import ACTIONS
from app.labels.catalog import create_label
from app.models import Conversation, ConversationLabel, ConversationUnread, User, utcnow


def body(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def shop(factory, auth):
    ws = factory.workspace("Shop")
    maya = factory.user(ws, name="Maya")
    bob = factory.user(ws, name="Bob", role="agent")
    account = factory.account(ws, username="shop")
    rows = [factory.conversation(account, contact=factory.contact(account, name=f"Customer {n}"), unread_count=1,
                                 last_inbound_at=utcnow(), waiting_since=utcnow(), last_speaker="customer")
            for n in range(3)]
    other = factory.conversation(factory.account(factory.workspace("Other")), unread_count=1)
    auth.login(maya)

    class Shop:
        pass

    Shop.maya, Shop.bob, Shop.account, Shop.rows, Shop.other, Shop.workspace = maya, bob, account, rows, other, ws
    return Shop


def bulk(auth, ids, action, **fields):
    return auth.post("/conversations/bulk", {"ids": [str(i) for i in ids], "action": action, **fields}, htmx=True)


def state():
    db.session.expire_all()
    return sorted(db.session.execute(select(Conversation.id, Conversation.status, Conversation.assignee_id,
                                            Conversation.unread_count, Conversation.waiting_since)).all())


def unread_rows():
    return sorted(db.session.execute(select(ConversationUnread.user_id, ConversationUnread.conversation_id)).all())


def test_resolve_two_returns_their_rows_and_leaves_the_third(auth, shop):
    a, b, c = shop.rows
    response = bulk(auth, [a.id, b.id], "resolve", view="all")
    html = body(response)
    assert response.status_code == 200
    assert "Resolved 2 conversations." in html and 'id="bulk-status"' in html and 'hx-swap-oob="true"' in html
    assert f'id="conv-{a.id}"' in html and f'id="conv-{b.id}"' in html and f'id="conv-{c.id}"' not in html
    statuses = {row.id: row.status for row in map(lambda r: db.session.get(Conversation, r.id), shop.rows)}
    assert statuses == {a.id: "resolved", b.id: "resolved", c.id: "open"}
    # Resolving counts as handled, as it does one at a time.
    assert db.session.get(Conversation, a.id).waiting_since is None


def test_rows_that_leave_the_lists_filters_are_removed(auth, shop):
    a, b, _ = shop.rows
    html = body(bulk(auth, [a.id, b.id], "resolve", status="open", needs_reply="1"))
    assert f'<li id="conv-{a.id}" data-remove>' in html and f'<li id="conv-{b.id}" data-remove>' in html
    assert 'data-filters="status=open&amp;needs_reply=1"' in html


def test_assign_to_me_a_teammate_or_nobody(auth, shop):
    a, b, _ = shop.rows
    assert "Assigned 2 conversations to you." in body(bulk(auth, [a.id, b.id], "assign", assignee="me"))
    assert {db.session.get(Conversation, i).assignee_id for i in (a.id, b.id)} == {shop.maya.id}
    assert "to Bob." in body(bulk(auth, [a.id], "assign", assignee=str(shop.bob.id)))
    assert db.session.get(Conversation, a.id).assignee_id == shop.bob.id
    assert "to nobody." in body(bulk(auth, [a.id, b.id], "assign", assignee="none"))
    assert {db.session.get(Conversation, i).assignee_id for i in (a.id, b.id)} == {None}


def test_assigning_to_someone_of_another_workspace_changes_nothing(auth, shop, factory):
    stranger = factory.user(factory.workspace("Elsewhere"))
    before = state()
    response = bulk(auth, [r.id for r in shop.rows], "assign", assignee=str(stranger.id))
    assert response.status_code == 422 and "bulkbar__status--error" in body(response)
    assert state() == before


def test_another_workspaces_id_refuses_the_whole_request(auth, shop):
    a, b, _ = shop.rows
    before, unread_before = state(), unread_rows()
    for action, fields in (("resolve", {}), ("read", {}), ("unread", {}), ("assign", {"assignee": "me"})):
        response = bulk(auth, [a.id, shop.other.id, b.id], action, **fields)
        assert response.status_code == 404, action
    assert bulk(auth, [a.id, "abc"], "resolve").status_code == 404
    assert bulk(auth, [a.id, str(2**31)], "resolve").status_code == 404
    assert state() == before and unread_rows() == unread_before


def test_read_and_unread_are_mine_only(auth, shop):
    a, b, c = shop.rows
    html = body(bulk(auth, [a.id, b.id], "read"))
    assert "Marked 2 conversations read." in html
    assert re.search(r'id="unread-badge"[^>]*data-count="1"', html)  # c is still unread for me
    mine = {cid for uid, cid in unread_rows() if uid == shop.maya.id}
    bobs = {cid for uid, cid in unread_rows() if uid == shop.bob.id}
    assert mine == {c.id} and bobs == {a.id, b.id, c.id}
    bulk(auth, [a.id], "unread")
    assert {cid for uid, cid in unread_rows() if uid == shop.maya.id} == {a.id, c.id}
    assert {cid for uid, cid in unread_rows() if uid == shop.bob.id} == {a.id, b.id, c.id}


def test_label_and_unlabel(auth, shop):
    a, b, c = shop.rows
    create_label(shop.workspace.id, "vip", by=shop.maya)
    html = body(bulk(auth, [a.id, b.id], "label", label_name="vip", label=""))
    assert "Labelled 2 conversations “vip”." in html
    labelled = set(db.session.scalars(select(ConversationLabel.conversation_id)))
    assert labelled == {a.id, b.id}
    bulk(auth, [a.id], "unlabel", label_name="vip")
    assert set(db.session.scalars(select(ConversationLabel.conversation_id))) == {b.id}


def test_an_agent_cannot_invent_a_label_in_bulk(client, auth, shop):
    client.post("/logout", data={"csrf_token": auth.csrf_token("/settings")})
    auth.login(shop.bob)
    response = bulk(auth, [r.id for r in shop.rows], "label", label_name="brand-new")
    assert response.status_code == 422 and "only admins can create one" in body(response)
    assert db.session.scalar(select(ConversationLabel.conversation_id)) is None


@pytest.mark.parametrize("ids, action, message", [
    ([], "resolve", "Select at least one conversation."),
    (None, "explode", "Choose what to do with the selected conversations."),
    (None, "label", "Choose a label."),
    (None, "assign", "Choose someone from the list."),
])
def test_what_cannot_be_done_is_said(auth, shop, ids, action, message):
    fields = {"assignee": "somebody"} if action == "assign" else {}
    response = bulk(auth, [r.id for r in shop.rows] if ids is None else ids, action, **fields)
    assert response.status_code == 422 and message in body(response)


def test_bulk_needs_csrf_and_without_htmx_redirects(client, auth, shop):
    a = shop.rows[0]
    assert client.post("/conversations/bulk", data={"ids": [a.id], "action": "resolve"}).status_code == 400
    response = auth.post("/conversations/bulk", {"ids": [str(a.id)], "action": "resolve", "view": "mine"})
    assert response.status_code == 302 and response.headers["Location"] == "/?view=mine"
    assert db.session.get(Conversation, a.id).status == "resolved"


def test_the_page_has_the_bar_and_a_checkbox_per_row(client, shop):
    html = body(client.get("/"))
    assert 'id="bulk-form"' in html and "data-bulk-all" in html and "data-bulk-toggle" in html
    for row in shop.rows:
        assert f'name="ids" value="{row.id}" form="bulk-form"' in html
    assert f'<option value="{shop.bob.id}">Bob</option>' in html


FUZZ_TEXT = st.one_of(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
                      st.sampled_from(["", "me", "none", "0", "-1", str(2**31), "1" * 30, "\x00", "<b>", "vip"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ids=st.lists(FUZZ_TEXT, max_size=4), action=st.sampled_from(ACTIONS) | FUZZ_TEXT, assignee=FUZZ_TEXT,
       label=FUZZ_TEXT)
def test_any_bulk_form_is_answered_never_a_500(auth, factory, ids, action, assignee, label):
    """Whatever is posted: an answer (done, refused, 404, or 400 for a NUL), never a 500; a refusal changes nothing."""
    user = db.session.scalar(select(User).where(User.email == "bulk-fuzz@example.com"))
    if user is None:
        user = factory.user(email="bulk-fuzz@example.com")
        account = factory.account(user.workspace)
        factory.conversation(account, unread_count=1)
        auth.login(user)
    before = state()
    response = bulk(auth, ids, action, assignee=assignee, label_name=label)
    assert response.status_code in (200, 400, 404, 422), response.status_code
    if response.status_code != 200:
        assert state() == before
