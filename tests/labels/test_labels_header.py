"""The thread header's labels: chips and the "Label" menu; adding and removing through htmx swaps
the chips, re-sends the menu and the list row out of band, and bumps the conversation's
updated_at so other open inboxes re-render the row. Agents add existing labels only; admins
also create one from the menu's box. Without JavaScript the forms redirect back."""
from __future__ import annotations

import re
from datetime import timedelta

from app.extensions import db
from app.labels.tagging import add_label
from app.models import AuditEntry, Conversation, ConversationLabel, Label, utcnow
from tests.labels.conftest import label_names


def _open(auth, conversation):
    return auth.client.get(f"/conversations/{conversation.id}").get_data(as_text=True)


def _age(conversation):
    """Move updated_at into the past, so a bump is visible."""
    row = db.session.get(Conversation, conversation.id)
    row.updated_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    return row.updated_at


def test_the_header_shows_chips_and_a_menu_of_the_labels_it_does_not_have(auth, shop):
    vip = shop.label("vip", "#b91c1c")
    shop.label("wholesale")
    db.session.add(ConversationLabel(conversation_id=shop.first.id, label_id=vip.id))
    db.session.commit()
    auth.login(shop.agent)
    html = _open(auth, shop.first)
    chips = html.split('id="thread-labels"')[1].split("</div>")[0]
    assert "vip" in chips and "label--red" in chips and "Remove the label vip" in chips
    menu = html.split('id="label-menu"')[1].split("</details>")[0]
    assert 'data-shortcut="labels"' in menu
    assert 'value="wholesale"' in menu and 'value="vip"' not in menu
    assert "data-label-create" not in menu  # an agent cannot create labels
    # The row shows the chip too.
    row = html.split(f'id="conv-{shop.first.id}"')[1].split("</li>")[0]
    assert "vip" in row


