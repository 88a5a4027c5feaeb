"""Labels through the API: GET /labels, PUT /conversations/<id>/labels (exactly these; unknown
names created for an admin's token; invalid ones a 422 naming the field), Conversation.labels,
and the list's label= filter; another workspace's conversation is a 404. Every response is
checked against the OpenAPI document by the api fixture."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Conversation, ConversationLabel, Label
from tests.api.conftest import error_of, make_api


def _put(api, conversation_id, body, **kwargs):
    return api.request("PUT", f"/conversations/{conversation_id}/labels", json=body, **kwargs)


def _label(workspace, name, color="#6b7280"):
    label = Label(workspace_id=workspace.id, name=name, color=color)
    db.session.add(label)
    db.session.commit()
    return label


def test_list_labels(api, factory):
    _label(api.workspace, "wholesale", "#0f766e")
    vip = _label(api.workspace, "vip", "#b91c1c")
    _label(factory.workspace("Other"), "theirs")
    body = api.get("/labels").get_json()
    assert body == {"data": [{"id": vip.id, "name": "vip", "color": "#b91c1c"},
                             {"id": body["data"][1]["id"], "name": "wholesale", "color": "#0f766e"}]}


def test_put_sets_exactly_these_and_creates_unknown_names(api, factory):
    conversation = factory.conversation(api.account)
    vip = _label(api.workspace, "vip")
    old = _label(api.workspace, "old")
    db.session.add(ConversationLabel(conversation_id=conversation.id, label_id=old.id))
    db.session.commit()
    before = db.session.get(Conversation, conversation.id).updated_at
    response = _put(api, conversation.id, {"labels": ["VIP", "Wholesale", "vip"]})
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert data["labels"] == ["vip", "wholesale"]
    created = db.session.scalar(select(Label).where(Label.workspace_id == api.workspace.id, Label.name == "wholesale"))
    assert created is not None and created.color.startswith("#")
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "label.created")) == "label.created"
    assert api.get(f"/conversations/{conversation.id}").get_json()["data"]["labels"] == ["vip", "wholesale"]
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).updated_at > before
    assert vip.id in {row.label_id for row in db.session.scalars(select(ConversationLabel))}
    # [] takes them all off.
    assert _put(api, conversation.id, {"labels": []}).get_json()["data"]["labels"] == []


def test_invalid_names_are_422_with_the_field_and_change_nothing(api, factory):
    conversation = factory.conversation(api.account)
    for names in (["ok", "not ok!"], [""], ["x" * 41], [f"l{n}" for n in range(21)]):
        error = error_of(_put(api, conversation.id, {"labels": names}), 422)
        assert error["field"] == "labels", names
    assert db.session.scalar(select(Label.id).where(Label.workspace_id == api.workspace.id)) is None


def test_malformed_bodies_are_400(api, factory):
    conversation = factory.conversation(api.account)
    for body in ({"labels": "vip"}, {"labels": [1]}, {}, {"labels": ["vip"], "extra": 1}, {"labels": ["a\x00b"]}):
        assert error_of(_put(api, conversation.id, body), 400)["code"] == "validation_failed", body


def test_an_agents_token_applies_labels_but_does_not_create_them(app, client, api, factory):
    agent = factory.user(api.workspace, role="agent")
    agent_api = make_api(app, client, agent)
    conversation = factory.conversation(api.account)
    _label(api.workspace, "vip")
    assert _put(agent_api, conversation.id, {"labels": ["vip"]}).get_json()["data"]["labels"] == ["vip"]
    error = error_of(_put(agent_api, conversation.id, {"labels": ["vip", "brand-new"]}), 422)
    assert error["field"] == "labels" and "only admins" in error["message"]
    assert api.get(f"/conversations/{conversation.id}").get_json()["data"]["labels"] == ["vip"]


def test_another_workspaces_conversation_is_404(api, factory):
    other_account = factory.account(factory.workspace("Other"))
    theirs = factory.conversation(other_account)
    assert error_of(_put(api, theirs.id, {"labels": ["vip"]}), 404)
    assert db.session.scalar(select(Label.id)) is None


def test_filter_the_list_by_label(api, factory):
    tagged = factory.conversation(api.account)
    factory.conversation(api.account)
    vip = _label(api.workspace, "hot-lead")
    db.session.add(ConversationLabel(conversation_id=tagged.id, label_id=vip.id))
    db.session.commit()

    def ids(query):
        response = api.get(f"/conversations?{query}")
        assert response.status_code == 200, response.get_json()
        return [c["id"] for c in response.get_json()["data"]]

    assert ids("label=hot-lead") == [tagged.id]
    assert ids("label=Hot%20Lead") == [tagged.id]
    assert ids("label=nobody-has-it") == []
    assert error_of(api.get("/conversations?label=no%20way!"), 400)["field"] == "label"
    listed = api.get("/conversations").get_json()["data"]
    assert {c["id"]: c["labels"] for c in listed}[tagged.id] == ["hot-lead"]
