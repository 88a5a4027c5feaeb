"""GET /webhooks/log and its Replay button: admins only, own workspace only, CSRF on replay."""
from __future__ import annotations

import json

import pytest

from app.extensions import db
from app.instagram import payloads as p
from app.models import Message, WebhookEvent, utcnow
from tests.conftest import csrf_token_from
from tests.webhooks.helpers import T0, only, post, rows

C = "6543210987654321"


def message_body(account, mid="m1", text="hello"):
    return p.delivery(p.entry(account.ig_user_id, [p.text_message(account.ig_user_id, C, mid, text, T0)]))


def stored_failed(account, mid="m-failed", text="stuck") -> WebhookEvent:
    """A delivery an earlier version could not apply (kept failed, as the route would leave it)."""
    row = WebhookEvent(body=json.dumps(message_body(account, mid, text)).encode(), status="failed",
                       error="RuntimeError: bug of the day", attempts=1, ig_account_ids=account.ig_user_id,
                       workspace_id=account.workspace_id, received_at=utcnow())
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def setup(client, factory):
    workspace = factory.workspace()
    account = factory.account(workspace, username="ourshop")
    admin = factory.user(workspace, role="admin")
    agent = factory.user(workspace, role="agent")
    other_account = factory.account(username="theirshop")
    post(client, message_body(account, "m1", "<b>bold</b> & <script>x()</script>"))
    post(client, message_body(other_account, "m2", "other workspace secret"))
    post(client, p.dashboard_test())
    post(client, b"not json at all")
    return workspace, account, admin, agent, other_account


def test_admin_sees_own_deliveries_with_escaped_bodies(client, auth, setup):
    workspace, account, admin, *_ = setup
    auth.login(admin)
    response = client.get("/webhooks/log")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "@ourshop" in html
    assert "applied" in html
    assert "&lt;script&gt;x()&lt;/script&gt;" in html and "<script>x()" not in html
    assert "<details>" in html and "Raw body" in html
    # Other workspaces, unknown accounts and unattributable bodies are not shown.
    assert "other workspace secret" not in html and "theirshop" not in html
    assert "random_text" not in html and "not json at all" not in html


def test_agents_get_403_and_anonymous_users_the_login(client, auth, setup):
    *_, agent, _ = setup
    assert client.get("/webhooks/log").status_code == 302
    auth.login(agent)
    response = client.get("/webhooks/log")
    assert response.status_code == 403
    assert "text/html" in response.content_type  # a page, not Meta's JSON
    row = only_for(setup[1])
    assert auth.post(f"/webhooks/log/{row.id}/replay").status_code == 403


def only_for(account):
    return next(r for r in rows(WebhookEvent) if r.workspace_id == account.workspace_id)


def test_filter_by_status(client, auth, setup):
    workspace, account, admin, *_ = setup
    stored_failed(account)
    auth.login(admin)
    failed = client.get("/webhooks/log?status=failed").get_data(as_text=True)
    assert "bug of the day" in failed and "&lt;script&gt;" not in failed
    applied = client.get("/webhooks/log?status=applied").get_data(as_text=True)
    assert "bug of the day" not in applied and "&lt;script&gt;" in applied
    assert client.get("/webhooks/log?status=bogus").status_code == 400


def test_replay_applies_a_failed_delivery(client, auth, setup):
    workspace, account, admin, *_ = setup
    row = stored_failed(account, "m-retry", "applied on replay")
    auth.login(admin)
    page = client.get("/webhooks/log?status=failed").get_data(as_text=True)
    assert f"/webhooks/log/{row.id}/replay" in page
    token = csrf_token_from(page)
    response = client.post(f"/webhooks/log/{row.id}/replay", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(WebhookEvent, row.id)
    assert row.status == "applied" and row.attempts == 2 and row.error is None
    assert db.session.query(Message).filter_by(mid="m-retry").one().text == "applied on replay"
    followed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Delivery #{row.id} was applied." in followed


def test_replay_needs_csrf(client, auth, setup):
    workspace, account, admin, *_ = setup
    row = stored_failed(account)
    auth.login(admin)
    response = client.post(f"/webhooks/log/{row.id}/replay")
    assert response.status_code == 400
    assert db.session.get(WebhookEvent, row.id).status == "failed"


def test_replay_of_another_workspaces_delivery_is_404(client, auth, setup):
    workspace, account, admin, agent, other_account = setup
    theirs = stored_failed(other_account)
    unknown = next(r for r in rows(WebhookEvent) if r.workspace_id is None)
    auth.login(admin)
    assert auth.post(f"/webhooks/log/{theirs.id}/replay").status_code == 404
    assert auth.post(f"/webhooks/log/{unknown.id}/replay").status_code == 404
    assert db.session.get(WebhookEvent, theirs.id).status == "failed"


def test_ignored_delivery_of_a_reconnected_account_can_be_replayed(client, auth, factory):
    workspace = factory.workspace()
    account = factory.account(workspace, status="disconnected")
    admin = factory.user(workspace, role="admin")
    post(client, message_body(account))
    row = only(WebhookEvent)
    assert row.status == "ignored" and row.workspace_id == workspace.id
    account.status = "active"
    db.session.commit()
    auth.login(admin)
    assert "Replay" in client.get("/webhooks/log?status=ignored").get_data(as_text=True)
    auth.post(f"/webhooks/log/{row.id}/replay")
    db.session.expire_all()
    assert db.session.get(WebhookEvent, row.id).status == "applied"
    assert only(Message).text == "hello"


def test_big_bodies_are_cut_on_the_page(client, auth, factory):
    workspace = factory.workspace()
    account = factory.account(workspace)
    admin = factory.user(workspace, role="admin")
    post(client, message_body(account, text="z" * 30_000))
    auth.login(admin)
    html = client.get("/webhooks/log").get_data(as_text=True)
    assert "Cut short here" in html
    assert html.count("z") < 25_000


def test_pages_of_older_deliveries(client, auth, factory):
    workspace = factory.workspace()
    account = factory.account(workspace)
    admin = factory.user(workspace, role="admin")
    for n in range(52):
        post(client, message_body(account, mid=f"m{n}", text=f"number-{n}-"))
    auth.login(admin)
    first = client.get("/webhooks/log").get_data(as_text=True)
    assert "number-51-" in first and "number-1-" not in first
    assert "Older deliveries" in first
    oldest = min(r.id for r in rows(WebhookEvent))
    second = client.get(f"/webhooks/log?before={oldest + 2}").get_data(as_text=True)
    assert "number-0-" in second and "number-1-" in second and "Older deliveries" not in second


def test_admin_menu_links_to_the_log(client, auth, factory):
    workspace = factory.workspace()
    auth.login(factory.user(workspace, role="admin"))
    assert "/webhooks/log" in client.get("/settings").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": auth.csrf_token("/settings")})
    auth.login(factory.user(workspace, role="agent"))
    assert "/webhooks/log" not in client.get("/settings").get_data(as_text=True)
