"""Replying through the API: the same queue_reply the inbox uses (source "api"), 202 with the
pending message, refusals mapped to 409/422 with nothing stored and nothing sent to Meta."""
import json
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Conversation, Message, utcnow
from tests.api.conftest import error_of


def _sends(meta):
    return [json.loads(call.request.body) for call in meta.calls if call.request.url.endswith("/messages")]


@pytest.fixture
def conversation(api, factory):
    return factory.conversation(api.account, last_inbound_at=utcnow() - timedelta(hours=1))


def test_reply_is_accepted_pending_then_sent_once(api, conversation, meta_ok):
    response = api.post(f"/conversations/{conversation.id}/messages", json={"text": "  Ships today!  "})
    assert response.status_code == 202
    data = response.get_json()["data"]
    assert data["status"] == "pending" and data["mid"] is None
    assert (data["direction"], data["source"], data["sent_by_id"]) == ("out", "api", api.user.id)
    assert data["text"] == "Ships today!" and data["conversation_id"] == conversation.id
    # The (inline) send job ran after the response: sent once, with Meta's mid.
    assert [body["message"]["text"] for body in _sends(meta_ok)] == ["Ships today!"]
    assert body_recipient(meta_ok) == conversation.contact.igsid
    thread = api.get(f"/conversations/{conversation.id}/messages").get_json()["data"]
    assert [(m["id"], m["status"], m["mid"]) for m in thread] == [(data["id"], "sent", "mid.api.1")]
    listed = api.get(f"/conversations/{conversation.id}").get_json()["data"]
    assert listed["last_message_preview"] == "Ships today!"


def body_recipient(meta):
    return _sends(meta)[0]["recipient"]["id"]


def test_reply_runs_through_the_queue_too(api, conversation, meta_ok, queued):
    response = api.post(f"/conversations/{conversation.id}/messages", json={"text": "queued"})
    assert response.status_code == 202 and response.get_json()["data"]["status"] == "pending"
    assert _sends(meta_ok) == []
    queued.work()
    assert len(_sends(meta_ok)) == 1
    assert db.session.get(Message, response.get_json()["data"]["id"]).status == "sent"


@pytest.mark.parametrize("hours_ago, human_agent, code", [
    (30, False, "window_closed"),          # past 24 h, workspace without the Human Agent permission
    (30, True, "human_agent_required"),    # only a person in the inbox may answer now, not the API
    (24 * 8, True, "window_closed"),       # past 7 days: nobody may
    (None, False, "window_closed"),        # the customer never wrote
])
def test_outside_the_reply_window_is_409(api, factory, meta_ok, hours_ago, human_agent, code):
    api.workspace.human_agent_enabled = human_agent
    db.session.commit()
    last_inbound = utcnow() - timedelta(hours=hours_ago) if hours_ago else None
    conversation = factory.conversation(api.account, last_inbound_at=last_inbound)
    data = api.get(f"/conversations/{conversation.id}").get_json()["data"]
    assert data["can_reply"] is False and data["reply_window_ends_at"] is None
    error = error_of(api.post(f"/conversations/{conversation.id}/messages", json={"text": "hello?"}), 409)
    assert error["code"] == code and "field" not in error and error["message"]
    assert db.session.query(Message).count() == 0 and _sends(meta_ok) == []


def test_can_reply_and_window_end_follow_the_sending_rules(api, conversation):
    data = api.get(f"/conversations/{conversation.id}").get_json()["data"]
    expected = (conversation.last_inbound_at + timedelta(hours=24)).isoformat().replace("+00:00", "Z")
    assert data["can_reply"] is True and data["reply_window_ends_at"] == expected


@pytest.mark.parametrize("text, code", [("", "empty"), ("   \n ", "empty"), ("é" * 501, "too_long"), ("x" * 1001, "too_long")])
def test_text_refusals_are_422_naming_text(api, conversation, meta_ok, text, code):
    error = error_of(api.post(f"/conversations/{conversation.id}/messages", json={"text": text}), 422)
    assert (error["code"], error["field"]) == (code, "text")
    assert db.session.query(Message).count() == 0 and _sends(meta_ok) == []


def test_the_longest_text_instagram_takes_is_accepted(api, conversation, meta_ok):
    assert api.post(f"/conversations/{conversation.id}/messages", json={"text": "x" * 1000}).status_code == 202


def test_disconnected_account_is_409(api, conversation, meta_ok):
    api.account.status = "reauth_required"
    db.session.commit()
    error = error_of(api.post(f"/conversations/{conversation.id}/messages", json={"text": "hi"}), 409)
    assert error["code"] == "account_unavailable"
    assert db.session.query(Message).count() == 0 and _sends(meta_ok) == []


@pytest.mark.parametrize("body, field", [
    ({}, "text"), ({"text": None}, "text"), ({"text": 5}, "text"), ({"text": ["hi"]}, "text"),
    ({"text": "a\x00b"}, "text"), ({"text": "hi", "to": "someone"}, "to"),
])
def test_malformed_send_is_400(api, conversation, meta_ok, body, field):
    assert error_of(api.post(f"/conversations/{conversation.id}/messages", json=body), 400)["field"] == field
    assert db.session.query(Message).count() == 0


def test_send_needs_a_json_body_of_at_most_64kb(api, conversation, meta_ok):
    path = f"/conversations/{conversation.id}/messages"
    assert error_of(api.post(path, data={"text": "hi"}), 415)["code"] == "unsupported_media_type"
    assert error_of(api.post(path, json={"text": "x" * 70_000}), 413)["code"] == "too_large"
    assert error_of(api.post(path, data="{", content_type="application/json"), 400)["code"] == "invalid_json"
    assert db.session.query(Message).count() == 0 and _sends(meta_ok) == []


def test_cannot_reply_in_another_workspace(api, factory, meta_ok):
    theirs = factory.conversation(factory.account(), last_inbound_at=utcnow())
    assert error_of(api.post(f"/conversations/{theirs.id}/messages", json={"text": "hi"}), 404)["code"] == "not_found"
    assert db.session.query(Message).count() == 0 and _sends(meta_ok) == []
    db.session.expire_all()
    assert db.session.get(Conversation, theirs.id).last_message_preview is None
