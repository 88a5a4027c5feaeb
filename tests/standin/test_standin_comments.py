"""The stand-in's comment endpoints follow Meta's rules: a public reply answers the new comment's
id and is delivered back as a `comments` change; hide and delete answer success on known comments
and "does not exist" otherwise; the one private reply per comment (a second one, or one after 7
days, is Meta's code 10 / 2534022) and its echo to the commenter."""
from __future__ import annotations

import json
import time

from app.standin import business_account
from app.standin.comments import comment_delivery
from tests.meta_kit import GRAPH_VERSION

ACCOUNT = business_account("demo.boutique")
COMMENTS = ("instagram_business_basic", "instagram_business_manage_messages", "instagram_business_manage_comments")
COMMENTER = "5512345678901234"


def _token(meta):
    return meta.issue_token("demo.boutique", scopes=COMMENTS)


def _comment(meta, **kw):
    comment_id, _ = comment_delivery(meta.control, ig_user_id=ACCOUNT.ig_user_id, from_id=COMMENTER, text="PRICE",
                                     media_id="17900000000000001", username="ana.b", **kw)
    return comment_id


def _call(http, meta, method, path, **kw):
    return http.request(method, f"{meta.graph_url}/{GRAPH_VERSION}/{path}",
                        headers={"Authorization": f"Bearer {_token(meta)}"}, **kw)


def test_public_reply_answers_an_id_and_comes_back_as_our_own_comment(http, standin_meta, receiver):
    comment_id = _comment(standin_meta)
    response = _call(http, standin_meta, "POST", f"{comment_id}/replies", data={"message": "Check your DMs"})
    assert response.status_code == 200
    new_id = response.json()["id"]
    [delivery] = receiver.wait_for(1)
    [entry] = json.loads(delivery.body)["entry"]
    [change] = entry["changes"]
    assert change["field"] == "comments"
    assert change["value"]["id"] == new_id and change["value"]["parent_id"] == comment_id
    assert change["value"]["from"]["id"] == ACCOUNT.ig_user_id and change["value"]["text"] == "Check your DMs"


def test_hide_and_delete_and_what_does_not_exist(http, standin_meta):
    comment_id = _comment(standin_meta)
    assert _call(http, standin_meta, "POST", f"{comment_id}?hide=true").json() == {"success": True}
    assert _call(http, standin_meta, "POST", "abc?hide=true").json()["error"]["error_subcode"] == 33
    assert _call(http, standin_meta, "DELETE", comment_id).json() == {"success": True}
    assert _call(http, standin_meta, "DELETE", comment_id).json()["error"]["code"] == 100  # gone


def test_a_comment_another_process_delivered_is_answered_best_effort(http, standin_meta, receiver):
    """`flask demo` delivers its comments from another process: the stand-in takes them as they come."""
    assert _call(http, standin_meta, "POST", "17900000000012345?hide=true").json() == {"success": True}
    body = {"recipient": {"comment_id": "17900000000012345"}, "message": {"text": "Hi!"}}
    first = _call(http, standin_meta, "POST", f"{ACCOUNT.ig_user_id}/messages", json=body)
    assert first.status_code == 200 and first.json()["message_id"]
    assert _call(http, standin_meta, "POST", f"{ACCOUNT.ig_user_id}/messages", json=body).json()["error"]["code"] == 10
    assert _call(http, standin_meta, "POST", "17900000000012345/replies", data={"message": "Thanks"}).json()["id"]
    time.sleep(0.3)
    assert receiver.deliveries == []  # no commenter or post known: no webhook


def test_one_private_reply_per_comment_within_7_days_with_its_echo(http, standin_meta, receiver):
    comment_id = _comment(standin_meta)
    body = {"recipient": {"comment_id": comment_id}, "message": {"text": "Hi! It is 40 €"}}
    first = _call(http, standin_meta, "POST", f"{ACCOUNT.ig_user_id}/messages", json=body)
    assert first.status_code == 200 and first.json()["recipient_id"] == COMMENTER
    [delivery] = receiver.wait_for(1)
    [item] = json.loads(delivery.body)["entry"][0]["messaging"]
    assert item["recipient"] == {"id": COMMENTER} and item["message"]["is_echo"] is True
    assert item["message"]["mid"] == first.json()["message_id"]

    second = _call(http, standin_meta, "POST", f"{ACCOUNT.ig_user_id}/messages", json=body)
    assert second.status_code == 400
    assert (second.json()["error"]["code"], second.json()["error"]["error_subcode"]) == (10, 2534022)

    old = _comment(standin_meta)
    standin_meta.control.advance_clock(7 * 24 * 3600 + 60)
    late = _call(http, standin_meta, "POST", f"{ACCOUNT.ig_user_id}/messages",
                 json={"recipient": {"comment_id": old}, "message": {"text": "late"}})
    assert late.json()["error"]["code"] == 10


def test_comment_actions_need_the_comments_permission(http, standin_meta):
    comment_id = _comment(standin_meta)
    token = standin_meta.issue_token("demo.boutique", scopes=COMMENTS[:2])  # messaging only
    response = http.post(f"{standin_meta.graph_url}/{GRAPH_VERSION}/{comment_id}/replies", data={"message": "x"},
                         headers={"Authorization": f"Bearer {token}"})
    assert response.json()["error"]["code"] == 200
