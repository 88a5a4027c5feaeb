"""Connect with a pasted token (form and CLI), key rotation, and the daily token refresh."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import responses
from cryptography.fernet import Fernet
from responses import matchers
from sqlalchemy import func, select

from app.accounts.jobs import refresh_expiring_tokens
from app.accounts.tokens import refresh_account_token
from app.extensions import db
from app.instagram.client import account_token
from app.jobs.schedule import PERIODIC_JOBS
from app.models import InstagramAccount, utcnow
from app.token_crypto import TokenDecryptError, token_cipher
from tests.accounts.conftest import (
    IG_USER_ID,
    PASTED_TOKEN,
    REFRESH_URL,
    mock_me,
    mock_subscribe,
)
from tests.meta_kit import graph_error


def accounts() -> list[InstagramAccount]:
    db.session.expire_all()
    return db.session.scalars(select(InstagramAccount).order_by(InstagramAccount.id)).all()


# --- the connect-token form ---------------------------------------------------------------

def test_connect_token_form_connects_with_unknown_expiry(client, auth, meta_strict, leaks):
    user = auth.login()
    mock_me(meta_strict, token=PASTED_TOKEN)
    mock_subscribe(meta_strict, token=PASTED_TOKEN)
    response = leaks.add(auth.post("/accounts/connect-token", {"token": f"  {PASTED_TOKEN}\n"}))
    assert response.status_code == 302
    page = leaks.add(client.get("/accounts")).get_data(as_text=True)
    (account,) = accounts()
    assert account.workspace_id == user.workspace_id and account.ig_user_id == IG_USER_ID
    assert account_token(account) == PASTED_TOKEN
    assert account.token_expires_at is None and account.token_refreshed_at is not None
    assert "@acme.shop is connected" in page
    assert "expiry not known yet" in page
    leaks.assert_clean()


def test_connect_token_form_with_a_dead_token_stores_nothing(client, auth, meta_strict, leaks):
    auth.login()
    mock_me(meta_strict, token=PASTED_TOKEN, **graph_error(190, message="Error validating access token"))
    leaks.add(auth.post("/accounts/connect-token", {"token": PASTED_TOKEN}))
    page = leaks.add(client.get("/accounts")).get_data(as_text=True)
    assert "invalid or expired" in page
    assert accounts() == []
    leaks.assert_clean()


@pytest.mark.parametrize("token,message", [("", "Enter the access token"), ("two words", "does not look like")])
def test_connect_token_form_rejects_blank_or_malformed_input_without_calling_meta(client, auth, meta_strict, token, message):
    auth.login()
    auth.post("/accounts/connect-token", {"token": token})
    assert message in client.get("/accounts").get_data(as_text=True)
    assert accounts() == [] and len(meta_strict.calls) == 0


# --- flask accounts connect-token ---------------------------------------------------------

def test_cli_connect_token(runner, factory, meta_strict, caplog):
    caplog.set_level(logging.DEBUG)
    workspace = factory.workspace("Acme")
    mock_me(meta_strict, token=PASTED_TOKEN)
    mock_subscribe(meta_strict, token=PASTED_TOKEN)
    result = runner.invoke(args=["accounts", "connect-token", "--workspace", "Acme", "--token", PASTED_TOKEN])
    assert result.exit_code == 0, result.output
    assert "connected @acme.shop" in result.output and "webhooks subscribed" in result.output
    (account,) = accounts()
    assert account.workspace_id == workspace.id and account_token(account) == PASTED_TOKEN
    assert PASTED_TOKEN not in result.output and PASTED_TOKEN not in caplog.text


def test_cli_connect_token_reconnects_in_place(runner, factory, meta_strict):
    workspace = factory.workspace("Acme")
    existing = factory.account(workspace=workspace, ig_user_id=IG_USER_ID, status="reauth_required")
    mock_me(meta_strict, token=PASTED_TOKEN)
    mock_subscribe(meta_strict, token=PASTED_TOKEN)
    result = runner.invoke(args=["accounts", "connect-token", "--workspace", "Acme", "--token", PASTED_TOKEN])
    assert result.exit_code == 0 and "reconnected" in result.output
    (account,) = accounts()
    assert account.id == existing.id and account.status == "active" and account_token(account) == PASTED_TOKEN


def test_cli_connect_token_unknown_workspace(runner, meta_strict):
    result = runner.invoke(args=["accounts", "connect-token", "--workspace", "Nope", "--token", PASTED_TOKEN])
    assert result.exit_code != 0 and "no workspace named 'Nope'" in result.output
    assert accounts() == []


def test_cli_connect_token_bad_token(runner, factory, meta_strict):
    factory.workspace("Acme")
    mock_me(meta_strict, token=PASTED_TOKEN, **graph_error(190))
    result = runner.invoke(args=["accounts", "connect-token", "--workspace", "Acme", "--token", PASTED_TOKEN])
    assert result.exit_code != 0 and "invalid or expired" in result.output
    assert PASTED_TOKEN not in result.output
    assert accounts() == []


def test_cli_connect_token_other_workspace_refused(runner, factory, meta_strict):
    factory.workspace("Acme")
    factory.account(ig_user_id=IG_USER_ID)
    mock_me(meta_strict, token=PASTED_TOKEN)
    result = runner.invoke(args=["accounts", "connect-token", "--workspace", "Acme", "--token", PASTED_TOKEN])
    assert result.exit_code != 0 and "another workspace" in result.output
    assert len(accounts()) == 1


def test_cli_connect_token_subscription_failure_stores_and_exits_nonzero(runner, factory, meta_strict):
    factory.workspace("Acme")
    mock_me(meta_strict, token=PASTED_TOKEN)
    mock_subscribe(meta_strict, token=PASTED_TOKEN, status=500, json={"error": {"message": "oops", "code": 2}})
    result = runner.invoke(args=["accounts", "connect-token", "--workspace", "Acme", "--token", PASTED_TOKEN])
    assert result.exit_code == 1
    assert "connected @acme.shop" in result.output and "webhook subscription failed" in result.output
    (account,) = accounts()
    assert account.webhook_subscribed is False and account.last_error


def test_cli_connect_token_prompts_when_token_is_omitted(runner, factory, meta_strict):
    factory.workspace("Acme")
    mock_me(meta_strict, token=PASTED_TOKEN)
    mock_subscribe(meta_strict, token=PASTED_TOKEN)
    result = runner.invoke(args=["accounts", "connect-token", "--workspace", "Acme"], input=PASTED_TOKEN + "\n")
    assert result.exit_code == 0, result.output
    assert PASTED_TOKEN not in result.output  # hidden input is not echoed


# --- flask accounts rotate-keys ------------------------------------------------------------

def use_keys(app, *keys):
    app.config["TOKEN_ENCRYPTION_KEYS"] = list(keys)
    app.extensions.pop("token_cipher", None)


def test_rotate_keys(app, runner, factory):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    use_keys(app, old)
    first = factory.account(token="first-secret-111")
    second = factory.account(token="second-secret-222")
    disconnected = factory.account(token=None, status="disconnected")

    # A new key in front: tokens written under the old key still decrypt.
    use_keys(app, new, old)
    assert account_token(db.session.get(InstagramAccount, first.id)) == "first-secret-111"

    result = runner.invoke(args=["accounts", "rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 2 token(s)" in result.output

    # After rotation only the new key is needed.
    use_keys(app, new)
    assert account_token(db.session.get(InstagramAccount, first.id)) == "first-secret-111"
    assert account_token(db.session.get(InstagramAccount, second.id)) == "second-secret-222"
    assert db.session.get(InstagramAccount, disconnected.id).token_encrypted is None
    # And the old key alone no longer opens them.
    use_keys(app, old)
    with pytest.raises(TokenDecryptError):
        token_cipher().decrypt(db.session.get(InstagramAccount, first.id).token_encrypted)


def test_rotate_keys_reports_tokens_no_key_opens(app, runner, factory):
    lost, kept = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    use_keys(app, lost)
    orphan = factory.account(token="orphan-secret-333")
    use_keys(app, kept)
    fine = factory.account(token="fine-secret-444")
    result = runner.invoke(args=["accounts", "rotate-keys"])
    assert result.exit_code != 0
    assert "re-encrypted 1 token(s)" in result.output and f"account(s) {orphan.id}" in result.output
    assert "orphan-secret-333" not in result.output
    assert account_token(db.session.get(InstagramAccount, fine.id)) == "fine-secret-444"


# --- the daily refresh ----------------------------------------------------------------------

def aged_account(factory, token, *, refreshed_ago=timedelta(days=2), expires_in=timedelta(days=10), **fields):
    account = factory.account(token=token, **fields)
    now = utcnow()
    account.token_refreshed_at = now - refreshed_ago if refreshed_ago is not None else None
    account.token_expires_at = now + expires_in if expires_in is not None else None
    db.session.commit()
    return account


def mock_refresh(meta, token, new_token=None, **failure):
    meta.add(responses.GET, REFRESH_URL,
             **(failure or {"json": {"access_token": new_token, "token_type": "bearer", "expires_in": 5184000}}),
             match=[matchers.query_param_matcher({"grant_type": "ig_refresh_token", "access_token": token})])


def test_periodic_job_is_registered_daily():
    job = next(j for j in PERIODIC_JOBS if j.path == "app.accounts.jobs:refresh_expiring_tokens")
    assert job.every_seconds == 24 * 3600 and job.resolve() is refresh_expiring_tokens


def test_refresh_picks_exactly_the_due_tokens(app, factory, meta_strict, caplog):
    caplog.set_level(logging.DEBUG)
    due = aged_account(factory, "due-secret-1")
    unknown_expiry = aged_account(factory, "unknown-secret-2", expires_in=None)
    never_refreshed = aged_account(factory, "legacy-secret-3", refreshed_ago=None)
    far = aged_account(factory, "far-secret-4", expires_in=timedelta(days=30))
    young = aged_account(factory, "young-secret-5", refreshed_ago=timedelta(hours=3))
    expired = aged_account(factory, "expired-secret-6", expires_in=timedelta(hours=-1))
    reauth = aged_account(factory, "reauth-secret-7", status="reauth_required")
    gone = aged_account(factory, None, status="disconnected")
    demo = aged_account(factory, "demo-secret-8")
    demo.is_demo = True
    db.session.commit()
    mock_refresh(meta_strict, "due-secret-1", "due-new-1")
    mock_refresh(meta_strict, "unknown-secret-2", "unknown-new-2")
    mock_refresh(meta_strict, "legacy-secret-3", "legacy-new-3")

    before = utcnow()
    assert refresh_expiring_tokens() == 3

    by_id = {a.id: a for a in accounts()}
    for account, new in ((due, "due-new-1"), (unknown_expiry, "unknown-new-2"), (never_refreshed, "legacy-new-3")):
        row = by_id[account.id]
        assert account_token(row) == new
        assert row.token_refreshed_at >= before
        assert abs((row.token_expires_at - (before + timedelta(days=60))).total_seconds()) < 60
    for account, token in ((far, "far-secret-4"), (young, "young-secret-5"), (demo, "demo-secret-8")):
        assert account_token(by_id[account.id]) == token and by_id[account.id].status == "active"
    assert by_id[expired.id].status == "reauth_required"
    assert "expired" in by_id[expired.id].last_error
    assert by_id[reauth.id].status == "reauth_required" and by_id[gone.id].status == "disconnected"
    assert len(meta_strict.calls) == 3
    for secret in ("due-secret-1", "due-new-1", "unknown-new-2", "legacy-secret-3"):
        assert secret not in caplog.text

    # Idempotent: run again at once, nothing is due any more.
    assert refresh_expiring_tokens() == 0


def test_refresh_190_marks_reauth_required(app, factory, meta_strict):
    account = aged_account(factory, "dying-secret-1")
    mock_refresh(meta_strict, "dying-secret-1", **graph_error(190, 463, "Error validating access token: session expired"))
    refresh_expiring_tokens()
    (row,) = accounts()
    assert row.status == "reauth_required" and account_token(row) == "dying-secret-1"
    assert "Token refresh" in row.last_error and "dying-secret-1" not in row.last_error


def test_refresh_other_failure_is_recorded_and_account_stays_active(app, factory, meta_strict):
    aged_account(factory, "bad-secret-1")
    mock_refresh(meta_strict, "bad-secret-1", **graph_error(100, message="Unsupported request"))
    refresh_expiring_tokens()
    (row,) = accounts()
    assert row.status == "active" and "Token refresh failed" in row.last_error
    assert "Unsupported request" in row.last_error
    assert len(meta_strict.calls) == 1  # not retryable: not retried


def test_refresh_transient_failure_is_retried_then_recorded(app, factory, meta_strict, caplog):
    aged_account(factory, "flaky-secret-1")
    mock_refresh(meta_strict, "flaky-secret-1", status=503, body="unavailable")
    refresh_expiring_tokens()
    (row,) = accounts()
    assert row.status == "active" and "could not be reached" in row.last_error
    assert len(meta_strict.calls) == 4  # the first try and the three retries of REFRESH_RETRY
    assert "flaky-secret-1" not in caplog.text


def test_refresh_success_clears_a_previous_refresh_error(app, factory, meta_strict):
    account = aged_account(factory, "ok-secret-1")
    account.last_error = "Token refresh failed on 1 Jan 2025 00:00 UTC. Instagram could not be reached."
    db.session.commit()
    mock_refresh(meta_strict, "ok-secret-1", "ok-new-1")
    assert refresh_account_token(account.id) is True
    (row,) = accounts()
    assert row.last_error is None and account_token(row) == "ok-new-1"


def test_refresh_job_skips_an_account_no_longer_due(app, factory, meta_strict):
    account = aged_account(factory, "young-secret-1", refreshed_ago=timedelta(minutes=5))
    assert refresh_account_token(account.id) is False
    assert len(meta_strict.calls) == 0


def test_refresh_runs_on_a_real_worker(app, queued, factory, meta_strict):
    account_id = aged_account(factory, "queued-secret-1").id
    mock_refresh(meta_strict, "queued-secret-1", "queued-new-1")
    assert refresh_expiring_tokens() == 1
    assert queued.depth() == 1 and len(meta_strict.calls) == 0
    queued.work()
    assert account_token(db.session.get(InstagramAccount, account_id)) == "queued-new-1"


def test_admins_see_an_expiring_account_whose_refresh_fails(client, auth, factory, meta_strict):
    user = auth.login()
    aged_account(factory, "late-secret-1", workspace=user.workspace, expires_in=timedelta(days=3))
    mock_refresh(meta_strict, "late-secret-1", **graph_error(100, message="Unsupported request"))
    refresh_expiring_tokens()
    page = client.get("/").get_data(as_text=True)
    assert "could not be refreshed automatically" in page and "Reconnect @" in page
    assert db.session.scalar(select(func.count()).select_from(InstagramAccount)) == 1
