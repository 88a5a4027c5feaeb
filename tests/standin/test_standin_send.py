"""The Send API stand-in: answers, validation errors and the signed echo webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from app.standin import StandinServer, business_account, customer_profile
from tests.meta_kit import GRAPH_VERSION
from tests.standin.standin_testkit import APP_SECRET

IGSID = "5512345678901234"
IMAGE_URL = "https://a.test/x.jpg"
ACCOUNT = business_account("demo.boutique")


def send(http, meta, body, token=None, node=None):
    token = token or meta.issue_token("demo.boutique")
    return http.post(f"{meta.graph_url}/{GRAPH_VERSION}/{node or ACCOUNT.ig_user_id}/messages", json=body,
                     headers={"Authorization": f"Bearer {token}"})


def assert_signed(delivery):
    expected = "sha256=" + hmac.new(APP_SECRET.encode(), delivery.body, hashlib.sha256).hexdigest()
    assert delivery.headers["X-Hub-Signature-256"] == expected


def only_messaging(delivery) -> tuple[dict, dict]:
    payload = json.loads(delivery.body)
    assert payload["object"] == "instagram"
    [entry] = payload["entry"]
    [item] = entry["messaging"]
    return entry, item


def test_text_send_answers_a_fresh_mid_and_echoes_it_signed(http, standin_meta, receiver):
    response = send(http, standin_meta, {"recipient": {"id": IGSID}, "message": {"text": "Hi there"}})

    assert response.status_code == 200
    answer = response.json()
    assert answer["recipient_id"] == IGSID
    assert answer["message_id"].startswith("aWdf")

    [delivery] = receiver.wait_for(1)
    assert_signed(delivery)
    entry, item = only_messaging(delivery)
    assert entry["id"] == ACCOUNT.ig_user_id
    assert abs(entry["time"] - time.time() * 1000) < 10_000
    assert item["sender"] == {"id": ACCOUNT.ig_user_id}
    assert item["recipient"] == {"id": IGSID}
    assert item["message"] == {"mid": answer["message_id"], "text": "Hi there", "is_echo": True}
    assert item["timestamp"] == entry["time"]

    [echo] = standin_meta.control.wait_for_echoes(1)
    assert echo.ok and echo.body == delivery.body


def test_mids_are_unique(http, standin_meta):
    mids = {send(http, standin_meta, {"recipient": {"id": IGSID}, "message": {"text": f"n{i}"}}).json()["message_id"]
            for i in range(20)}
    assert len(mids) == 20


def test_me_messages_and_app_scoped_id_address_the_same_account(http, standin_meta, receiver):
    for node in ("me", ACCOUNT.app_user_id):
        response = send(http, standin_meta, {"recipient": {"id": IGSID}, "message": {"text": "x"}}, node=node)
        assert response.status_code == 200
    for delivery in receiver.wait_for(2):
        assert only_messaging(delivery)[0]["id"] == ACCOUNT.ig_user_id


def test_echo_bytes_are_escaped_like_metas(http, standin_meta, receiver):
    text = "Olá 👋 see https://shop.test/a"
    mid = send(http, standin_meta, {"recipient": {"id": IGSID}, "message": {"text": text}}).json()["message_id"]

    [delivery] = receiver.wait_for(1)
    assert b"\\u00e1" in delivery.body and b"https:\\/\\/shop.test\\/a" in delivery.body
    assert_signed(delivery)
    _, item = only_messaging(delivery)
    assert item["message"]["text"] == text and item["message"]["mid"] == mid


def test_attachment_send_echoes_the_attachment(http, standin_meta, receiver):
    url = "https://cdn.shop.test/catalogue.jpg"
    response = send(http, standin_meta, {"recipient": {"id": IGSID},
                                         "message": {"attachment": {"type": "image", "payload": {"url": url}}}})
    assert response.status_code == 200

    [delivery] = receiver.wait_for(1)
    _, item = only_messaging(delivery)
    assert item["message"] == {"mid": response.json()["message_id"],
                               "attachments": [{"type": "image", "payload": {"url": url}}],
                               "is_echo": True}


@pytest.mark.parametrize("body", [
    {"sender_action": "react", "payload": {"message_id": "aWdfabc", "reaction": "love"}},
    {"sender_action": "unreact", "payload": {"message_id": "aWdfabc"}},
    {"sender_action": "mark_seen"},
    {"sender_action": "typing_on"},
    {"sender_action": "typing_off"},
])
def test_sender_actions_answer_recipient_only_and_echo_nothing(http, standin_meta, receiver, body):
    response = send(http, standin_meta, {"recipient": {"id": IGSID}, **body})

    assert response.status_code == 200
    assert response.json() == {"recipient_id": IGSID}
    time.sleep(0.3)
    assert receiver.deliveries == []


def test_text_of_exactly_1000_bytes_is_accepted(http, standin_meta):
    text = "é" * 500  # two bytes each
    assert send(http, standin_meta, {"recipient": {"id": IGSID}, "message": {"text": text}}).status_code == 200


def test_text_over_1000_bytes_is_error_100(http, standin_meta, receiver):
    response = send(http, standin_meta, {"recipient": {"id": IGSID}, "message": {"text": "é" * 500 + "a"}})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 100 and error["type"] == "OAuthException"
    assert "1000" in error["message"]
    time.sleep(0.2)
    assert receiver.deliveries == []


@pytest.mark.parametrize("body, subcode", [
    ({"message": {"text": "x"}}, None),
    ({"recipient": {}, "message": {"text": "x"}}, None),
    ({"recipient": {"id": "not-a-user"}, "message": {"text": "x"}}, 2534014),
    ({"recipient": {"id": IGSID}}, None),
    ({"recipient": {"id": IGSID}, "message": {"text": "x"}, "sender_action": "mark_seen"}, None),
    ({"recipient": {"id": IGSID}, "message": {}}, None),
    ({"recipient": {"id": IGSID}, "message": {"text": "   "}}, None),
    ({"recipient": {"id": IGSID}, "message": {"text": "x", "attachment": {"type": "image"}}}, None),
    ({"recipient": {"id": IGSID}, "message": {"attachment": {"type": "sticker", "payload": {"url": IMAGE_URL}}}}, None),
    ({"recipient": {"id": IGSID}, "message": {"attachment": {"type": "image", "payload": {}}}}, None),
    ({"recipient": {"id": IGSID}, "message": {"attachment": {"type": "image", "payload": {"url": "ftp:x"}}}}, 2018008),
    ({"recipient": {"id": IGSID}, "sender_action": "dance"}, None),
    ({"recipient": {"id": IGSID}, "sender_action": "react", "payload": {"reaction": "love"}}, None),
    ({"recipient": {"id": IGSID}, "sender_action": "react", "payload": {"message_id": "m", "reaction": "meh"}}, None),
    ({"recipient": {"id": IGSID}, "message": {"text": "x"}, "tag": "HUMAN_AGENT"}, None),
    ({"recipient": {"id": IGSID}, "message": {"text": "x"}, "messaging_type": "MESSAGE_TAG", "tag": "ACCOUNT_UPDATE"},
     None),
    ({"recipient": {"id": ACCOUNT.ig_user_id}, "message": {"text": "x"}}, 2534014),
])
def test_invalid_sends_are_error_100(http, standin_meta, body, subcode):
    response = send(http, standin_meta, body)

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == 100
    assert error.get("error_subcode") == subcode


def test_human_agent_tag_is_accepted(http, standin_meta, receiver):
    response = send(http, standin_meta, {"recipient": {"id": IGSID}, "message": {"text": "late reply"},
                                         "messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"})
    assert response.status_code == 200
    _, item = only_messaging(receiver.wait_for(1)[0])  # sent like any other: its echo comes back
    assert item["message"] == {"mid": response.json()["message_id"], "text": "late reply", "is_echo": True}


def test_form_encoded_sends_work_like_json(http, standin_meta, receiver):
    token = standin_meta.issue_token()
    response = http.post(f"{standin_meta.graph_url}/{GRAPH_VERSION}/me/messages", data={
        "recipient": json.dumps({"id": IGSID}), "message": json.dumps({"text": "form"}), "access_token": token})

    assert response.status_code == 200
    _, item = only_messaging(receiver.wait_for(1)[0])
    assert item["message"]["text"] == "form"


@pytest.mark.parametrize("token, code, subcode", [
    ("", 104, None),
    ("not-a-token", 190, None),
])
def test_send_with_a_bad_token(http, standin_meta, token, code, subcode):
    response = http.post(f"{standin_meta.graph_url}/{GRAPH_VERSION}/me/messages",
                         json={"recipient": {"id": IGSID}, "message": {"text": "x"}},
                         headers={"Authorization": f"Bearer {token}"} if token else {})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error.get("error_subcode")) == (code, subcode)


def test_send_with_a_token_from_another_key_is_190(http, standin_meta):
    with StandinServer(signing_key="someone-else") as other:
        foreign = other.issue_token()
    response = send(http, standin_meta, {"recipient": {"id": IGSID}, "message": {"text": "x"}}, token=foreign)
    assert response.json()["error"]["code"] == 190


def test_expired_and_revoked_tokens_are_190_with_subcodes(http, standin_meta):
    body = {"recipient": {"id": IGSID}, "message": {"text": "x"}}
    expired = standin_meta.issue_token(issued_at=time.time() - 10, lifetime=5)
    error = send(http, standin_meta, body, token=expired).json()["error"]
    assert (error["code"], error["error_subcode"]) == (190, 463)

    token = standin_meta.issue_token()
    standin_meta.control.revoke(ACCOUNT.ig_user_id, subcode=460)
    error = send(http, standin_meta, body, token=token).json()["error"]
    assert (error["code"], error["error_subcode"]) == (190, 460)


def test_sending_for_another_account_is_refused(http, standin_meta):
    other = business_account("demo.studio")
    response = send(http, standin_meta, {"recipient": {"id": IGSID}, "message": {"text": "x"}}, node=other.ig_user_id)
    error = response.json()["error"]
    assert (error["code"], error["error_subcode"]) == (100, 33)


def test_sending_needs_the_messaging_scope(http, standin_meta):
    token = standin_meta.issue_token(scopes=["instagram_business_basic"])
    response = send(http, standin_meta, {"recipient": {"id": IGSID}, "message": {"text": "x"}}, token=token)
    assert response.json()["error"]["code"] == 200


def test_echo_before_response_mode(http, standin_meta, receiver):
    standin_meta.control.set_echo(mode="before")
    response = send(http, standin_meta, {"recipient": {"id": IGSID}, "message": {"text": "first"}})

    # Already delivered when the answer arrives: the inbox must match an echo that beats it.
    assert len(receiver.deliveries) == 1
    _, item = only_messaging(receiver.deliveries[0])
    assert item["message"]["mid"] == response.json()["message_id"]


def test_echo_after_response_waits_for_the_delay(http, standin_meta, receiver):
    standin_meta.control.set_echo(mode="after", delay=0.5)
    send(http, standin_meta, {"recipient": {"id": IGSID}, "message": {"text": "later"}})

    assert receiver.deliveries == []
    receiver.wait_for(1, timeout=3)


def test_echo_off(http, standin_meta, receiver):
    standin_meta.control.set_echo(mode="off")
    assert send(http, standin_meta, {"recipient": {"id": IGSID}, "message": {"text": "quiet"}}).status_code == 200
    time.sleep(0.3)
    assert receiver.deliveries == []


def test_no_webhook_url_means_no_echo(http):
    with StandinServer(webhook_url=None) as quiet:
        token = quiet.issue_token()
        response = http.post(f"{quiet.graph_url}/{GRAPH_VERSION}/me/messages",
                             json={"recipient": {"id": IGSID}, "message": {"text": "x"}},
                             headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        time.sleep(0.2)
        assert quiet.control.echoes == []


def test_failed_echo_deliveries_are_retried(http, standin_meta, receiver):
    receiver.status = 500
    standin_meta.control.set_echo(delay=0)
    send(http, standin_meta, {"recipient": {"id": IGSID}, "message": {"text": "retry me"}})

    deliveries = receiver.wait_for(2, timeout=5)
    assert deliveries[0].body == deliveries[1].body  # a redelivery is byte-identical
    attempts = standin_meta.control.wait_for_echoes(2)
    assert [a.status for a in attempts[:2]] == [500, 500]


def test_customer_profile_is_deterministic(http, standin_meta):
    token = standin_meta.issue_token()
    fields = ("name,username,profile_pic,follower_count,is_user_follow_business,"
              "is_business_follow_user,is_verified_user")
    first = http.get(f"{standin_meta.graph_url}/{GRAPH_VERSION}/{IGSID}", params={"fields": fields},
                     headers={"Authorization": f"Bearer {token}"})
    second = http.get(f"{standin_meta.graph_url}/{GRAPH_VERSION}/{IGSID}", params={"fields": fields, "access_token": token})

    assert first.status_code == 200
    assert first.json() == second.json()
    expected = customer_profile(IGSID)
    body = first.json()
    assert body["id"] == IGSID
    assert body["name"] == expected.name and body["username"] == expected.username
    assert body["follower_count"] == expected.follower_count
    assert isinstance(body["is_user_follow_business"], bool)
    avatar = http.get(body["profile_pic"])
    assert avatar.status_code == 200 and avatar.content.startswith(b"<svg")


def test_some_customers_have_no_name_or_picture(http, standin_meta):
    anonymous = next(str(n) for n in range(10**15, 10**15 + 1000) if customer_profile(str(n)).name is None)
    body = http.get(f"{standin_meta.graph_url}/{GRAPH_VERSION}/{anonymous}", params={"fields": "name,profile_pic,username"},
                    headers={"Authorization": f"Bearer {standin_meta.issue_token()}"}).json()
    assert body["name"] is None and body["profile_pic"] is None and body["username"]


def test_customer_profile_of_a_non_numeric_id_is_an_error(http, standin_meta):
    response = http.get(f"{standin_meta.graph_url}/{GRAPH_VERSION}/nobody", params={"fields": "name"},
                        headers={"Authorization": f"Bearer {standin_meta.issue_token()}"})
    assert response.json()["error"]["code"] == 100


def test_conversations_list_the_built_in_history_newest_first(http, standin_meta):
    # The paging and the messages are tested with the import, in tests/demo/test_demo_history_import.py.
    from app.standin.history import BUILT_IN

    response = http.get(f"{standin_meta.graph_url}/{GRAPH_VERSION}/{ACCOUNT.ig_user_id}/conversations",
                        params={"platform": "instagram"}, headers={"Authorization": f"Bearer {standin_meta.issue_token()}"})
    body = response.json()
    assert len(body["data"]) == len(BUILT_IN) and "next" not in body["paging"]
    updated = [conversation["updated_time"] for conversation in body["data"]]
    assert updated == sorted(updated, reverse=True)


def test_inbound_event_is_delivered_signed_like_meta(receiver):
    from app.standin import deliver, encode_payload, inbound_event

    body = encode_payload(inbound_event(ig_user_id=ACCOUNT.ig_user_id, igsid=IGSID, text="Do you ship to Lisbon?"))
    assert deliver(receiver.url, body, APP_SECRET)

    [delivery] = receiver.wait_for(1)
    assert_signed(delivery)
    entry, item = only_messaging(delivery)
    assert entry["id"] == ACCOUNT.ig_user_id
    assert item["sender"] == {"id": IGSID} and item["recipient"] == {"id": ACCOUNT.ig_user_id}
    assert item["message"]["mid"].startswith("aWdf") and "is_echo" not in item["message"]
