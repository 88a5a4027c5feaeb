"""Connect button and OAuth callback: exact requests to Meta, state checks, every failure."""
from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.instagram.client import account_token
from app.models import InstagramAccount, utcnow
from tests.accounts.conftest import (
    CODE,
    IG_USER_ID,
    LONG_TOKEN,
    ME,
    mock_oauth,
    start_connect,
)
from tests.conftest import csrf_token_from
from tests.meta_kit import AUTHORIZE_URL, GRAPH_VERSION, graph_error

CALLBACK = "/accounts/instagram/callback"


def account_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(InstagramAccount))


def callback(client, leaks, state, code=CODE, **extra):
    response = leaks.add(client.get(CALLBACK, query_string={"code": code, "state": state, **extra}))
    return response


def follow(client, leaks, response) -> str:
    """The /accounts page the callback redirected to, with its flash messages."""
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts"
    return leaks.add(client.get("/accounts")).get_data(as_text=True)


def test_connect_redirects_to_instagram_with_state_bound_to_the_session(client, auth):
    auth.login()
    response = client.get("/accounts/connect")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == AUTHORIZE_URL
    query = parse_qs(location.query)
    assert query["client_id"] == ["test-app-id"]
    assert query["redirect_uri"] == ["http://inbox.test/accounts/instagram/callback"]
    assert query["response_type"] == ["code"]
    assert query["scope"] == ["instagram_business_basic,instagram_business_manage_messages,instagram_business_manage_comments"]
    state = query["state"][0]
    assert len(state) >= 32
    with client.session_transaction() as session:
        stored = session["accounts_oauth_state"]
    assert stored["value"] == state and stored["expires_at"] > time.time() + 500
    # A second click makes a new, different state.
    assert start_connect(client) != state


def test_redirect_uri_falls_back_to_the_request_host(app, client, auth, factory):
    app.config["PUBLIC_URL"] = None
    host = "https://crm.example.org"
    user = factory.user(password="correct-horse-battery")
    # Signed in on that host: the session cookie belongs to it.
    token = csrf_token_from(client.get("/login", base_url=host).get_data(as_text=True))
    client.post("/login", base_url=host, headers={"Referer": f"{host}/login"},  # https: CSRF checks the referrer
                data={"email": user.email, "password": "correct-horse-battery", "csrf_token": token})
    response = client.get("/accounts/connect", base_url=host)
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["redirect_uri"] == ["https://crm.example.org/accounts/instagram/callback"]


def test_happy_path_exact_requests_and_stored_account(client, auth, meta_strict, leaks):
    user = auth.login()
    state = start_connect(client)
    mock_oauth(meta_strict)
    before = utcnow()
    page = follow(client, leaks, callback(client, leaks, state, code=CODE + "#_"))

    assert [c.request.method + " " + urlsplit(c.request.url).path for c in meta_strict.calls] == [
        "POST /oauth/access_token", "GET /access_token", f"GET /{GRAPH_VERSION}/me",
        f"POST /{GRAPH_VERSION}/{IG_USER_ID}/subscribed_apps"]
    account = db.session.scalar(select(InstagramAccount))
    assert account.workspace_id == user.workspace_id
    assert (account.ig_user_id, account.username, account.name) == (IG_USER_ID, "acme.shop", "Acme Shop")
    assert account.profile_picture_url == "https://cdn.example.com/acme.jpg"
    assert account.status == "active" and account.webhook_subscribed and account.last_error is None
    assert LONG_TOKEN not in account.token_encrypted and account_token(account) == LONG_TOKEN
    assert abs((account.token_expires_at - (before + timedelta(seconds=5183944))).total_seconds()) < 60
    assert before <= account.token_refreshed_at <= utcnow()
    assert "@acme.shop is connected" in page
    assert 'src="https://cdn.example.com/acme.jpg"' in page
    # Granted without the comments permission: it says so and offers Reconnect.
    assert account.granted_scopes == ["instagram_business_basic"]
    assert "Comments off — reconnect to enable" in page and ">Reconnect<" in page
    leaks.assert_clean()