def test_adding_a_label_through_htmx(auth, shop):
    wholesale = shop.label("wholesale", "#0f766e")
    before = _age(shop.first)
    auth.login(shop.agent)
    response = auth.post(f"/conversations/{shop.first.id}/labels?status=open", {"label": "wholesale"}, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="thread-labels"' in html and "label--teal" in html
    assert 'id="label-menu" hx-swap-oob="true"' in html
    assert f'id="conv-{shop.first.id}"' in html and 'data-update-only' in html  # the list row, out of band
    assert "HX-Request" in response.headers.get("Vary", "")
    assert "status=open" in html  # the list's filters stay in the forms' addresses
    assert label_names(shop.first) == ["wholesale"]
    assert db.session.get(Conversation, shop.first.id).updated_at > before
    row = db.session.get(ConversationLabel, (shop.first.id, wholesale.id))
    assert row.added_by_id == shop.agent.id
    # Adding it again changes nothing, and says so.
    again = _age(shop.first)
    response = auth.post(f"/conversations/{shop.first.id}/labels", {"label": "wholesale"}, htmx=True)
    assert response.status_code == 200 and "already has" in response.get_data(as_text=True)
    assert db.session.get(Conversation, shop.first.id).updated_at == again


def test_removing_a_label_through_htmx(auth, shop):
    vip = shop.label("vip")
    db.session.add(ConversationLabel(conversation_id=shop.first.id, label_id=vip.id))
    db.session.commit()
    before = _age(shop.first)
    auth.login(shop.agent)
    response = auth.post(f"/conversations/{shop.first.id}/labels/{vip.id}/remove", htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Remove the label vip" not in html and 'value="vip"' in html  # back in the menu
    assert label_names(shop.first) == []
    assert db.session.get(Conversation, shop.first.id).updated_at > before


def test_typing_a_name_adds_that_label_or_lets_an_admin_create_it(auth, shop):
    shop.label("vip")
    auth.login(shop.agent)
    assert auth.post(f"/conversations/{shop.first.id}/labels", {"new": " VIP "}, htmx=True).status_code == 200
    assert label_names(shop.first) == ["vip"]
    refused = auth.post(f"/conversations/{shop.first.id}/labels", {"new": "brand-new"}, htmx=True)
    assert refused.status_code == 422
    assert "only admins can create" in refused.get_data(as_text=True)
    assert db.session.query(Label).filter_by(name="brand-new").count() == 0


def test_an_admin_creates_a_label_from_the_menus_box(auth, shop):
    shop.label("vip")
    db.session.add(ConversationLabel(conversation_id=shop.first.id, label_id=shop.label("x").id))
    db.session.commit()
    auth.login(shop.admin)
    html = _open(auth, shop.first)
    assert "data-label-create" in html.split('id="label-menu"')[1].split("</details>")[0]
    created = auth.post(f"/conversations/{shop.first.id}/labels", {"new": "Follow up"}, htmx=True)
    assert created.status_code == 200
    assert label_names(shop.first) == ["follow-up", "x"]
    assert db.session.query(AuditEntry).filter_by(action="label.created").count() == 1
    bad = auth.post(f"/conversations/{shop.first.id}/labels", {"new": "no way!"}, htmx=True)
    assert bad.status_code == 422 and 'role="alert"' in bad.get_data(as_text=True)


def test_without_javascript_the_forms_redirect_back(auth, shop):
    shop.label("vip")
    auth.login(shop.agent)
    response = auth.post(f"/conversations/{shop.first.id}/labels?view=mine", {"label": "vip"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/conversations/{shop.first.id}?view=mine")
    assert label_names(shop.first) == ["vip"]


def test_another_workspaces_conversation_or_label_is_not_found(auth, shop, factory):
    vip = shop.label("vip")
    other_ws = factory.workspace("Other")
    other_account = factory.account(other_ws)
    theirs = factory.conversation(other_account)
    their_label = Label(workspace_id=other_ws.id, name="theirs")
    db.session.add(their_label)
    db.session.commit()
    auth.login(shop.admin)
    assert auth.post(f"/conversations/{theirs.id}/labels", {"label": "vip"}, htmx=True).status_code == 404
    assert auth.post(f"/conversations/{theirs.id}/labels/{vip.id}/remove", htmx=True).status_code == 404
    # Their label's name means nothing here: typed, an admin would create a label of our own.
    refused = auth.post(f"/conversations/{shop.first.id}/labels", {"label": "theirs"}, htmx=True)
    assert refused.status_code == 422
    db.session.add(ConversationLabel(conversation_id=theirs.id, label_id=their_label.id))
    db.session.commit()
    # Their label's id is not found here either (it answered 200, "did not have that label").
    assert auth.post(f"/conversations/{shop.first.id}/labels/{their_label.id}/remove", htmx=True).status_code == 404
    assert auth.post(f"/conversations/{shop.first.id}/labels/{their_label.id}/remove").status_code == 404
    assert label_names(theirs) == ["theirs"]


def test_rows_show_at_most_three_chips_and_a_count(auth, shop):
    for name in ("a-one", "b-two", "c-three", "d-four", "e-five"):
        label = shop.label(name)
        db.session.add(ConversationLabel(conversation_id=shop.first.id, label_id=label.id))
    db.session.commit()
    auth.login(shop.agent)
    html = auth.client.get("/").get_data(as_text=True)
    row = html.split(f'id="conv-{shop.first.id}"')[1].split("</li>")[0]
    assert row.count("labelchip--row") == 4
    assert "a-one" in row and "c-three" in row and ">+2<" in row
    assert "and d-four, e-five" in row


def test_other_open_inboxes_get_the_row_on_their_next_poll(auth, shop):
    """A teammate labels a conversation: the poll of an inbox already open re-sends its row."""
    vip = shop.label("vip", "#7e22ce")
    auth.login(shop.agent)
    since = re.search(r'id="live-since" name="since" value="([^"]+)"', auth.client.get("/").get_data(as_text=True)).group(1)
    assert auth.client.get("/inbox/changes", query_string={"since": since}).status_code == 204
    add_label(db.session.get(Conversation, shop.second.id), vip, by=shop.admin)
    response = auth.client.get("/inbox/changes", query_string={"since": since})
    assert response.status_code == 200
    row = response.get_data(as_text=True).split(f'id="conv-{shop.second.id}"')[1].split("</li>")[0]
    assert "label--purple" in row and ">vip<" in row
