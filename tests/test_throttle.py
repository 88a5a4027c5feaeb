"""Rate limits through Flask-Limiter: the client address comes from the proxy hops the deploy
really has (F-05), and without Redis the app says at start-up that counts are per process."""
from __future__ import annotations

import logging

import pytest

from app import create_app
from app.extensions import db
from tests.conftest import _clean_database, base_config, csrf_token_from


def _app(database_url, **config):
    return create_app(dict(base_config(database_url), LOGIN_CLIENT_LIMITS="3 per minute", **config))


def _fail_logins(app, forwarded_for: list[str], remote_addr="10.9.9.9"):
    """Each request in its own app context, as in a server (no test-wide context sharing `g`)."""
    client = app.test_client()
    statuses = []
    for n, forwarded in enumerate(forwarded_for):
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"email": f"guess{n}@example.com", "password": "nope", "csrf_token": token},
                               headers={"X-Forwarded-For": forwarded}, environ_base={"REMOTE_ADDR": remote_addr})
        statuses.append(response.status_code)
    return statuses


@pytest.fixture
def cleanup(database_url):
    yield
    app = create_app(base_config(database_url))
    with app.app_context():
        db.session.remove()
        _clean_database()


def test_run_directly_a_forged_forwarded_for_changes_nothing(database_url, cleanup):
    app = _app(database_url, TRUSTED_PROXY_HOPS=0)
    statuses = _fail_logins(app, [f"198.51.100.{n}" for n in range(5)])
    assert statuses == [401, 401, 401, 429, 429]


def test_behind_one_router_the_address_it_appended_counts(database_url, cleanup):
    app = _app(database_url, TRUSTED_PROXY_HOPS=1)
    # The client forges entries on the left; the router appends the real address on the right.
    statuses = _fail_logins(app, [f"198.51.100.{n}, 203.0.113.5" for n in range(5)])
    assert statuses == [401, 401, 401, 429, 429]
    # Another real client behind the same router is not affected.
    assert _fail_logins(app, ["203.0.113.6"]) == [401]


def test_without_redis_the_start_says_limits_are_per_process(database_url, caplog):
    with caplog.at_level(logging.WARNING, logger="app.throttle"):
        create_app(dict(base_config(database_url), TESTING=False))
    assert any("rate limits are kept per process" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="app.throttle"):
        create_app(dict(base_config(database_url), TESTING=False, REDIS_URL="redis://127.0.0.1:1/0"))
    assert not any("per process" in r.getMessage() for r in caplog.records)
