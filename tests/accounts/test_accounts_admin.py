"""The accounts page for admins and agents: status, Test connection, Retry subscription,
Disconnect, the reauthorization banner, and who may do what."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import responses
from responses import matchers

from app.accounts.lifecycle import mark_reauth_required
from app.extensions import db
from app.instagram.client import AccountNotConnected, account_token
from app.models import Conversation, InstagramAccount, Message, utcnow
from tests.accounts.conftest import ME, mock_me, mock_subscribe, subscribe_url
from tests.meta_kit import HX, graph_error, success_ok

TOKEN = "stored-secret-FFF555"


@pytest.fixture
def admin(auth):
    return auth.login()


@pytest.fixture
def account(admin, factory):
    return factory.account(workspace=admin.workspace, ig_user_id=ME["user_id"], username="acme.shop", token=TOKEN)


def reload(account) -> InstagramAccount:
    db.session.expire_all()
    return db.session.get(InstagramAccount, account.id)


def page(client, path="/accounts") -> str:
    return client.get(path).get_data(as_text=True)


# --- the status list ------------------------------------------------------------------------

def test_status_list_shows_every_fact(client, account, leaks):
    account.profile_picture_url = "https://cdn.example.com/p.jpg"
    account.last_webhook_at = utcnow() - timedelta(minutes=5)
    account.token_expires_at = utcnow() + timedelta(days=41, hours=1)
    account.last_error = "Test connection failed. Instagram answered: boom."
    db.session.commit()
    html = leaks.add(client.get("/accounts")).get_data(as_text=True)
    assert "@acme.shop" in html and 'src="https://cdn.example.com/p.jpg"' in html
    assert "pill--active" in html and "in 41 days" in html
    assert "Subscribed" in html and "5m" in html
    assert "Instagram answered: boom." in html
    for action in ("Connect Instagram account", "Test connection", "Disconnect", "Connect with token"):
        assert action in html
    leaks.assert_clean(TOKEN)


def test_list_fragment_for_htmx_keeps_the_block(client, account):
    response = client.get("/accounts", headers=HX)
    html = response.get_data(as_text=True)
    assert "@acme.shop" in html and "<html" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_accounts_of_other_workspaces_are_not_listed(client, admin, factory):
    factory.account(username="someone.else")
    assert "someone.else" not in page(client)


# --- Test connection ------------------------------------------------------------------------

def test_test_connection_success(client, auth, account, meta_strict, leaks):
    mock_me(meta_strict, token=TOKEN, me={**ME, "username": "acme.renamed"})
    leaks.add(auth.post(f"/accounts/{account.id}/test"))
    html = leaks.add(client.get("/accounts")).get_data(as_text=True)
    assert "The connection works: Instagram answered as @acme.renamed." in html
    assert reload(account).username == "acme.renamed"
    leaks.assert_clean(TOKEN)


def test_test_connection_190_marks_reauth_required(client, auth, account, meta_strict, leaks):
    mock_me(meta_strict, token=TOKEN, **graph_error(190, 460, "Error validating access token"))
    leaks.add(auth.post(f"/accounts/{account.id}/test"))
    html = leaks.add(client.get("/accounts")).get_data(as_text=True)
    assert reload(account).status == "reauth_required"
    assert "no longer accepts the access token" in html
    assert "must be reconnected" in html  # the banner
    leaks.assert_clean(TOKEN)


def test_test_connection_other_failure_is_reported_and_recorded(client, auth, account, meta_strict):
    mock_me(meta_strict, token=TOKEN, status=500, json={"error": {"message": "Service temporarily unavailable", "code": 2}})
    auth.post(f"/accounts/{account.id}/test")
    assert "Test connection failed" in page(client)
    assert reload(account).status == "active" and "could not be reached" in reload(account).last_error


def test_test_connection_success_lifts_a_stale_reauth(client, auth, account, meta_strict):
    mark_reauth_required(account.id, "old reason")
    db.session.commit()
    mock_me(meta_strict, token=TOKEN)
    auth.post(f"/accounts/{account.id}/test")
    row = reload(account)
    assert row.status == "active" and row.last_error is None


def test_test_connection_of_a_disconnected_account(client, auth, admin, factory, meta_strict):
    gone = factory.account(workspace=admin.workspace, token=None, status="disconnected")
    auth.post(f"/accounts/{gone.id}/test")
    assert "is not connected" in page(client)
    assert len(meta_strict.calls) == 0


# --- Retry subscription ---------------------------------------------------------------------

def test_retry_subscription(client, auth, account, meta_strict):
    account.webhook_subscribed = False
    account.last_error = "The webhook subscription failed, so new messages will not arrive."
    db.session.commit()
    assert "is not receiving new messages" in page(client, "/")
    mock_subscribe(meta_strict, token=TOKEN, ig_user_id=account.ig_user_id)
    auth.post(f"/accounts/{account.id}/subscribe")
    row = reload(account)
    assert row.webhook_subscribed and row.last_error is None
    assert "subscribed to webhooks again" in page(client)
    assert "is not receiving new messages" not in page(client, "/")


def test_retry_subscription_failure(client, auth, account, meta_strict):
    account.webhook_subscribed = False
    db.session.commit()
    mock_subscribe(meta_strict, token=TOKEN, ig_user_id=account.ig_user_id, **graph_error(200, message="Permissions error", status=403))
    auth.post(f"/accounts/{account.id}/subscribe")
    assert "Webhook subscription failed" in page(client)
    assert reload(account).webhook_subscribed is False


# --- Disconnect -----------------------------------------------------------------------------

def test_disconnect_unsubscribes_erases_token_and_keeps_history(client, auth, account, factory, meta_strict, leaks):
    conversation = factory.conversation(account=account)
    factory.message(conversation, text="Do you ship to Lisbon?")
    meta_strict.add(responses.DELETE, subscribe_url(account.ig_user_id), **success_ok(),
                    match=[matchers.header_matcher({"Authorization": f"Bearer {TOKEN}"})])
    response = leaks.add(auth.post(f"/accounts/{account.id}/disconnect"))
    assert response.status_code == 302
    row = reload(account)
    assert row.status == "disconnected" and row.token_encrypted is None
    assert row.webhook_subscribed is False and row.token_expires_at is None
    with pytest.raises(AccountNotConnected):
        account_token(row)
    assert db.session.get(Conversation, conversation.id) is not None
    assert db.session.query(Message).filter_by(conversation_id=conversation.id).count() == 1
    html = leaks.add(client.get("/accounts")).get_data(as_text=True)
    assert "is disconnected" in html and "Reconnect" in html
    # Nothing arrives from it: comments are not "On", and there is no auto-assignment to edit.
    card = " ".join(html[html.index(f'@{row.username}'):].split())
    assert "<dt>Comments</dt> <dd>off (disconnected)</dd>" in card and "Save assignment" not in card
    assert "Do you ship to Lisbon?" in leaks.add(client.get(f"/conversations/{conversation.id}")).get_data(as_text=True)
    leaks.assert_clean(TOKEN)


def test_disconnect_still_happens_when_unsubscribe_fails(client, auth, account, meta_strict, caplog):
    caplog.set_level(logging.WARNING)
    meta_strict.add(responses.DELETE, subscribe_url(account.ig_user_id), **graph_error(190, message="Session has expired"))
    auth.post(f"/accounts/{account.id}/disconnect")
    row = reload(account)
    assert row.status == "disconnected" and row.token_encrypted is None
    assert "could not be told to stop sending" in page(client)
    assert "unsubscribing account" in caplog.text and TOKEN not in caplog.text


def test_disconnect_is_idempotent(client, auth, account, meta_strict):
    meta_strict.add(responses.DELETE, subscribe_url(account.ig_user_id), **success_ok())
    auth.post(f"/accounts/{account.id}/disconnect")
    auth.post(f"/accounts/{account.id}/disconnect")
    assert len(meta_strict.calls) == 1 and reload(account).status == "disconnected"


# --- the reauthorization banner -------------------------------------------------------------

def test_banner_shows_admins_a_reconnect_on_every_page(client, account, factory, admin):
    mark_reauth_required(account.id, "Send: Instagram no longer accepts this account's access token.")
    db.session.commit()
    for path in ("/", "/leads", "/accounts", "/settings"):
        html = page(client, path)
        assert "@acme.shop must be reconnected" in html, path
        assert 'href="/accounts/connect"' in html
    assert "pill--reauth_required" in page(client)


def test_banner_is_not_shown_to_agents_or_other_workspaces(client, auth, account, factory, admin):
    mark_reauth_required(account.id, "dead")
    other_ws_account = factory.account(username="elsewhere")
    mark_reauth_required(other_ws_account.id, "dead too")
    db.session.commit()
    assert "elsewhere must be reconnected" not in page(client, "/")
    client.post("/logout", data={"csrf_token": auth.csrf_token("/settings")})
    auth.login(factory.user(workspace=admin.workspace, role="agent"))
    html = page(client, "/")
    assert "must be reconnected" not in html


def test_no_banner_when_all_is_well(client, account):
    assert 'id="account-attention"' not in page(client, "/")


def test_inbound_keeps_working_for_a_reauth_account(client, account, factory):
    """Reauthorization needs no token for what is already stored: the thread stays readable."""
    conversation = factory.conversation(account=account)
    factory.message(conversation, text="still here")
    mark_reauth_required(account.id, "dead")
    db.session.commit()
    assert "still here" in page(client, f"/conversations/{conversation.id}")


# --- permissions ----------------------------------------------------------------------------

@pytest.fixture
def agent_client(client, auth, factory, account):
    client.post("/logout", data={"csrf_token": auth.csrf_token("/settings")})
    auth.login(factory.user(workspace=account.workspace, role="agent"))
    return client


def test_agents_see_the_list_without_admin_actions(agent_client, account):
    html = page(agent_client)
    assert "@acme.shop" in html and "pill--active" in html
    for action in ("Connect Instagram account", "Test connection", "Disconnect", "Connect with token",
                   "Retry subscription", "Reconnect", 'name="token"'):
        assert action not in html


@pytest.mark.parametrize("method,path", [
    ("get", "/accounts/connect"),
    ("get", "/accounts/instagram/callback?code=x&state=y"),
    ("post", "/accounts/connect-token"),
    ("post", "/accounts/{id}/test"),
    ("post", "/accounts/{id}/subscribe"),
    ("post", "/accounts/{id}/disconnect"),
])
def test_agents_are_refused_admin_routes(agent_client, auth, account, meta_strict, method, path):
    path = path.format(id=account.id)
    if method == "get":
        response = agent_client.get(path)
    else:
        response = auth.post(path, {"token": "whatever-secret"})
    assert response.status_code == 403
    assert reload(account).status == "active" and reload(account).token_encrypted
    assert len(meta_strict.calls) == 0


@pytest.mark.parametrize("action", ["test", "subscribe", "disconnect"])
def test_admin_actions_on_another_workspace_account_are_404(client, auth, admin, factory, meta_strict, action):
    other = factory.account()
    assert auth.post(f"/accounts/{other.id}/{action}").status_code == 404
    assert len(meta_strict.calls) == 0


@pytest.mark.parametrize("path", ["/accounts/{id}/test", "/accounts/{id}/disconnect", "/accounts/connect-token"])
def test_admin_posts_need_csrf(client, account, meta_strict, path):
    assert client.post(path.format(id=account.id), data={"token": "pasted-secret"}).status_code == 400
    row = reload(account)
    assert (row.status, row.last_error, account_token(row)) == ("active", None, TOKEN)
    assert db.session.query(InstagramAccount).count() == 1 and len(meta_strict.calls) == 0


@pytest.mark.parametrize("path", ["/accounts/connect", "/accounts/instagram/callback"])
def test_connect_needs_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
