"""Sessions the server can end (SECURITY_REVIEW F-02): sign-out stops every copy of this device's
session and remember cookies and leaves the person's other devices signed in; "Sign out
everywhere", a password change and deactivation stop them all; "Keep me signed in" is opt-in and expires on
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


def test_signing_out_on_one_device_leaves_the_others_signed_in(app, client, auth, factory):
    """Sign out ended every session of the person (a rep leaving the shop's tablet lost her
    laptop's reply in progress, found by a walk-through); "Sign out everywhere" is the button for that."""
    from tests.conftest import csrf_token_from

    user = factory.user()
    laptop = app.test_client()
    token = csrf_token_from(laptop.get("/login").get_data(as_text=True))
    assert laptop.post("/login", data={"email": user.email, "password": "correct-horse-battery", "remember": "y",
                                       "csrf_token": token}).status_code == 302
    _sign_in(client, auth, user, remember=True)  # the tablet, in the same second as the laptop
    tablet_session, tablet_remember = _cookie(client, "session"), _cookie(client, "remember_token")
    page = client.post("/logout", data={"csrf_token": auth.csrf_token("/settings")}, follow_redirects=True)
    assert "You are signed out." in page.get_data(as_text=True)
    assert laptop.get("/settings").status_code == 200
    assert _fresh_client_with(app, session=tablet_session).get("/settings").status_code == 302
    assert _fresh_client_with(app, remember_token=tablet_remember).get("/settings").status_code == 302
    # Signing in again on the tablet is a new session, not the one signed out.
    _sign_in(client, auth, user)
    assert client.get("/settings").status_code == 200
    # Everywhere means everywhere.
    laptop_token = csrf_token_from(laptop.get("/settings").get_data(as_text=True))
    assert laptop.post("/settings/sign-out-everywhere", data={"csrf_token": laptop_token}).status_code == 302
    assert client.get("/settings").status_code == 302


def test_signed_out_sessions_are_forgotten_once_their_cookies_expire(app, client, auth, factory):
    from app.jobs.upkeep import prune_signed_out_sessions
    from app.models import SignedOutSession

    user = factory.user()
    _sign_in(client, auth, user)
    client.post("/logout", data={"csrf_token": auth.csrf_token("/settings")})
    (row,) = db.session.query(SignedOutSession).all()
    assert prune_signed_out_sessions() == 0
    # Kept past SESSION_MAX_AGE (30 days here): raising the setting later must not revive it.
    row.signed_out_at = utcnow() - app.config["SESSION_MAX_AGE"] - timedelta(hours=1)
    db.session.commit()
    assert prune_signed_out_sessions() == 0
    row.signed_out_at = utcnow() - timedelta(days=367)
    db.session.commit()
    assert prune_signed_out_sessions() == 1


def test_a_session_id_with_a_malformed_nonce_is_refused(app, factory):
    from app.auth.sessions import load_user

    user = factory.user()
    issued = int(utcnow().timestamp())
    assert load_user(f"{user.id}:0:{issued}:abc123") is not None  # well formed (the cookie is signed)
    for nonce in ("", "x" * 33, "a b", "é1", "a;b"):
        assert load_user(f"{user.id}:0:{issued}:{nonce}") is None, nonce
    assert load_user(f"{user.id}:0:{issued}:abc:def") is None


def test_a_session_of_the_three_part_form_works_until_signed_out(app, client, factory):
    """Cookies issued before the nonce (`<user>:<generation>:<issued>`) stay honoured until they
    expire, and signing out ends them."""
    from app.auth.sessions import load_user
    from tests.conftest import csrf_token_from

    user = factory.user()
    legacy = f"{user.id}:0:{int(utcnow().timestamp())}"
    assert load_user(legacy) is not None
    with client.session_transaction() as session:  # a browser that kept such a cookie
        session["_user_id"] = legacy
        session["_fresh"] = True
    assert client.get("/settings").status_code == 200
    token = csrf_token_from(client.get("/settings").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert load_user(legacy) is None


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
