"""Where a history import is started and watched: the Accounts page (admins' button, the progress
fragment htmx polls), connecting an account, `flask accounts import`, and the API's Account."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts import history_pacing
from app.extensions import db
from app.models import AccountImport, AuditEntry, InstagramAccount, Message, utcnow
from tests.accounts.conftest import LONG_TOKEN, ME, PASTED_TOKEN, mock_me, mock_subscribe
from tests.accounts.history_kit import IG, FakeClock, FakeHistory, ago, gmsg
from tests.meta_kit import HX

C1, C2 = "9000000000000011", "9000000000000012"


@pytest.fixture
def clock():
    fake = FakeClock()
    previous = fake.install()
    yield fake
    history_pacing.use_clock(previous)


@pytest.fixture
def history(clock, meta):
    fake = FakeHistory(clock)
    fake.add("c1", C1, [gmsg("m1", C1, "Hello", ago(days=2)), gmsg("m2", C1, "Hi!", ago(days=2, minutes=-3), ours=True)])
    fake.add("c2", C2, [gmsg("m3", C2, "Price?", ago(days=4))])
    fake.register(meta)
    return fake


@pytest.fixture
def workspace(factory):
    return factory.workspace("Acme")


@pytest.fixture
def account(factory, workspace):
    return factory.account(workspace, ig_user_id=IG, username="acme")


def _state(account):
    db.session.expire_all()
    return db.session.scalar(select(AccountImport).where(AccountImport.account_id == account.id))


def _running(account, done=3, total=7):
    db.session.add(AccountImport(account_id=account.id, status="running", run=1, days=30, done=done, total=total,
                                 since=utcnow() - timedelta(days=30), started_at=utcnow()))
    db.session.commit()


# --- the Accounts page ----------------------------------------------------------------------------

def test_an_admin_starts_an_import_from_the_accounts_page(auth, factory, workspace, account, history):
    auth.login(factory.user(workspace, role="admin"))
    page = auth.client.get("/accounts").get_data(as_text=True)
    assert "History import" in page and "Import history" in page
    response = auth.post(f"/accounts/{account.id}/import", {"days": "10"})
    assert response.status_code == 302
    state = _state(account)
    assert (state.status, state.done, state.total, state.days) == ("done", 2, 2, 10)
    assert db.session.scalar(select(func.count()).select_from(Message)) == 3
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) == "account.import"
    page = auth.client.get("/accounts").get_data(as_text=True)
    assert "Imported 2 conversations from the last 10 days" in page and "Import again" in page


def test_the_button_answers_htmx_with_the_section(auth, factory, workspace, account, history):
    auth.login(factory.user(workspace, role="admin"))
    response = auth.post(f"/accounts/{account.id}/import", {"days": "30"}, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'id="import-{account.id}"' in html and "<html" not in html


def test_a_running_import_shows_a_bar_and_polls_itself_until_it_ends(auth, factory, workspace, account):
    _running(account)
    auth.login(factory.user(workspace, role="agent"))
    page = auth.client.get("/accounts").get_data(as_text=True)
    assert f'hx-get="/accounts/{account.id}/import" hx-trigger="every 2s"' in page
    assert 'max="7" value="3"' in page and "3 of 7 conversations" in page
    assert "Import history" not in page  # agents watch, they do not start
    state = _state(account)
    state.status, state.done, state.total, state.finished_at = "done", 7, 7, utcnow()
    db.session.commit()
    fragment = auth.client.get(f"/accounts/{account.id}/import", headers=HX).get_data(as_text=True)
    assert "hx-trigger" not in fragment and "Imported 7 conversations" in fragment


def test_a_failed_import_offers_a_retry_with_the_reason(auth, factory, workspace, account):
    _running(account)
    state = _state(account)
    state.status, state.last_error = "failed", "History import stopped. Instagram answered: Invalid parameter."
    db.session.commit()
    auth.login(factory.user(workspace, role="admin"))
    page = auth.client.get("/accounts").get_data(as_text=True)
    assert "Retry import" in page and "Stopped after 3 of 7 conversations" in page
    assert "Instagram answered: Invalid parameter." in page


def test_a_second_start_while_running_is_refused_politely(auth, factory, workspace, account):
    _running(account)
    auth.login(factory.user(workspace, role="admin"))
    response = auth.post(f"/accounts/{account.id}/import", {"days": "30"}, htmx=True)
    assert response.status_code == 422
    assert "already being imported (3 of 7 conversations so far)" in response.get_data(as_text=True)
    assert _state(account).run == 1
    response = auth.post(f"/accounts/{account.id}/import", {"days": "30"})
    assert response.status_code == 302
    assert "already being imported" in auth.client.get("/accounts").get_data(as_text=True)


def test_a_bad_window_is_refused_with_the_rule(auth, factory, workspace, account):
    auth.login(factory.user(workspace, role="admin"))
    response = auth.post(f"/accounts/{account.id}/import", {"days": "900"}, htmx=True)
    assert response.status_code == 422
    assert "between 1 and 365 days" in response.get_data(as_text=True)
    assert _state(account) is None


def test_agents_may_not_start_an_import(auth, factory, workspace, account):
    auth.login(factory.user(workspace, role="agent"))
    assert auth.post(f"/accounts/{account.id}/import", {"days": "30"}).status_code == 403
    assert _state(account) is None


def test_another_workspace_account_is_not_found(auth, factory, account):
    auth.login(factory.user(factory.workspace(), role="admin"))
    assert auth.post(f"/accounts/{account.id}/import", {"days": "30"}).status_code == 404
    assert auth.client.get(f"/accounts/{account.id}/import").status_code == 404
    assert _state(account) is None


def test_the_button_needs_a_csrf_token(auth, factory, workspace, account):
    auth.login(factory.user(workspace, role="admin"))
    assert auth.client.post(f"/accounts/{account.id}/import", data={"days": "30"}).status_code == 400
    assert _state(account) is None


# --- on connect -----------------------------------------------------------------------------------

def test_connecting_an_account_imports_its_history(app, auth, factory, workspace, meta, clock):
    app.config["HISTORY_IMPORT_ON_CONNECT"] = True
    fake = FakeHistory(clock)
    fake.add("c1", C1, [gmsg("m1", C1, "Hello", ago(days=2))])
    fake.register(meta)
    mock_me(meta, token=PASTED_TOKEN, me={**ME, "user_id": IG})
    mock_subscribe(meta, token=PASTED_TOKEN, ig_user_id=IG)
    auth.login(factory.user(workspace, role="admin"))
    response = auth.post("/accounts/connect-token", {"token": PASTED_TOKEN})
    assert response.status_code == 302
    account = db.session.scalar(select(InstagramAccount).where(InstagramAccount.ig_user_id == IG))
    state = _state(account)
    assert (state.status, state.done) == ("done", 1)
    assert "Importing the last 30 days" in auth.client.get("/accounts").get_data(as_text=True)
    assert LONG_TOKEN not in str(fake.calls)


def test_with_import_on_connect_off_a_connect_imports_nothing(app, auth, factory, workspace, meta):
    mock_me(meta, token=PASTED_TOKEN, me={**ME, "user_id": IG})
    mock_subscribe(meta, token=PASTED_TOKEN, ig_user_id=IG)
    auth.login(factory.user(workspace, role="admin"))
    auth.post("/accounts/connect-token", {"token": PASTED_TOKEN})
    assert db.session.scalar(select(func.count()).select_from(AccountImport)) == 0


# --- the command line -----------------------------------------------------------------------------

def test_the_cli_imports_a_workspace_s_accounts(runner, account, history):
    result = runner.invoke(args=["accounts", "import", "--workspace", "Acme", "--days", "3"])
    assert result.exit_code == 0, result.output
    assert "@acme: import done, 1 of 1 conversations" in result.output
    assert _state(account).days == 3


def test_the_cli_says_what_it_refused(runner, account, factory):
    _running(account)
    result = runner.invoke(args=["accounts", "import", "--workspace", "Acme"])
    assert result.exit_code == 1
    assert "already being imported" in result.output
    assert runner.invoke(args=["accounts", "import", "--workspace", "Nope"]).exit_code == 1
    assert runner.invoke(args=["accounts", "import", "--workspace", "Acme", "--days", "0"]).exit_code == 2


# --- the API --------------------------------------------------------------------------------------

def test_the_api_account_carries_its_import(app, client, factory, workspace, account):
    from app.auth.api_tokens import create_token

    user = factory.user(workspace, role="agent")
    _, secret = create_token(user, "test")
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    other = factory.account(workspace, username="second")
    _running(account, done=3, total=7)
    body = client.get("/api/v1/accounts", headers=headers).get_json()
    imports = {item["id"]: item["import"] for item in body["data"]}
    assert imports == {account.id: {"status": "running", "done": 3, "total": 7},
                       other.id: {"status": "idle", "done": 0, "total": 0}}
