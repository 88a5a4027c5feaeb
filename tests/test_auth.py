import pytest

from tests.conftest import csrf_token_from

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
    response = client.get("/", headers={"HX-Request": "true"})
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
    assert client.post("/settings/tokens", data={"name": "x"}, headers={"HX-Request": "true"}).status_code == 400
    assert client.post("/logout").status_code == 400


def test_htmx_csrf_header_is_accepted(client, auth):
    auth.login()
    response = auth.post("/settings/tokens", {"name": "via htmx"}, htmx=True)
    assert response.status_code == 200


def test_failed_logins_are_rate_limited_per_email(app, client, auth, factory):
    app.config["LOGIN_RATE_LIMIT"] = 3
    user = factory.user(password="right-password")
    for _ in range(3):
        token = auth.csrf_token()
        client.post("/login", data={"email": user.email, "password": "nope", "csrf_token": token})
    token = auth.csrf_token()
    response = client.post("/login", data={"email": user.email, "password": "right-password", "csrf_token": token})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.get_data(as_text=True)


def test_failed_logins_are_rate_limited_per_ip(app, client, auth, factory):
    app.config["LOGIN_RATE_LIMIT"] = 3
    for n in range(3):
        token = auth.csrf_token()
        client.post("/login", data={"email": f"nobody{n}@example.com", "password": "nope", "csrf_token": token})
    user = factory.user(password="right-password")
    token = auth.csrf_token()
    response = client.post("/login", data={"email": user.email, "password": "right-password", "csrf_token": token})
    assert response.status_code == 429


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


def test_passwords_are_scrypt_hashed(factory):
    user = factory.user(password="pw-123456")
    assert user.password_hash.startswith("scrypt:")
    assert "pw-123456" not in user.password_hash
