"""The connect flow against the stand-in: consent page, code, tokens, /me, subscriptions."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from app.standin import business_account
from tests.meta_kit import GRAPH_VERSION
from tests.standin.standin_testkit import APP_SECRET, CLIENT_ID, REDIRECT_URI, allow, authorize_params, code_from, connect


def exchange(http, meta, auth_code, /, **overrides):
    form = {"client_id": CLIENT_ID, "client_secret": APP_SECRET, "grant_type": "authorization_code",
            "redirect_uri": REDIRECT_URI, "code": auth_code}
    form.update(overrides)
    return http.post(f"{meta.api_url}/oauth/access_token", data=form)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_consent_page_lists_the_app_and_requested_scopes(http, standin_meta):
    page = http.get(standin_meta.authorize_url, params=authorize_params(
        scope="instagram_business_basic,instagram_business_manage_messages,instagram_business_manage_comments"))

    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
    assert f"Allow App {CLIENT_ID} to access your Instagram professional account" in page.text
    for scope in ("instagram_business_basic", "instagram_business_manage_messages",
                  "instagram_business_manage_comments"):
        assert f'data-scope="{scope}"' in page.text
    # Allow is the form's first submit button, so pressing Enter means Allow.
    assert -1 < page.text.index('id="allow"') < page.text.index('id="cancel"')
    assert 'name="username"' in page.text and "demo.boutique" in page.text
    assert "script-src" not in page.headers["Content-Security-Policy"]  # default-src 'none' covers it


def test_consent_page_escapes_everything_it_echoes(http, standin_meta):
    evil = '"><script>alert(1)</script>'
    page = http.get(standin_meta.authorize_url, params=authorize_params(state=evil, client_id=evil))

    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text
    assert "&#34;&gt;&lt;script&gt;" in page.text  # inside the hidden state field too


@pytest.mark.parametrize("missing", ["client_id", "redirect_uri", "response_type"])
def test_consent_page_refuses_incomplete_requests(http, standin_meta, missing):
    page = http.get(standin_meta.authorize_url, params=authorize_params(**{missing: None}))

    assert page.status_code == 400
    assert f"Missing parameter: {missing}" in page.text
    assert 'id="allow"' not in page.text


@pytest.mark.parametrize("overrides, problem", [
    ({"response_type": "token"}, "Invalid response_type"),
    ({"redirect_uri": "javascript:alert(1)"}, "Invalid redirect_uri"),
    ({"scope": "instagram_business_basic,publish_everything"}, "Invalid Scopes: publish_everything"),
    ({"scope": "instagram_business_manage_messages"}, "instagram_business_basic is required"),
])
def test_consent_page_refuses_invalid_requests(http, standin_meta, overrides, problem):
    page = http.get(standin_meta.authorize_url, params=authorize_params(**overrides))

    assert page.status_code == 400
    assert problem in page.text


def test_allow_redirects_with_code_state_and_trailing_hash(http, standin_meta):
    response = allow(http, standin_meta, redirect_uri=REDIRECT_URI + "?keep=1")

    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    assert location.endswith("#_")
    query = parse_qs(urlsplit(location).query)
    assert query["keep"] == ["1"]
    assert query["state"] == ["st-123"]
    assert query["code"][0].startswith("AQSTAND.")


def test_allow_rejects_an_invalid_username(http, standin_meta):
    response = allow(http, standin_meta, username="not a username!")

    assert response.status_code == 400
    assert "valid Instagram username" in response.text
    assert "Location" not in response.headers


def test_cancel_redirects_with_access_denied(http, standin_meta):
    form = authorize_params()
    form["decision"] = "cancel"
    response = http.post(standin_meta.authorize_url, data=form, allow_redirects=False)

    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["error"] == ["access_denied"]
    assert query["error_reason"] == ["user_denied"]
    assert query["error_description"] == ["The user denied your request."]
    assert query["state"] == ["st-123"]
    assert "code" not in query


def test_full_connect_dance(http, standin_meta):
    account = business_account("demo.boutique")
    code = code_from(allow(http, standin_meta, "Demo.Boutique"))  # Instagram usernames are case-insensitive

    short = exchange(http, standin_meta, code)
    assert short.status_code == 200
    data = short.json()["data"][0]
    assert data["access_token"].startswith("IGSTAND.")
    # As at Meta, the code exchange names the app-scoped id, not the webhook id.
    assert data["user_id"] == account.app_user_id
    assert data["permissions"] == "instagram_business_basic,instagram_business_manage_messages"

    long_lived = http.get(f"{standin_meta.graph_url}/access_token", params={
        "grant_type": "ig_exchange_token", "client_secret": APP_SECRET, "access_token": data["access_token"]})
    assert long_lived.status_code == 200
    assert long_lived.json()["token_type"] == "bearer"
    assert long_lived.json()["expires_in"] == 5_184_000
    token = long_lived.json()["access_token"]

    me = http.get(f"{standin_meta.graph_url}/{GRAPH_VERSION}/me",
                  params={"fields": "user_id,username,name,profile_picture_url"}, headers=bearer(token))
    assert me.status_code == 200
    assert me.json() == {
        "user_id": account.ig_user_id,
        "username": "demo.boutique",
        "name": "Demo Boutique",
        "profile_picture_url": f"{standin_meta.graph_url}/_standin/avatar/account/demo.boutique.svg",
        "id": account.app_user_id,
    }
    assert http.get(me.json()["profile_picture_url"]).headers["Content-Type"].startswith("image/svg+xml")

    refreshed = http.get(f"{standin_meta.graph_url}/refresh_access_token",
                         params={"grant_type": "ig_refresh_token", "access_token": token})
    assert refreshed.status_code == 200
    assert refreshed.json()["expires_in"] == 5_184_000
    assert refreshed.json()["access_token"] != token

    subscribe = http.post(f"{standin_meta.graph_url}/{GRAPH_VERSION}/{account.ig_user_id}/subscribed_apps",
                          params={"subscribed_fields": "messages,message_reactions,messaging_seen"},
                          headers=bearer(refreshed.json()["access_token"]))
    assert subscribe.json() == {"success": True}


def test_me_without_fields_and_with_access_token_param(http, standin_meta):
    token = standin_meta.issue_token("demo.studio")
    me = http.get(f"{standin_meta.graph_url}/{GRAPH_VERSION}/me", params={"access_token": token})

    assert set(me.json()) == {"user_id", "username", "name", "profile_picture_url", "id"}
    assert me.json()["username"] == "demo.studio"


def test_me_rejects_unknown_fields(http, standin_meta):
    me = http.get(f"{standin_meta.graph_url}/{GRAPH_VERSION}/me", params={"fields": "user_id,password"},
                  headers=bearer(standin_meta.issue_token()))
    assert me.status_code == 400
    assert me.json()["error"]["code"] == 100


def test_a_code_works_once(http, standin_meta):
    code = code_from(allow(http, standin_meta))
    assert exchange(http, standin_meta, code).status_code == 200

    again = exchange(http, standin_meta, code)
    assert again.status_code == 400
    assert again.json() == {"error_type": "OAuthException", "code": 400,
                            "error_message": "This authorization code has been used."}


@pytest.mark.parametrize("overrides, message", [
    ({"code": "AQSTAND.forged.signature"}, "Invalid authorization code"),
    ({"redirect_uri": "http://elsewhere.test/cb"}, "redirect_uri is identical"),
    ({"client_secret": "wrong"}, "Error validating client secret."),
    ({"grant_type": "client_credentials"}, "Invalid grant_type"),
    ({"client_id": "999"}, "Invalid platform app"),
    ({"code": ""}, "Missing required field code"),
])
def test_code_exchange_errors_use_the_flat_shape(http, standin_meta, overrides, message):
    code = code_from(allow(http, standin_meta))
    response = exchange(http, standin_meta, code, **overrides)

    assert response.status_code == 400
    body = response.json()
    assert body["error_type"] == "OAuthException" and body["code"] == 400
    assert message in body["error_message"]


def test_an_expired_code_is_refused(http, standin_meta):
    code = code_from(allow(http, standin_meta))
    standin_meta.control.advance_clock(3601)

    response = exchange(http, standin_meta, code)
    assert response.json()["error_message"] == "This authorization code has expired."


def test_exchange_requires_the_client_secret(http, standin_meta):
    short = standin_meta.issue_token(kind="short")
    response = http.get(f"{standin_meta.graph_url}/access_token", params={
        "grant_type": "ig_exchange_token", "client_secret": "nope", "access_token": short})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 101


def test_short_lived_tokens_cannot_be_refreshed(http, standin_meta):
    response = http.get(f"{standin_meta.graph_url}/refresh_access_token",
                        params={"grant_type": "ig_refresh_token", "access_token": standin_meta.issue_token(kind="short")})
    assert response.json()["error"]["code"] == 100


def test_an_expired_token_cannot_be_refreshed(http, standin_meta):
    token = standin_meta.issue_token()
    standin_meta.control.advance_clock(61 * 86400)

    response = http.get(f"{standin_meta.graph_url}/refresh_access_token",
                        params={"grant_type": "ig_refresh_token", "access_token": token})
    error = response.json()["error"]
    assert (error["code"], error["error_subcode"]) == (190, 463)


def test_refresh_minimum_age_can_be_enforced(http):
    from app.standin import StandinServer

    with StandinServer(config={"STANDIN_REFRESH_MIN_AGE": 86400}) as strict:
        token = strict.issue_token()
        params = {"grant_type": "ig_refresh_token", "access_token": token}
        assert http.get(f"{strict.graph_url}/refresh_access_token", params=params).status_code == 400
        strict.control.advance_clock(86400)
        assert http.get(f"{strict.graph_url}/refresh_access_token", params=params).status_code == 200


def test_subscribed_apps_lists_and_unsubscribes(http, standin_meta):
    tokens = connect(http, standin_meta)
    url = f"{standin_meta.graph_url}/{GRAPH_VERSION}/{tokens['me']['user_id']}/subscribed_apps"
    headers = bearer(tokens["long"])

    assert http.get(url, headers=headers).json() == {"data": []}
    http.post(url, params={"subscribed_fields": "messages,messaging_seen"}, headers=headers)
    listed = http.get(url, headers=headers).json()["data"]
    assert listed[0]["subscribed_fields"] == ["messages", "messaging_seen"]
    assert listed[0]["id"] == CLIENT_ID

    assert http.delete(url, headers=headers).json() == {"success": True}
    assert http.get(url, headers=headers).json() == {"data": []}


def test_subscribing_needs_valid_fields(http, standin_meta):
    token = standin_meta.issue_token()
    url = f"{standin_meta.graph_url}/{GRAPH_VERSION}/me/subscribed_apps"

    missing = http.post(url, headers=bearer(token))
    assert missing.status_code == 400 and "subscribed_fields is required" in missing.json()["error"]["message"]
    unknown = http.post(url, params={"subscribed_fields": "messages,everything"}, headers=bearer(token))
    assert unknown.json()["error"]["code"] == 100


def test_another_accounts_node_is_refused(http, standin_meta):
    token = standin_meta.issue_token("demo.boutique")
    other = business_account("demo.studio").ig_user_id

    response = http.post(f"{standin_meta.graph_url}/{GRAPH_VERSION}/{other}/subscribed_apps",
                         params={"subscribed_fields": "messages"}, headers=bearer(token))
    error = response.json()["error"]
    assert (error["code"], error["error_subcode"]) == (100, 33)


@pytest.mark.parametrize("token, code, subcode", [
    (None, 104, None),
    ("garbage", 190, None),
    ("IGSTAND.e30.AAAA", 190, None),
])
def test_me_with_a_bad_token(http, standin_meta, token, code, subcode):
    headers = bearer(token) if token else {}
    response = http.get(f"{standin_meta.graph_url}/{GRAPH_VERSION}/me", headers=headers)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "OAuthException"
    assert error["code"] == code
    assert error.get("error_subcode") == subcode
    assert error["fbtrace_id"]


def test_revoked_tokens_fail_until_reconnected(http, standin_meta):
    tokens = connect(http, standin_meta)
    standin_meta.control.revoke(tokens["me"]["user_id"])

    response = http.get(f"{standin_meta.graph_url}/{GRAPH_VERSION}/me", headers=bearer(tokens["long"]))
    error = response.json()["error"]
    assert (error["code"], error["error_subcode"]) == (190, 458)

    fresh = connect(http, standin_meta)
    assert http.get(f"{standin_meta.graph_url}/{GRAPH_VERSION}/me", headers=bearer(fresh["long"])).status_code == 200


def test_unknown_paths_and_versions_answer_in_graph_shape(http, standin_meta):
    token = standin_meta.issue_token()
    for url in (f"{standin_meta.graph_url}/{GRAPH_VERSION}/me/nothing/here", f"{standin_meta.graph_url}/latest/me"):
        response = http.get(url, headers=bearer(token))
        assert response.status_code == 400
        assert response.json()["error"]["code"] == 2500
    wrong_method = http.put(f"{standin_meta.graph_url}/{GRAPH_VERSION}/me", headers=bearer(token))
    assert wrong_method.json()["error"]["code"] == 2500
