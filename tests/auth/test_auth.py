import pytest
from sqlalchemy import select

from app.config import PASSWORD_HASH_METHOD
from app.extensions import db
from app.models import ApiToken
from tests.conftest import TEST_PASSWORD_HASH, csrf_token_from
from tests.meta_kit import HX

PROTECTED_PAGES = ["/", "/leads", "/accounts", "/settings", "/conversations/1"]


@pytest.mark.parametrize("path", PROTECTED_PAGES)
def test_pages_need_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("path", ["/login", "/healthz", "/health"])
def test_public_pages(client, path):
    assert client.get(path).status_code == 200


def test_htmx_request_with_expired_session_gets_hx_redirect(client):
    response = client.get("/", headers=HX)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login"
    assert "<form" not in response.get_data(as_text=True)


def test_login_and_logout(client, auth):
    user = auth.login()
    page = client.get("/")
    assert page.status_code == 200
    assert user.email in page.get_data(as_text=True)
    token = csrf_token_from(page.get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_logout_by_get_is_not_allowed(client, auth):
    auth.login()
    assert client.get("/logout").status_code == 405


def test_wrong_password_is_refused(client, auth, factory):
    user = factory.user(password="right-password")
    token = auth.csrf_token()
    response = client.post("/login", data={"email": user.email, "password": "wrong", "csrf_token": token})
    assert response.status_code == 401
    assert "do not match" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_login_post_without_csrf_is_refused(client, factory):
    user = factory.user(password="right-password")
    response = client.post("/login", data={"email": user.email, "password": "right-password"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_state_change_without_csrf_is_refused(client, auth):
    auth.login()
    assert client.post("/settings/tokens", data={"name": "x"}).status_code == 400
    assert client.post("/settings/tokens", data={"name": "x"}, headers=HX).status_code == 400
    assert client.post("/logout").status_code == 400


def test_htmx_csrf_header_is_accepted(client, auth):
    user = auth.login()
    response = auth.post("/settings/tokens", {"name": "via htmx"}, htmx=True)
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.execute(select(ApiToken.user_id, ApiToken.name)).all() == [(user.id, "via htmx")]


def _login(client, auth, email, password, remote_addr="10.0.0.1", **extra):
    data = {"email": email, "password": password, "csrf_token": auth.csrf_token(), **extra}
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": remote_addr})


def test_failed_logins_wait_per_account_and_client(app, client, auth, factory):
    app.config["LOGIN_PAIR_LIMITS"] = "3 per minute"
    user = factory.user(password="right-password")
    for _ in range(3):
        assert _login(client, auth, user.email, "nope").status_code == 401
    response = _login(client, auth, user.email, "right-password")
    assert response.status_code == 429
    # Said for what it is: this account from here (another one signs in from here at once).
    assert "Too many failed sign-ins to this account from this device" in response.get_data(as_text=True)
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    other = factory.user(password="other-password")
    assert _login(client, auth, other.email, "other-password").status_code == 302


def test_a_stranger_cannot_lock_a_known_user_out(app, client, auth, factory):
    """F-06: failures from other addresses (spoofed or real) leave the user's own device alone."""
    app.config["LOGIN_PAIR_LIMITS"] = "3 per minute"
    user = factory.user(password="right-password")
    for n in range(22):
        _login(client, auth, user.email, "nope", remote_addr=f"203.0.113.{n}")
    assert _login(client, auth, user.email, "right-password", remote_addr="198.51.100.7").status_code == 302


def test_one_address_has_a_generous_ceiling(app, client, auth, factory):
    """Password spraying from one address stops at the per-client ceiling; colleagues behind the
    same office address are only stopped once the whole office has failed that often."""
    app.config["LOGIN_CLIENT_LIMITS"] = "4 per minute"
    for n in range(4):
        assert _login(client, auth, f"nobody{n}@example.com", "nope").status_code == 401
    user = factory.user(password="right-password")
    assert _login(client, auth, user.email, "right-password").status_code == 429
    assert _login(client, auth, user.email, "right-password", remote_addr="10.0.0.2").status_code == 302


def test_only_failures_count(app, client, auth, factory):
    app.config["LOGIN_PAIR_LIMITS"] = "2 per minute"
    user = factory.user(password="right-password")
    for _ in range(4):
        assert _login(client, auth, user.email, "right-password").status_code == 302
        client.post("/logout", data={"csrf_token": auth.csrf_token("/settings")})


def test_unknown_email_costs_the_same_password_check(app, client, auth, factory, monkeypatch):
    """F-04: the answer for an unknown address runs the same scrypt check as a wrong password."""
    from app.auth import routes

    calls = []
    real = routes.check_password_hash
    monkeypatch.setattr(routes, "check_password_hash", lambda h, p: calls.append(h) or real(h, p))
    _login(client, auth, "nobody@example.com", "nope")
    assert calls and calls[0].startswith("scrypt:")
    inactive = factory.user(password="right-password")
    # The same method and cost as the users' own hashes (salt and digest aside).
    assert calls[0].split("$")[0] == inactive.password_hash.split("$")[0]
    inactive.active = False
    db.session.commit()
    calls.clear()
    assert _login(client, auth, inactive.email, "right-password").status_code == 401
    assert len(calls) == 1


def test_signing_in_goes_back_to_the_page_asked_for(client, auth, factory):
    """The address kept whole (with its query), none for the inbox itself, and no stray "?"
    (werkzeug's full_path gave /login?next=/?)."""
    assert client.get("/").headers["Location"] == "/login"
    assert client.get("/leads").headers["Location"] == "/login?next=/leads"
    assert client.get("/leads?status=new&owner=me").headers["Location"] == "/login?next=/leads?status%3Dnew%26owner%3Dme"
    user = factory.user(password="pw-123456")
    response = client.post("/login?next=/leads?status%3Dnew%26owner%3Dme",
                           data={"email": user.email, "password": "pw-123456", "csrf_token": auth.csrf_token()})
    assert response.headers["Location"] == "/leads?status=new&owner=me"


def test_login_redirect_stays_on_site(client, auth, factory):
    user = factory.user(password="pw-123456")
    token = auth.csrf_token()
    response = client.post("/login?next=https://evil.example/", data={"email": user.email, "password": "pw-123456", "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_session_cookie_flags(client, auth):
    token = auth.csrf_token()
    user = auth.factory.user(password="pw-123456")
    response = client.post("/login", data={"email": user.email, "password": "pw-123456", "csrf_token": token})
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie


def test_passwords_are_scrypt_hashed(app, factory):
    user = factory.user(password="pw-123456")
    assert user.password_hash.startswith(TEST_PASSWORD_HASH + "$")  # the test suite's cost
    assert "pw-123456" not in user.password_hash
    app.config["PASSWORD_HASH_METHOD"] = PASSWORD_HASH_METHOD  # everywhere else: werkzeug's
    user.set_password("pw-654321")
    assert user.password_hash.startswith("scrypt:32768:8:1$")
    assert user.check_password("pw-654321")
