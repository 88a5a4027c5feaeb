"""GET /api/v1/saved-replies: the token owner's own saved replies and the workspace's, in the
documented shape (the `api` client validates every response against the OpenAPI document),
never another person's or another workspace's."""
from __future__ import annotations

from app.extensions import db
from app.models import SavedReply


def _reply(workspace, owner=None, **fields):
    reply = SavedReply(workspace_id=workspace.id, owner_id=owner.id if owner else None, **fields)
    db.session.add(reply)
    db.session.commit()
    return reply


def test_own_and_workspace_replies_with_their_scope(api, factory):
    shipping = _reply(api.workspace, shortcut="shipping", title="Shipping", text="Hi {first_name}, we ship today.",
                      attachment_name="rates.pdf", attachment_type="application/pdf", attachment_data=b"%PDF-1.4")
    hours = _reply(api.workspace, shortcut="hours", title="Hours", text="10-19")
    mine = _reply(api.workspace, api.user, shortcut="shipping", title="My shipping", text="Ships from Berlin.")
    colleague = factory.user(api.workspace, role="agent")
    _reply(api.workspace, colleague, shortcut="secret", title="Not yours", text="x")
    _reply(factory.workspace(), shortcut="elsewhere", title="Other shop", text="x")

    response = api.get("/saved-replies")
    assert response.status_code == 200
    assert response.get_json() == {"data": [
        {"id": mine.id, "title": "My shipping", "shortcut": "shipping", "text": "Ships from Berlin.", "scope": "personal"},
        {"id": hours.id, "title": "Hours", "shortcut": "hours", "text": "10-19", "scope": "workspace"},
        {"id": shipping.id, "title": "Shipping", "shortcut": "shipping", "text": "Hi {first_name}, we ship today.",
         "scope": "workspace"},
    ]}


def test_empty_list_and_a_token_is_required(api, client):
    assert api.get("/saved-replies").get_json() == {"data": []}
    assert client.get("/api/v1/saved-replies").status_code == 401