def test_connect_with_the_comments_permission_turns_comments_on(client, auth, meta_strict, leaks):
    auth.login()
    state = start_connect(client)
    mock_oauth(meta_strict, permissions="instagram_business_basic,instagram_business_manage_messages,"
                                        "instagram_business_manage_comments")
    page = follow(client, leaks, callback(client, leaks, state, code=CODE))
    account = db.session.scalar(select(InstagramAccount))
    assert "instagram_business_manage_comments" in account.granted_scopes
    assert "Comments off" not in page and ">Reconnect<" not in page
    assert "<dt>Comments</dt>\n        <dd>On</dd>" in page


def test_reconnect_updates_the_same_account_in_place(client, auth, meta_strict, factory, leaks):
    user = auth.login()
    old = factory.account(workspace=user.workspace, ig_user_id=IG_USER_ID, username="old.name",
                          token="old-dead-token-XYZ", status="reauth_required")
    old.last_error = "Token refresh: Instagram no longer accepts this account's access token."
    old.webhook_subscribed = False
    db.session.commit()
    conversation = factory.conversation(account=old)
    mock_oauth(meta_strict)
    page = follow(client, leaks, callback(client, leaks, start_connect(client)))
    assert account_count() == 1
    account = db.session.get(InstagramAccount, old.id)
    assert account.status == "active" and account.last_error is None and account.webhook_subscribed
    assert account.username == "acme.shop" and account_token(account) == LONG_TOKEN
    assert conversation.account_id == account.id  # history stays with the account
    assert "@acme.shop is reconnected" in page
    leaks.assert_clean("old-dead-token-XYZ")


def test_account_of_another_workspace_is_refused(client, auth, meta_strict, factory, leaks):
    other = factory.account(ig_user_id=IG_USER_ID, username="acme.shop", token="theirs-secret-EEE")
    auth.login()
    mock_oauth(meta_strict, until="me")  # subscribing must not even be tried
    page = follow(client, leaks, callback(client, leaks, start_connect(client)))
    assert "already connected to another workspace" in page
    assert account_count() == 1
    db.session.expire_all()
    kept = db.session.get(InstagramAccount, other.id)
    assert account_token(kept) == "theirs-secret-EEE" and kept.workspace_id == other.workspace_id
    leaks.assert_clean("theirs-secret-EEE")


@pytest.mark.parametrize("case", ["missing", "wrong", "reused", "expired", "no_session", "other_user"])
def test_bad_state_is_400_and_stores_nothing(client, auth, factory, meta_strict, leaks, case):
    user = auth.login()
    state = start_connect(client)
    if case == "missing":
        response = leaks.add(client.get(CALLBACK, query_string={"code": CODE}))
    elif case == "wrong":
        response = callback(client, leaks, state[:-2] + "xx")
    elif case == "reused":
        mock_oauth(meta_strict)
        assert callback(client, leaks, state).status_code == 302
        response = callback(client, leaks, state)
    elif case == "expired":
        with client.session_transaction() as session:
            stored = dict(session["accounts_oauth_state"])
            stored["expires_at"] = time.time() - 1
            session["accounts_oauth_state"] = stored
        response = callback(client, leaks, state)
    elif case == "no_session":
        with client.session_transaction() as session:
            del session["accounts_oauth_state"]
        response = callback(client, leaks, state)
    else:
        with client.session_transaction() as session:
            stored = dict(session["accounts_oauth_state"])
            stored["user_id"] = user.id + 1000
            session["accounts_oauth_state"] = stored
        response = callback(client, leaks, state)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Nothing was connected" in body and "Connect Instagram account" in body
    assert account_count() == (1 if case == "reused" else 0)
    leaks.assert_clean()


def test_wrong_state_also_consumes_the_good_one(client, auth, meta_strict, leaks):
    auth.login()
    state = start_connect(client)
    assert callback(client, leaks, "forged-state").status_code == 400
    assert callback(client, leaks, state).status_code == 400
    assert account_count() == 0


def test_denied_consent_shows_a_readable_message(client, auth, leaks):
    auth.login()
    state = start_connect(client)
    response = leaks.add(client.get(CALLBACK, query_string={
        "error": "access_denied", "error_reason": "user_denied",
        "error_description": "The user denied your request.", "state": state}))
    page = follow(client, leaks, response)
    assert "Instagram connection cancelled" in page
    assert "The user denied your request." in page
    assert account_count() == 0
    # The state was used up by the denial.
    assert callback(client, leaks, state).status_code == 400


