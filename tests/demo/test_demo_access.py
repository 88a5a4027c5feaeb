"""Where demo mode and the simulator exist: the stand-in is mounted only in demo mode, production
refuses demo mode twice over, and the simulator is a 404 wherever a real Meta app is at stake."""
from __future__ import annotations

import pytest

from app import ConfigError, create_app
from app.demo.access import simulator_available
from app.extensions import db
from app.models import WebhookEvent
from tests.conftest import AuthActions, base_config
from tests.demo.conftest import demo_config
from tests.meta_kit import GRAPH_VERSION

PRODUCTION_ENV = {
    "APP_ENV": "production",
    "SECRET_KEY": "pR4x-Lq9Zt_7VbN2mK8wJc5Hs3Ye0Ua6Gd1",
    "TOKEN_ENCRYPTION_KEYS": "x0l3mQ3y3tqI3m1oT0l1Qk2i8YyvR0pC9bq2m8l0Z4s=",
    "PUBLIC_URL": "https://inbox.example.com",
    "INSTAGRAM_APP_SECRET": "real-app-secret",
    "INSTAGRAM_VERIFY_TOKEN": "v" * 40,
    "DATABASE_URL": "sqlite:///:memory:",
}


@pytest.mark.parametrize("config, available", [
    ({"APP_ENV": "test", "DEMO_MODE": True}, True),
    ({"APP_ENV": "development", "DEMO_MODE": True}, True),
    ({"APP_ENV": "development", "DEMO_MODE": False}, True),  # a developer's own Meta app
    ({"APP_ENV": "test", "DEMO_MODE": False}, False),
    ({"APP_ENV": "production", "DEMO_MODE": False}, False),
    ({"APP_ENV": "production", "DEMO_MODE": True}, False),  # even if a config ever claimed both
])
def test_simulator_exists_only_in_demo_mode_or_development(config, available):
    assert simulator_available(config) is available


def test_production_without_a_meta_app_refuses_to_start_and_says_why(monkeypatch):
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("INSTAGRAM_APP_ID", raising=False)
    with pytest.raises(ConfigError, match="INSTAGRAM_APP_ID is required: demo mode"):
        create_app()


def test_production_with_a_meta_app_starts_without_the_stand_in(monkeypatch):
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("INSTAGRAM_APP_ID", "1234567890")
    # A production app without Redis runs its periodic jobs on a thread started by its first
    # request (with REDIS_URL set, as in CI's PostgreSQL pass, the worker's clock runs them). Here
    # that thread would tick against the in-memory database (no tables) for the rest of the test
    # session, logging "no such table" every few seconds. Counted, not started.
    started = []
    monkeypatch.setattr("app.jobs.schedule.start_inline_clock", started.append)
    app = create_app()
    assert app.config["DEMO_MODE"] is False
    assert "standin" not in app.extensions
    assert not [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/_meta")]
    assert app.test_client().get("/demo/simulator").status_code == 404
    assert started == ([app] if app.config["JOBS_INLINE"] else [])


def test_production_refuses_a_config_that_claims_demo_mode(monkeypatch):
    """The second guard: whatever a caller passes to create_app, no stand-in in production."""
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("INSTAGRAM_APP_ID", "1234567890")
    with pytest.raises(ConfigError, match="never enabled in production"):
        create_app({"DEMO_MODE": True})


def test_demo_mode_mounts_the_stand_in_without_login_or_csrf(client):
    consent = client.get("/_meta/authorize", query_string={
        "client_id": "demo-app", "redirect_uri": "http://inbox.test/accounts/instagram/callback",
        "response_type": "code", "scope": "instagram_business_basic,instagram_business_manage_messages"})
    assert consent.status_code == 200
    assert "Allow Instagram Inbox (demo) to access" in consent.text

    # Meta's endpoints take no CSRF token: the stand-in answers in Meta's own error shape.
    exchange = client.post("/_meta/api/oauth/access_token", data={"client_id": "demo-app"})
    assert exchange.status_code == 400
    assert exchange.get_json()["error_message"] == "Missing required field client_secret"
    assert client.get(f"/_meta/graph/{GRAPH_VERSION}/me").get_json()["error"]["code"] == 104


def test_outside_demo_mode_there_is_no_stand_in(database_url, other_app):
    app = other_app(base_config(database_url))
    assert app.test_client().get("/_meta/authorize").status_code == 404
    assert app.test_client().get(f"/_meta/graph/{GRAPH_VERSION}/me").status_code == 404


def _admin_client(app, factory):
    client = app.test_client()
    auth = AuthActions(client, factory)
    auth.login(factory.user(role="admin"))
    return client, auth


def test_simulator_is_404_with_a_meta_app_outside_development(database_url, factory, other_app):
    app = other_app(base_config(database_url))  # test environment, INSTAGRAM_APP_ID set
    client, auth = _admin_client(app, factory)
    assert client.get("/demo/simulator").status_code == 404
    assert auth.post("/demo/simulator", {"kind": "text", "username": "x", "text": "hi"}).status_code == 404
    assert "Simulator" not in client.get("/settings").text


def test_simulator_is_404_in_production_even_for_admins(database_url, factory, other_app):
    app = other_app({**base_config(database_url), "APP_ENV": "production"})
    assert app.test_client().get("/demo/simulator").status_code == 404  # not even a login redirect
    client, auth = _admin_client(app, factory)
    assert client.get("/demo/simulator").status_code == 404
    assert auth.post("/demo/simulator", {"kind": "text", "username": "x", "text": "hi"}).status_code == 404


def test_simulator_exists_in_development_with_a_real_meta_app(database_url, factory, other_app):
    app = other_app({**base_config(database_url), "APP_ENV": "development", "DEMO_MODE": False})
    client, _ = _admin_client(app, factory)
    assert client.get("/demo/simulator").status_code == 200


def test_simulator_needs_a_login(client):
    response = client.get("/demo/simulator")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_agents_cannot_use_the_simulator(client, auth, factory, demo):
    agent = factory.user(demo.workspace, role="agent")
    auth.login(agent)
    assert client.get("/demo/simulator").status_code == 403
    response = auth.post("/demo/simulator", {"kind": "text", "username": "mallory", "text": "hi"})
    assert response.status_code == 403
    assert db.session.query(WebhookEvent).count() == 0
    assert "/demo/simulator" not in client.get("/settings").text


def test_admins_see_the_simulator_in_the_nav(client, auth, demo):
    auth.login(demo.admin)
    page = client.get("/settings").text
    assert 'href="/demo/simulator"' in page
    simulator = client.get("/demo/simulator")
    assert simulator.status_code == 200
    assert "@demo.boutique" in simulator.text


def test_simulator_form_needs_its_csrf_token(client, auth, demo):
    auth.login(demo.admin)
    response = client.post("/demo/simulator", data={"kind": "text", "username": "lena.bakes", "text": "hi"})
    assert response.status_code == 400
    assert "Form expired" in response.text
    assert db.session.query(WebhookEvent).count() == 0


def test_flask_demo_refuses_production(database_url, other_app):
    app = other_app({**demo_config(database_url), "APP_ENV": "production", "DEMO_MODE": False})
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0
    assert "never created in production" in result.output
