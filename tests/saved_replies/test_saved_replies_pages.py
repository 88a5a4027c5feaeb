"""Settings → Saved replies and the composer's picker endpoints: who may create, change and delete
which (agents 403 on the workspace's, other people's and other workspaces' ids 404), what is
refused and what only warned about, attachments through the composer's checks, the picker's
options filled in for the conversation, and counting a use."""
from __future__ import annotations

import re
from io import BytesIO

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, SavedReply
from tests.outbound import helpers as files

PAGE = "/settings/saved-replies"


def _reply(workspace, owner=None, shortcut="shipping", title="Shipping times", text="We ship in 2 days.", **fields):
    reply = SavedReply(workspace_id=workspace.id, owner_id=owner.id if owner else None, title=title,
                       shortcut=shortcut, text=text, **fields)
    db.session.add(reply)
    db.session.commit()
    return reply


def _rows(workspace):
    db.session.expire_all()
    return db.session.scalars(select(SavedReply).where(SavedReply.workspace_id == workspace.id)
                              .order_by(SavedReply.id)).all()


@pytest.fixture
def team(factory):
    ws = factory.workspace("Reply Shop")
    admin = factory.user(ws, email="ada@replies.test", name="Ada Admin")
    agent = factory.user(ws, email="sam@replies.test", name="Sam Rivera", role="agent")
    return ws, admin, agent


def test_an_admin_creates_a_workspace_reply_and_it_is_audited(auth, team):
    ws, admin, _ = team
    auth.login(admin)
    # The team's by default: a shop owner who missed the choice made a reply nobody else saw.
    form = auth.client.get(PAGE).get_data(as_text=True)
    assert 'id="sr-scope-workspace" name="scope" value="workspace" checked' in form
    assert 'id="sr-scope-personal" name="scope" value="personal">' in form
    response = auth.post(PAGE, {"title": "Shipping times", "shortcut": "/Shipping",
                                "text": "Hi {first_name}, we ship within 2 days.", "scope": "workspace"})
    assert response.status_code == 302 and response.headers["Location"] == PAGE
    [row] = _rows(ws)
    assert (row.owner_id, row.scope, row.shortcut, row.usage_count) == (None, "workspace", "shipping", 0)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.workspace_id == ws.id))
    assert entry.action == "saved_reply.created" and "/shipping" in entry.summary
    html = auth.client.get(PAGE).get_data(as_text=True)
    assert "Type /shipping in the reply box" in html
    assert f'id="saved-reply-{row.id}"' in html and "Not used yet" in html
    assert f'/settings/saved-replies/{row.id}/edit' in html


def test_anyone_keeps_replies_of_their_own_unaudited(auth, team):
    ws, _, agent = team
    auth.login(agent)
    response = auth.post(PAGE, {"title": "My thanks", "shortcut": "thanks", "text": "Thank you! {agent_name}"})
    assert response.status_code == 302
    [row] = _rows(ws)
    assert (row.owner_id, row.scope) == (agent.id, "personal")
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.workspace_id == ws.id)) is None
    # and changes and deletes them
    assert auth.post(f"{PAGE}/{row.id}", {"title": "Thanks", "shortcut": "ty", "text": "Thanks!"}).status_code == 302
    assert [(r.title, r.shortcut, r.text) for r in _rows(ws)] == [("Thanks", "ty", "Thanks!")]
    assert auth.post(f"{PAGE}/{row.id}/delete").status_code == 302
    assert _rows(ws) == []


def test_agents_get_403_on_workspace_replies(auth, team):
    ws, _, agent = team
    shared = _reply(ws)
    auth.login(agent)
    assert auth.post(PAGE, {"title": "Hours", "shortcut": "hours", "text": "10-19", "scope": "workspace"}).status_code == 403
    assert auth.client.get(f"{PAGE}/{shared.id}/edit").status_code == 403
    assert auth.post(f"{PAGE}/{shared.id}", {"title": "Mine now", "shortcut": "x", "text": "y"}).status_code == 403
    assert auth.post(f"{PAGE}/{shared.id}/delete").status_code == 403
    own = _reply(ws, agent, shortcut="mine")
    moved = auth.post(f"{PAGE}/{own.id}", {"title": "t", "shortcut": "mine", "text": "x", "scope": "workspace"})
    assert moved.status_code == 403
    assert [(r.shortcut, r.title, r.owner_id) for r in _rows(ws)] == [("shipping", "Shipping times", None),
                                                                       ("mine", "Shipping times", agent.id)]
    # They see the workspace's replies, to use them, but no way to change them.
    html = auth.client.get(PAGE).get_data(as_text=True)
    assert f'id="saved-reply-{shared.id}"' in html and f"{PAGE}/{shared.id}/edit" not in html
    assert 'value="workspace"' not in html  # no scope choice on the form


