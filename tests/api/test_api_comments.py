"""The comment endpoints of the JSON API (docs/contract.md, "Comments and history"): the same
actions as the thread's buttons, 202 with the message, refusals as 409 with the reason (422 for
the text), another workspace's comment a 404. Every response is checked against the OpenAPI
document by the `api` client."""
from __future__ import annotations

import json
from datetime import timedelta

import responses
from sqlalchemy import select

from app.comments import rules
from app.extensions import db
from app.models import Message
from tests.api.conftest import error_of, make_api
from tests.comments.helpers import PERMALINK, comments_thread
from tests.meta_kit import graph_url, success_ok


def test_private_reply_is_202_with_the_dm_then_409_with_the_reason(api, factory, meta_ok):
    thread = comments_thread(factory, account=api.account)
    response = api.post("/comments/c1/private-reply", json={"text": "Hi! 40 € with shipping"})
    assert response.status_code == 202
    data = response.get_json()["data"]
    assert (data["status"], data["source"], data["kind"]) == ("pending", "api", "text")
    assert data["context"]["private_reply"] == {"comment_id": "c1", "media_id": "17900000000000001",
                                                "permalink": PERMALINK, "caption": thread.media.caption}
    [send] = [json.loads(c.request.body) for c in meta_ok.calls if c.request.url.endswith("/messages")]
    assert send["recipient"] == {"comment_id": "c1"}
    dm_thread = api.get(f"/conversations/{data['conversation_id']}/messages").get_json()["data"]
    assert [m["status"] for m in dm_thread] == ["sent"]

    again = api.post("/comments/c1/private-reply", json={"text": "And another"})
    error = error_of(again, 409)
    assert (error["code"], error["message"]) == ("already_replied", rules.ALREADY_REPLIED)
    assert db.session.scalar(select(db.func.count()).select_from(Message).where(Message.direction == "out")) == 1


def test_private_reply_after_7_days_is_409_too_old(api, factory, meta):
    comments_thread(factory, account=api.account, age=timedelta(days=8))
    response = api.post("/comments/c1/private-reply", json={"text": "hi"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "too_old"
    assert "7 days" in response.get_json()["error"]["message"] and not meta.calls


def test_public_reply_and_hide(api, factory, meta):
    comments_thread(factory, account=api.account)
    meta.add(responses.POST, graph_url("c1", "replies"), json={"id": "c-api-1"})
    meta.add(responses.POST, graph_url("c1"), **success_ok())
    reply = api.post("/comments/c1/reply", json={"text": "Check your DMs"})
    assert reply.status_code == 202
    assert reply.get_json()["data"]["kind"] == "comment"
    sent = api.get(f"/conversations/{reply.get_json()['data']['conversation_id']}/messages").get_json()["data"]
    assert [(m["mid"], m["context"]["comment"]["parent_comment_id"]) for m in sent if m["direction"] == "out"] == [
        ("c-api-1", "c1")]

    hidden = api.post("/comments/c1/hide", json={"hidden": True})
    assert hidden.status_code == 202 and hidden.get_json()["data"]["context"]["comment"]["hidden"] is True
    assert api.post("/comments/c1/hide", json={"hidden": "yes"}).status_code == 400
    assert api.post("/comments/c1/reply", json={"text": ""}).status_code == 422


def test_another_workspaces_comment_is_404(app, client, api, factory, meta):
    comments_thread(factory)  # in another workspace
    other = make_api(app, client, factory.user(api.workspace, role="agent"))
    for path, body in (("reply", {"text": "x"}), ("private-reply", {"text": "x"}), ("hide", {"hidden": True})):
        assert other.post(f"/comments/c1/{path}", json=body).status_code == 404
        assert api.post(f"/comments/nope/{path}", json=body).status_code == 404
    assert not meta.calls
