"""No secret reaches the logs (SECURITY_REVIEW F-17): the OAuth `code`, the webhook verify token
and capability URLs appear neither in the app's request log nor in what the Procfile's gunicorn
prints. The gunicorn test runs the Procfile's `web:` line as the platform would."""
from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ("OAUTHCODEsecret123", "VERIFYTOKENsecret456")


def _procfile_web() -> str:
    line = next(l for l in (ROOT / "Procfile").read_text().splitlines() if l.startswith("web:"))
    return line.partition(":")[2].strip()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _secret_requests(base: str, get) -> None:
    get(f"{base}/accounts/instagram/callback?code={SECRETS[0]}&state=abc")
    get(f"{base}/webhooks/instagram?hub.mode=subscribe&hub.verify_token={SECRETS[1]}&hub.challenge=42")


def test_the_app_log_holds_no_query_string_and_no_capability(client, caplog):
    caplog.set_level(logging.INFO, logger="app.request")
    _secret_requests("", client.get)
    client.get("/media/" + "K" * 43)
    client.get("/accounts/instagram/data-deletion/" + "C" * 20)
    lines = "\n".join(r.getMessage() for r in caplog.records if r.name == "app.request")
    assert "/accounts/instagram/callback" in lines and "/media/<key>" in lines
    for secret in SECRETS + ("K" * 43, "C" * 20):
        assert secret not in lines


def test_links_that_open_an_account_are_logged_as_their_route(app, client, factory, caplog):
    """An invite or password-reset link in the log let anyone who reads the logs join the
    workspace or take over the account; an unsubscribe link, turn someone's alerts off. Found by
    a security review: the capability routes were a list, and these were missing from it."""
    from app.extensions import db
    from app.notifications.unsubscribe import unsubscribe_token
    from app.team import lifecycle

    admin = factory.user(role="admin")
    agent = factory.user(admin.workspace, role="agent")
    _, invite = lifecycle.invite(admin.workspace_id, "new@example.com", "admin", admin)
    _, reset = lifecycle.issue_reset(agent, admin)
    db.session.commit()
    unsubscribe = unsubscribe_token(agent.id, ["assigned"])
    caplog.set_level(logging.INFO, logger="app.request")
    for path in (f"/invite/{invite}", f"/reset/{reset}", f"/notifications/unsubscribe/{unsubscribe}"):
        assert client.get(path).status_code == 200, path
    lines = "\n".join(r.getMessage() for r in caplog.records if r.name == "app.request")
    assert "/invite/<token>" in lines and "/reset/<token>" in lines and "/notifications/unsubscribe/<token>" in lines
    for secret in (invite, reset, unsubscribe):
        assert secret not in lines


def test_a_failing_capability_link_logs_its_route_not_its_token(app, client, caplog, monkeypatch):
    from app.team import routes

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(routes.lifecycle, "find_invite", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    caplog.set_level(logging.ERROR)
    assert client.get("/invite/" + "T" * 40).status_code == 500
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Exception on /invite/<token> [GET]" in logged
    assert "T" * 40 not in logged


def test_the_procfile_web_process_prints_no_secret(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INSTAGRAM_", "DATABASE_URL", "REDIS_URL"))}
    # The platform puts the installed packages' commands on PATH; so does this: the venv's bin.
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.update(PORT=str(port), WEB_CONCURRENCY="1", APP_ENV="development", PUBLIC_URL=f"http://127.0.0.1:{port}",
               DATABASE_URL=f"sqlite:///{tmp_path / 'web.sqlite3'}", INSTAGRAM_APP_ID="app-id",
               INSTAGRAM_APP_SECRET="app-secret", INSTAGRAM_VERIFY_TOKEN=SECRETS[1] + "x" * 16)
    out = tmp_path / "web.out"
    with out.open("w") as sink:
        web = subprocess.Popen(["bash", "-c", "exec " + _procfile_web()], cwd=ROOT, env=env, stdout=sink,
                               stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    requests.get(base + "/healthz", timeout=5)
                    break
                # Not listening yet, or listening but still loading the app on a busy machine.
                except (requests.ConnectionError, requests.Timeout):
                    assert web.poll() is None, out.read_text()
                    assert time.monotonic() < deadline, "the web process never listened"
                    time.sleep(0.1)
            _secret_requests(base, lambda url: requests.get(url, timeout=5, allow_redirects=False))
        finally:
            web.terminate()
            web.wait(timeout=15)
    printed = out.read_text()
    assert re.search(r"GET /accounts/instagram/callback 302", printed), printed  # the request was logged
    for secret in SECRETS:
        assert secret not in printed



def test_the_log_names_the_person_without_loading_them_again(app, factory):
    """After a view that committed (its rows expired), the line still names who it was, read from
    the session's row identity with no query of its own; and a person deleted while their request
    ran is still a logged line, not a 500 after the answer was ready."""
    from flask_login import login_user
    from sqlalchemy import event

    from app.extensions import db
    from app.models import User
    from app.ops.request_log import _user_id

    user = factory.user(name="Logan")
    user_id = user.id
    statements: list[str] = []

    def track(conn, cursor, statement, *rest):
        statements.append(statement)

    with app.test_request_context("/settings"):
        assert _user_id() == "-"  # nobody signed in
        login_user(user)
        db.session.execute(User.__table__.delete().where(User.id == user_id))
        db.session.commit()  # expires the signed-in row, which is gone
        event.listen(db.engine, "before_cursor_execute", track)
        try:
            assert _user_id() == str(user_id)
        finally:
            event.remove(db.engine, "before_cursor_execute", track)
    assert statements == []
