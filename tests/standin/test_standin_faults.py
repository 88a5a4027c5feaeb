"""Fault injection and the request log of StandinControl."""

from __future__ import annotations

import time

import pytest

from tests.meta_kit import GRAPH_VERSION
from tests.standin.standin_testkit import APP_SECRET, CLIENT_ID, REDIRECT_URI

IGSID = "5512345678901234"
TEXT = {"recipient": {"id": IGSID}, "message": {"text": "hello"}}


def send(http, meta, token, body=TEXT):
    return http.post(f"{meta.graph_url}/{GRAPH_VERSION}/me/messages", json=body,
                     headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def token(standin_meta):
    return standin_meta.issue_token()


def test_graph_error_answers_the_next_n_matching_requests(http, standin_meta, token, receiver):
    standin_meta.control.graph_error(r"/messages$", code=10, subcode=2534022, times=2,
                                     message="(#10) This message is sent outside of allowed window.")

    for _ in range(2):
        response = send(http, standin_meta, token)
        assert response.status_code == 400
        error = response.json()["error"]
        assert error == {"message": "(#10) This message is sent outside of allowed window.",
                         "type": "OAuthException", "code": 10, "error_subcode": 2534022,
                         "fbtrace_id": error["fbtrace_id"]}
    assert send(http, standin_meta, token).status_code == 200
    # Only the successful send is echoed.
    assert len(receiver.wait_for(1)) == 1
    assert standin_meta.control.pending_faults() == []


def test_graph_error_with_a_chosen_status_and_default_message(http, standin_meta, token):
    standin_meta.control.graph_error(r"/me$", code=2, status=503)

    response = http.get(f"{standin_meta.graph_url}/{GRAPH_VERSION}/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == 2
    assert "error_subcode" not in response.json()["error"]
    assert "retry" in response.json()["error"]["message"]


def test_graph_error_on_the_api_part_uses_the_flat_shape(http, standin_meta):
    standin_meta.control.graph_error(r"^/oauth/access_token$", code=400, message="Matching code was not found")

    response = http.post(f"{standin_meta.api_url}/oauth/access_token", data={
        "client_id": CLIENT_ID, "client_secret": APP_SECRET, "grant_type": "authorization_code",
        "redirect_uri": REDIRECT_URI, "code": "whatever"})
    assert response.status_code == 400
    assert response.json() == {"error_type": "OAuthException", "code": 400,
                               "error_message": "Matching code was not found"}


def test_server_error_is_a_bare_5xx(http, standin_meta, token):
    standin_meta.control.server_error(r"/messages$", status=502)

    response = send(http, standin_meta, token)
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert send(http, standin_meta, token).status_code == 200


def test_rate_limit_answers_429_with_retry_after(http, standin_meta, token):
    standin_meta.control.rate_limit(r"/messages$", retry_after=7, code=613)

    response = send(http, standin_meta, token)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["error"]["code"] == 613


def test_delay_holds_the_answer_back(http, standin_meta, token):
    standin_meta.control.delay(r"/messages$", 0.4)

    started = time.monotonic()
    assert send(http, standin_meta, token).status_code == 200
    assert time.monotonic() - started >= 0.4

    started = time.monotonic()
    send(http, standin_meta, token)
    assert time.monotonic() - started < 0.4


def test_a_delay_longer_than_the_client_timeout_is_a_timeout(http, standin_meta, token):
    import requests

    standin_meta.control.delay(r"/messages$", 1.0)
    with pytest.raises(requests.Timeout):
        http.post(f"{standin_meta.graph_url}/{GRAPH_VERSION}/me/messages", json=TEXT,
                  headers={"Authorization": f"Bearer {token}"}, timeout=0.2)


def test_delay_combines_with_an_error(http, standin_meta, token):
    standin_meta.control.delay(r"/messages$", 0.3)
    standin_meta.control.server_error(r"/messages$", status=503)

    started = time.monotonic()
    assert send(http, standin_meta, token).status_code == 503
    assert time.monotonic() - started >= 0.3


def test_faults_can_be_narrowed_by_method_part_and_predicate(http, standin_meta, token):
    control = standin_meta.control
    control.graph_error(r"/subscribed_apps$", code=200, method="DELETE", times=None)
    control.graph_error(r"/messages$", code=551, when=lambda r: r.json["message"]["text"] == "boom")
    headers = {"Authorization": f"Bearer {token}"}

    assert http.post(f"{standin_meta.graph_url}/{GRAPH_VERSION}/me/subscribed_apps",
                     params={"subscribed_fields": "messages"}, headers=headers).status_code == 200
    assert http.delete(f"{standin_meta.graph_url}/{GRAPH_VERSION}/me/subscribed_apps", headers=headers).status_code == 400
    assert http.delete(f"{standin_meta.graph_url}/{GRAPH_VERSION}/me/subscribed_apps", headers=headers).status_code == 400

    assert send(http, standin_meta, token).status_code == 200
    boom = send(http, standin_meta, token, {"recipient": {"id": IGSID}, "message": {"text": "boom"}})
    assert boom.json()["error"]["code"] == 551


def test_faults_apply_to_the_consent_page_too(http, standin_meta):
    standin_meta.control.server_error(r"^/$", part="authorize", status=503, body="Down for maintenance")

    response = http.get(standin_meta.authorize_url, params={"client_id": CLIENT_ID})
    assert response.status_code == 503
    assert response.text == "Down for maintenance"


def test_every_request_is_recorded_with_authorization_redacted(http, standin_meta, token):
    standin_meta.control.graph_error(r"/messages$", code=1)
    send(http, standin_meta, token)
    http.get(f"{standin_meta.graph_url}/{GRAPH_VERSION}/me", params={"fields": "username"},
             headers={"Authorization": f"Bearer {token}"})

    faulted, me = standin_meta.control.requests
    assert faulted.part == "graph" and faulted.method == "POST"
    assert faulted.path == f"/{GRAPH_VERSION}/me/messages" and faulted.full_path == f"/graph/{GRAPH_VERSION}/me/messages"
    assert faulted.json == TEXT
    assert faulted.headers["Authorization"] == "Bearer [redacted]"
    assert token not in repr(faulted)
    assert faulted.account == standin_meta.account("demo.boutique").ig_user_id
    assert faulted.fault == "graph_error"
    assert me.query == {"fields": "username"} and me.fault is None

    assert [r.path for r in standin_meta.control.requests_to(r"/me$", method="GET")] == [f"/{GRAPH_VERSION}/me"]


def test_form_bodies_are_recorded(http, standin_meta):
    http.post(f"{standin_meta.api_url}/oauth/access_token", data={"client_id": CLIENT_ID, "code": "x"})

    [recorded] = standin_meta.control.requests_to(r"oauth", part="api")
    assert recorded.form == {"client_id": CLIENT_ID, "code": "x"}
    assert recorded.json is None


def test_reset_forgets_everything(http, standin_meta, token):
    control = standin_meta.control
    control.graph_error(r".", code=1, times=None)
    control.revoke(standin_meta.account("demo.boutique").ig_user_id)
    control.set_echo(mode="off")
    send(http, standin_meta, token)

    control.reset()

    assert control.requests == [] and control.pending_faults() == []
    assert control.echo_mode is None
    assert send(http, standin_meta, token).status_code == 200


def test_invalid_fault_arguments_are_refused(standin_meta):
    with pytest.raises(ValueError):
        standin_meta.control.server_error(r".", status=404)
    with pytest.raises(ValueError):
        standin_meta.control.graph_error(r".", code=1, part="elsewhere")
    with pytest.raises(ValueError):
        standin_meta.control.delay(r".", 1, times=0)