def test_other_peoples_and_other_workspaces_replies_are_404(auth, team, factory):
    ws, admin, agent = team
    theirs = _reply(ws, agent, shortcut="sams")
    elsewhere = _reply(factory.workspace("Other Shop"), shortcut="other")
    auth.login(admin)
    for reply in (theirs, elsewhere):
        assert auth.client.get(f"{PAGE}/{reply.id}/edit").status_code == 404
        assert auth.post(f"{PAGE}/{reply.id}", {"title": "x", "shortcut": "x", "text": "x"}).status_code == 404
        assert auth.post(f"{PAGE}/{reply.id}/delete").status_code == 404
        assert auth.client.get(f"/saved-replies/{reply.id}/attachment").status_code == 404
        assert auth.post(f"/saved-replies/{reply.id}/used", htmx=True).status_code == 404
    assert auth.client.get(f"{PAGE}/99999999999/edit").status_code == 404
    html = auth.client.get(PAGE).get_data(as_text=True)
    assert "/sams" not in html and "/other" not in html
    assert len(_rows(ws)) == 1


@pytest.mark.parametrize("fields, field, message", [
    ({"title": "", "shortcut": "a", "text": "x"}, "title", "Give it a title"),
    ({"title": "t", "shortcut": "", "text": "x"}, "shortcut", "Give it a shortcut"),
    ({"title": "t", "shortcut": "free shipping", "text": "x"}, "shortcut", "no spaces"),
    ({"title": "t", "shortcut": "a" * 41, "text": "x"}, "shortcut", "at most 40"),
    ({"title": "t", "shortcut": "-ship", "text": "x"}, "shortcut", "starting with a letter or digit"),
    ({"title": "t", "shortcut": "s", "text": ""}, "text", "Write the reply"),
    ({"title": "t", "shortcut": "s", "text": "é" * 501}, "text", "1,002 bytes"),
    ({"title": "t", "shortcut": "s", "text": "x", "scope": "everyone"}, "scope", "Choose who can use it"),
])
def test_invalid_replies_are_refused_next_to_the_field(auth, team, fields, field, message):
    ws, admin, _ = team
    auth.login(admin)
    response = auth.post(PAGE, fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(rf'<p class="field-error" id="sr-{field}-error">([^<]*)</p>', html)
    assert error and message in error.group(1).replace("&#39;", "'"), html[:3000]
    assert _rows(ws) == []


def test_a_shortcut_is_unique_within_its_scope_and_a_personal_one_may_shadow(auth, team):
    ws, admin, agent = team
    _reply(ws, shortcut="ship")
    auth.login(admin)
    taken = auth.post(PAGE, {"title": "t", "shortcut": "Ship", "text": "x", "scope": "workspace"})
    assert taken.status_code == 422 and "/ship is already a workspace saved reply" in taken.get_data(as_text=True)
    assert auth.post(PAGE, {"title": "Mine", "shortcut": "ship", "text": "x", "scope": "personal"}).status_code == 302
    twice = auth.post(PAGE, {"title": "Again", "shortcut": "ship", "text": "x", "scope": "personal"})
    assert twice.status_code == 422 and "You already have a saved reply /ship" in twice.get_data(as_text=True)
    auth.post("/logout")
    auth.login(agent)  # another person's shortcuts are theirs alone
    assert auth.post(PAGE, {"title": "Sam's", "shortcut": "ship", "text": "x"}).status_code == 302
    assert sorted((r.owner_id or 0, r.shortcut) for r in _rows(ws)) == [(0, "ship"), (admin.id, "ship"),
                                                                         (agent.id, "ship")]
    html = auth.client.get(PAGE).get_data(as_text=True)
    assert "your own /ship is offered to you instead" in html


def test_unknown_variables_are_saved_as_typed_with_a_warning(auth, team):
    ws, admin, _ = team
    auth.login(admin)
    response = auth.post(PAGE, {"title": "Sizes", "shortcut": "sizes", "text": "Hi {firstname}, size {first_name}"},
                         follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "flash--warning" in html
    assert "{firstname} is not a variable the inbox fills in" in html
    assert _rows(ws)[0].text == "Hi {firstname}, size {first_name}"


def test_admins_move_a_reply_between_scopes(auth, team):
    ws, admin, _ = team
    auth.login(admin)
    own = _reply(ws, admin, shortcut="promo", title="Promo")
    assert auth.post(f"{PAGE}/{own.id}", {"title": "Promo", "shortcut": "promo", "text": "10% off",
                                          "scope": "workspace"}).status_code == 302
    [row] = _rows(ws)
    assert row.owner_id is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.workspace_id == ws.id))
    assert entry.action == "saved_reply.changed" and entry.summary.endswith("now workspace")
    assert auth.post(f"{PAGE}/{row.id}/delete").status_code == 302
    assert [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))] == [
        "saved_reply.changed", "saved_reply.deleted"]


