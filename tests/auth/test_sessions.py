"""Sessions the server can end (SECURITY_REVIEW F-02): sign-out, a password change and deactivation
stop every copy of the session and remember cookies; "Keep me signed in" is opt-in and expires on
the server's clock, whatever the browser kept."""
from __future__ import annotations

import re
from datetime import timedelta
from email.utils import parsedate_to_datetime

from app.extensions import db
from app.models import utcnow


def _sign_in(client, auth, user, remember=False):
    data = {"email": user.email, "password": "correct-horse-battery", "csrf_token": auth.csrf_token()}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302
    return response


def _cookie(client, name):
    cookie = client.get_cookie(name)
    return cookie.value if cookie else None


def _fresh_client_with(app, **cookies):
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def test_a_copied_session_cookie_stops_working_after_sign_out(app, client, auth, factory):
    user = factory.user()
    _sign_in(client, auth, user)
    stolen = _cookie(client, "session")
    assert _fresh_client_with(app, session=stolen).get("/settings").status_code == 200
    client.post("/logout", data={"csrf_token": auth.csrf_token("/settings")})
    assert _fresh_client_with(app, session=stolen).get("/settings").status_code == 302


def test_remember_cookie_only_when_asked(client, auth, factory):
    user = factory.user()
    response = _sign_in(client, auth, user)
    assert not any(c.startswith("remember_token=") for c in response.headers.getlist("Set-Cookie"))
    client.post("/logout", data={"csrf_token": auth.csrf_token("/settings")})
    response = _sign_in(client, auth, user, remember=True)
    remember = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    assert "HttpOnly" in remember and "Expires=" in remember


def test_a_copied_remember_cookie_stops_working_after_sign_out(app, client, auth, factory):
    user = factory.user()
    _sign_in(client, auth, user, remember=True)
    stolen = _cookie(client, "remember_token")
    assert _fresh_client_with(app, remember_token=stolen).get("/settings").status_code == 200
    client.post("/logout", data={"csrf_token": auth.csrf_token("/settings")})
    assert _fresh_client_with(app, remember_token=stolen).get("/settings").status_code == 302


def test_remember_cookie_expires_on_the_server(app, client, auth, factory, monkeypatch):
    user = factory.user()
    _sign_in(client, auth, user, remember=True)
    kept = _cookie(client, "remember_token")
    from app.auth import sessions

    later = sessions.time.time() + app.config["SESSION_MAX_AGE"].total_seconds() + 60
    monkeypatch.setattr(sessions.time, "time", lambda: later)
    # The browser may keep the cookie (or a thief may): the server no longer honours it.
    assert _fresh_client_with(app, remember_token=kept).get("/settings").status_code == 302


def test_a_password_change_ends_every_session(app, client, auth, factory):
    user = factory.user()
    _sign_in(client, auth, user, remember=True)
    session, remember = _cookie(client, "session"), _cookie(client, "remember_token")
    user.set_password("another-long-password")
    db.session.commit()
    assert _fresh_client_with(app, session=session).get("/settings").status_code == 302
    assert _fresh_client_with(app, remember_token=remember).get("/settings").status_code == 302


def test_deactivation_ends_every_session(app, client, auth, factory):
    user = factory.user()
    _sign_in(client, auth, user, remember=True)
    session, remember = _cookie(client, "session"), _cookie(client, "remember_token")
    user.active = False
    db.session.commit()
    assert _fresh_client_with(app, session=session).get("/settings").status_code == 302
    assert _fresh_client_with(app, remember_token=remember).get("/settings").status_code == 302


def test_a_session_of_the_old_form_signs_in_again(app, client, factory):
    user = factory.user()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(user.id)  # what sessions carried before generations
        sess["_fresh"] = True
    assert client.get("/settings").status_code == 302


def test_the_remember_cookie_lasts_session_max_age(app, client, auth, factory):
    assert app.config["SESSION_MAX_AGE"] == timedelta(days=30)
    response = _sign_in(client, auth, factory.user(), remember=True)
    remember = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", remember).group(1))
    assert abs(expires - (utcnow() + app.config["SESSION_MAX_AGE"])) < timedelta(minutes=1)