def test_error_without_our_state_does_not_echo_the_crafted_description(client, auth, leaks):
    auth.login()
    response = leaks.add(client.get(CALLBACK, query_string={
        "error": "access_denied", "error_description": "Call +1 555 0100 to fix your account"}))
    page = follow(client, leaks, response)
    assert "Instagram connection cancelled" in page
    assert "555 0100" not in page


def test_missing_code_with_good_state(client, auth, leaks):
    auth.login()
    state = start_connect(client)
    page = follow(client, leaks, leaks.add(client.get(CALLBACK, query_string={"state": state})))
    assert "did not send an authorization code" in page
    assert account_count() == 0


FAILURES = [
    ("code", {"status": 400, "json": {"error_type": "OAuthException", "code": 400,
                                      "error_message": "Invalid authorization code"}},
     "The Instagram sign-in could not be completed", "Invalid authorization code"),
    ("code", {"status": 503, "body": "upstream down"}, "The Instagram sign-in could not be completed",
     "could not be reached"),
    ("long", graph_error(100, message="Invalid platform app"), "did not issue a long-lived access token", "Invalid platform app"),
    ("long", graph_error(190, message="Session expired"), "did not issue a long-lived access token", "invalid or expired"),
    ("me", graph_error(190, message="Error validating access token"), "invalid or expired", None),
    ("me", {"status": 500, "json": {"error": {"message": "An unknown error occurred", "code": 1}}},
     "Could not read the Instagram account", "could not be reached"),
]


@pytest.mark.parametrize("step,failure,headline,detail", FAILURES)
def test_failure_at_each_meta_call_stores_nothing(client, auth, meta_strict, leaks, step, failure, headline, detail):
    auth.login()
    mock_oauth(meta_strict, fail_at=step, failure=failure)
    page = follow(client, leaks, callback(client, leaks, start_connect(client)))
    assert headline in page
    if detail:
        assert detail in page
    assert 'class="flash flash--error"' in page
    assert account_count() == 0
    leaks.assert_clean()


def test_subscription_failure_keeps_the_valid_token_and_shows_retry(client, auth, meta_strict, leaks):
    """Decision: the token is valid and costly to get again, so the account is stored with
    webhook_subscribed=False, a visible last_error, a banner and a Retry subscription button."""
    auth.login()
    mock_oauth(meta_strict, fail_at="subscribe", failure=graph_error(200, message="Permissions error", status=403))
    page = follow(client, leaks, callback(client, leaks, start_connect(client)))
    account = db.session.scalar(select(InstagramAccount))
    assert account.status == "active" and account.webhook_subscribed is False
    assert account_token(account) == LONG_TOKEN
    assert "webhook subscription failed" in account.last_error
    assert "webhook subscription failed" in page and "Retry subscription" in page
    assert "is not receiving new messages" in page  # the banner
    leaks.assert_clean()


def test_subscription_refusing_the_token_refuses_the_connection(client, auth, meta_strict, leaks):
    auth.login()
    mock_oauth(meta_strict, fail_at="subscribe", failure=graph_error(190, message="Error validating access token"))
    page = follow(client, leaks, callback(client, leaks, start_connect(client)))
    assert "invalid or expired" in page
    assert account_count() == 0


def test_subscription_not_confirmed_counts_as_failure(client, auth, meta_strict, leaks):
    auth.login()
    mock_oauth(meta_strict, fail_at="subscribe", failure={"json": {"success": False}})
    follow(client, leaks, callback(client, leaks, start_connect(client)))
    account = db.session.scalar(select(InstagramAccount))
    assert account.webhook_subscribed is False and account.last_error


def test_me_without_user_id_is_refused(client, auth, meta_strict, leaks):
    auth.login()
    mock_oauth(meta_strict, fail_at="me", failure={"json": {"username": "who"}})
    page = follow(client, leaks, callback(client, leaks, start_connect(client)))
    assert "did not say which account" in page
    assert account_count() == 0


def test_picture_url_that_is_not_http_never_reaches_src(client, auth, meta_strict, leaks):
    auth.login()
    mock_oauth(meta_strict, me={**ME, "profile_picture_url": "javascript:alert(1)", "name": "<b>Acme</b>"})
    page = follow(client, leaks, callback(client, leaks, start_connect(client)))
    assert "javascript:alert" not in page
    assert "<b>Acme</b>" not in page and "&lt;b&gt;Acme&lt;/b&gt;" in page
