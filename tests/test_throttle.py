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


def test_without_redis_the_first_request_says_limits_are_per_process(database_url, caplog):
    """Said once by a process that serves requests; not at start-up, where every command printed
    it (and `flask --app app push keys >> .env` wrote it into .env)."""
    with caplog.at_level(logging.WARNING, logger="app.throttle"):
        app = create_app(dict(base_config(database_url), TESTING=False))
        assert not any("per process" in r.getMessage() for r in caplog.records)
        client = app.test_client()
        client.get("/login")
        client.get("/login")
    assert [r.getMessage() for r in caplog.records].count(
        "rate limits are kept per process (no REDIS_URL): each web process counts on its own, so a client gets up "
        "to that many times each limit; set REDIS_URL to share them") == 1
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="app.throttle"):
        app = create_app(dict(base_config(database_url), TESTING=False, REDIS_URL="redis://127.0.0.1:1/0"))
        app.test_client().get("/login")
    assert not any("per process" in r.getMessage() for r in caplog.records)


def test_push_keys_prints_only_what_goes_into_env(tmp_path):
    """The README appends its output to .env: a log line in it made every later command warn that
    .env could not be parsed. Run as a newcomer runs it: a real process, no Redis, not testing."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "APP_ENV")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'app.db'}"
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "push", "keys"], cwd=root, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert [line.split("=")[0] for line in lines if not line.startswith("#")] == ["VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY"], lines
