"""POST /api/v1/conversations/<id>/notes with `mentions` (CONTRACT.md, the agent's day): the note
and each mentioned teammate's `mention` notification; ids of the wrong type are a 400 naming
`mentions`, ids the rules refuse (another workspace, a former member) a 422 naming it, and nothing
is stored; the list's `mentions=me` filter."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Note, NoteMention, Notification
from tests.api.conftest import error_of


@pytest.fixture
def setting(api, factory):
    rep = factory.user(api.workspace, name="Rita Rep", role="agent")
    stranger = factory.user(factory.workspace(), name="Rita Rep")
    conversation = factory.conversation(api.account)
    return rep, stranger, conversation


def test_a_note_mentioning_a_teammate(api, setting):
    rep, _, conversation = setting
    response = api.post(f"/conversations/{conversation.id}/notes",
                        json={"text": "@Rita Rep she wants the blue one", "mentions": [rep.id, api.user.id]})
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert (data["conversation_id"], data["author_id"], data["text"]) == (conversation.id, api.user.id,
                                                                          "@Rita Rep she wants the blue one")
    assert data["mentions"] == sorted([rep.id, api.user.id]) and data["created_at"].endswith("Z")
    assert set(db.session.scalars(select(NoteMention.user_id))) == {rep.id, api.user.id}
    # The token's owner wrote it: only the teammate is told.
    assert [(n.user_id, n.type, n.conversation_id) for n in db.session.scalars(select(Notification))] == [
        (rep.id, "mention", conversation.id)]


def test_without_mentions_and_the_text_rules(api, setting):
    _, _, conversation = setting
    plain = api.post(f"/conversations/{conversation.id}/notes", json={"text": "just a note"})
    assert plain.status_code == 201 and plain.get_json()["data"]["mentions"] == []
    assert error_of(api.post(f"/conversations/{conversation.id}/notes", json={"text": "  "}), 422)["field"] == "text"
    assert error_of(api.post(f"/conversations/{conversation.id}/notes", json={"mentions": []}), 400)["field"] == "text"
    assert error_of(api.post(f"/conversations/{conversation.id}/notes", json={"text": "x", "who": []}), 400)["field"] == "who"


@pytest.mark.parametrize("mentions", ["1", 1, None, ["1"], [1.5], [True], [0], [-3], [2**40], [{"id": 1}]])
def test_mentions_of_the_wrong_type_are_400_naming_the_field(api, setting, mentions):
    _, _, conversation = setting
    error = error_of(api.post(f"/conversations/{conversation.id}/notes", json={"text": "hi", "mentions": mentions}), 400)
    assert error["field"] == "mentions" and error["message"] == "mentions must be a list of user ids (positive integers)"
    assert db.session.scalars(select(Note)).all() == []


def test_another_workspaces_user_or_a_former_member_is_422_and_nothing_is_stored(api, setting, factory):
    rep, stranger, conversation = setting
    gone = factory.user(api.workspace, name="Gus Gone", role="agent")
    gone.active = False
    db.session.commit()
    for user_id, message in ((stranger.id, "no such user in this workspace"),
                             (gone.id, "Gus Gone is a former member; choose an active one")):
        error = error_of(api.post(f"/conversations/{conversation.id}/notes",
                                  json={"text": "hi", "mentions": [rep.id, user_id]}), 422)
        assert (error["field"], error["message"]) == ("mentions", message)
    assert db.session.scalars(select(Note)).all() == []
    assert db.session.scalars(select(Notification)).all() == []


def test_another_workspaces_conversation_is_404(api, factory):
    other = factory.conversation(factory.account(factory.workspace()))
    error_of(api.post(f"/conversations/{other.id}/notes", json={"text": "hi"}), 404)


def test_the_list_filter_mentions_me(api, setting, factory):
    rep, _, conversation = setting
    elsewhere = factory.conversation(api.account)
    api.post(f"/conversations/{conversation.id}/notes", json={"text": "@Ada Admin", "mentions": [api.user.id]})
    api.post(f"/conversations/{elsewhere.id}/notes", json={"text": "@Rita Rep", "mentions": [rep.id]})
    # The note's author mentioned themselves on the first: that still counts as "where I was mentioned".
    assert [c["id"] for c in api.get("/conversations?mentions=me").get_json()["data"]] == [conversation.id]
    assert len(api.get("/conversations").get_json()["data"]) == 2
    assert error_of(api.get(f"/conversations?mentions={rep.id}"), 400)["field"] == "mentions"