def test_an_attachment_goes_through_the_composers_checks(auth, team):
    ws, admin, _ = team
    auth.login(admin)
    refused = auth.post(PAGE, {"title": "Catalogue", "shortcut": "cat", "text": "",
                               "attachment": (BytesIO(files.ZIP), "catalogue.png", "image/png")})
    assert refused.status_code == 422 and "can&#39;t be sent on Instagram" in refused.get_data(as_text=True)
    assert _rows(ws) == []
    # A file alone is a reply (the composer sends one without text).
    assert auth.post(PAGE, {"title": "Catalogue", "shortcut": "cat", "text": "",
                            "attachment": (BytesIO(files.PDF), "Summer catalogue.pdf", "application/pdf")}
                     ).status_code == 302
    [row] = _rows(ws)
    assert (row.attachment_name, row.attachment_type, row.attachment_data) == (
        "Summer_catalogue.pdf", "application/pdf", files.PDF)
    served = auth.client.get(f"/saved-replies/{row.id}/attachment")
    assert served.status_code == 200 and served.data == files.PDF
    assert served.mimetype == "application/pdf" and served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    # Replaced, then removed (a reply with neither text nor file is refused).
    auth.post(f"{PAGE}/{row.id}", {"title": "Catalogue", "shortcut": "cat", "text": "",
                                   "attachment": (BytesIO(files.PNG), "cover.png", "image/png")})
    assert (_rows(ws)[0].attachment_name, _rows(ws)[0].attachment_type) == ("cover.png", "image/png")
    empty = auth.post(f"{PAGE}/{row.id}", {"title": "Catalogue", "shortcut": "cat", "text": "",
                                           "remove_attachment": "on"})
    assert empty.status_code == 422
    auth.post(f"{PAGE}/{row.id}", {"title": "Catalogue", "shortcut": "cat", "text": "See you!",
                                   "remove_attachment": "on"})
    assert (_rows(ws)[0].attachment_name, _rows(ws)[0].attachment_data) == (None, None)
    assert auth.client.get(f"/saved-replies/{row.id}/attachment").status_code == 404


def test_the_picker_offers_replies_filled_in_for_the_conversation(auth, team, factory):
    ws, admin, agent = team
    account = factory.account(ws, username="demo.boutique")
    account.name = "Demo Boutique"
    contact = factory.contact(account, name="Maria Lopez", username="maria.l")
    conversation = factory.conversation(account, contact=contact)
    nameless = factory.conversation(account, contact=factory.contact(account))
    _reply(ws, shortcut="shipping", text="Hi {first_name}, we ship today. {agent_name}, {account}")
    _reply(ws, shortcut="sizes", title="Sizes & fit", text="Sizes run true, {first_name}.")
    _reply(ws, agent, shortcut="sizes", title="My sizes", text="My own {username}")
    _reply(ws, admin, shortcut="admins", title="Admin's own")
    _reply(factory.workspace("Elsewhere"), shortcut="elsewhere")
    auth.login(agent)

    response = auth.client.get(f"/conversations/{conversation.id}/saved-replies")
    assert "HX-Request" in response.headers["Vary"]
    html = response.get_data(as_text=True)
    assert re.findall(r'data-shortcut="([^"]+)"', html) == ["shipping", "sizes"]
    assert 'data-text="Hi Maria, we ship today. Sam Rivera, Demo Boutique"' in html
    assert 'data-text="My own maria.l"' in html  # Sam's own /sizes shadows the workspace's
    assert 'role="option"' in html and "yours" in html
    assert 'data-text="Hi, we ship today.' in auth.client.get(f"/conversations/{nameless.id}/saved-replies").get_data(as_text=True)

    def shortcuts(q):
        page = auth.client.get(f"/conversations/{conversation.id}/saved-replies?q={q}").get_data(as_text=True)
        return re.findall(r'data-shortcut="([^"]+)"', page)

    assert shortcuts("ship") == ["shipping"]
    assert shortcuts("i") == ["shipping", "sizes"]  # both shortcuts start with neither: a shortcut holding it
    assert shortcuts("my") == ["sizes"]  # by title
    assert shortcuts("zzz") == []
    other = factory.conversation(factory.account(factory.workspace("Theirs")))
    assert auth.client.get(f"/conversations/{other.id}/saved-replies").status_code == 404


def test_the_composer_carries_the_picker(auth, team, factory):
    ws, admin, _ = team
    conversation = factory.conversation(factory.account(ws))
    auth.login(admin)
    html = auth.client.get(f"/conversations/{conversation.id}").get_data(as_text=True)
    assert 'id="saved-reply-picker"' in html and 'role="listbox"' in html
    assert f'data-url="/conversations/{conversation.id}/saved-replies"' in html
    assert "js/saved_replies.js" in html and "css/saved_replies.css" in html
    assert 'href="/settings/saved-replies"' in auth.client.get("/settings").get_data(as_text=True)


def test_a_use_is_counted_with_the_csrf_header(auth, team):
    ws, _, agent = team
    reply = _reply(ws)
    edited = reply.updated_at
    auth.login(agent)
    assert auth.client.post(f"/saved-replies/{reply.id}/used").status_code == 400  # no CSRF token
    for _ in range(2):
        response = auth.post(f"/saved-replies/{reply.id}/used", htmx=True)
        assert response.status_code == 204
    [row] = _rows(ws)
    assert row.usage_count == 2 and row.last_used_at is not None and row.updated_at == edited
    html = auth.client.get(PAGE).get_data(as_text=True)
    assert re.search(r"Used 2 times,\s+last <time", html) and "Times used” counts each time" in html
