"""Security headers on every kind of response (security review F-03, I-2, I-5), and templates
that need no inline script or style, which the Content-Security-Policy forbids."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import create_app
from app.extensions import db
from app.models import ApiToken
from tests.conftest import TEST_VERIFY_TOKEN, base_config
from tests.meta_kit import HX

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
BASELINE = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def directives(csp: str) -> dict[str, list[str]]:
    parsed = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def assert_secured(response):
    for name, value in BASELINE.items():
        assert response.headers.get(name) == value, (name, response.headers.get(name))
    csp = directives(response.headers["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # not production, not https


@pytest.fixture
def signed_in(client, auth, factory):
    user = auth.login()
    account = factory.account(user.workspace, username="acme.store")
    conversation = factory.conversation(account, contact=factory.contact(account, name="Ann", username="ann"))
    factory.message(conversation, "Hello")
    return conversation


def test_pages_fragments_and_redirects_carry_the_headers(client, signed_in):
    assert_secured(client.get("/"))
    assert_secured(client.get("/", headers=HX))  # an htmx fragment
    assert_secured(client.get(f"/conversations/{signed_in.id}", headers=HX))
    assert_secured(client.get("/leads"))
    assert_secured(client.get("/settings"))
    assert_secured(client.get("/no/such/page"))  # our 404 page


def test_signed_out_pages_and_redirects_carry_the_headers(client):
    assert_secured(client.get("/login"))
    redirect = client.get("/")
    assert redirect.status_code == 302
    assert_secured(redirect)


def test_json_api_and_its_errors_carry_the_headers(client):
    response = client.get("/api/v1/accounts")
    assert response.status_code == 401 and response.is_json
    assert_secured(response)
    assert_secured(client.get("/api/v1/no-such-endpoint"))


def test_static_files_carry_the_headers(client):
    for path in ("/static/css/app.css", "/static/js/app.js", "/static/vendor/htmx/htmx.min.js"):
        response = client.get(path)
        assert response.status_code == 200
        assert_secured(response)
        response.close()


def test_server_errors_carry_the_headers(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/_test/boom")
    def _boom():
        raise RuntimeError("boom")

    response = client.get("/_test/boom")
    assert response.status_code == 500
    assert_secured(response)


def test_webhook_endpoint_carries_the_headers(client):
    refused = client.post("/webhooks/instagram", data=b"{}", content_type="application/json")
    assert refused.status_code in (400, 401, 403)
    assert_secured(refused)
    assert_secured(client.get("/webhooks/instagram?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=x"))


def test_webhook_challenge_is_plain_text_that_is_never_sniffed(client):
    """I-5: the echoed hub.challenge is text/plain with nosniff, so markup in it is never run."""
    challenge = "<script>alert(1)</script>"
    response = client.get("/webhooks/instagram", query_string={
        "hub.mode": "subscribe", "hub.verify_token": TEST_VERIFY_TOKEN, "hub.challenge": challenge})
    assert response.status_code == 200
    assert response.get_data(as_text=True) == challenge
    assert response.mimetype == "text/plain"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert_secured(response)


def test_a_policy_a_view_set_itself_is_kept(app, client):
    @app.get("/_test/own-policy")
    def _own():
        return "x", 200, {"Content-Security-Policy": "default-src 'none'; sandbox", "X-Frame-Options": "SAMEORIGIN"}

    response = client.get("/_test/own-policy")
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_csp_allows_no_inline_or_eval_script_and_no_inline_style(client):
    csp = client.get("/login").headers["Content-Security-Policy"]
    parsed = directives(csp)
    for directive in ("script-src", "style-src", "default-src"):
        sources = parsed[directive]
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, directive
        assert "*" not in sources and "data:" not in sources and "https:" not in sources, directive
    assert "script-src-attr" not in parsed and "style-src-attr" not in parsed
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp


def test_demo_mode_also_allows_http_pictures_but_no_more_script(app, client):
    app.config["DEMO_MODE"] = True
    parsed = directives(client.get("/login").headers["Content-Security-Policy"])
    assert "http:" in parsed["img-src"] and "http:" in parsed["media-src"]
    assert parsed["script-src"] == ["'self'"] and parsed["style-src"] == ["'self'"]


def test_hsts_only_in_production_and_only_over_https(app, client):
    assert "Strict-Transport-Security" not in client.get("/login", base_url="https://localhost").headers
    app.config["APP_ENV"] = "production"
    assert "Strict-Transport-Security" not in client.get("/login").headers  # plain http
    hsts = client.get("/login", base_url="https://localhost").headers["Strict-Transport-Security"]
    assert re.fullmatch(r"max-age=(\d+)(; includeSubDomains)?", hsts)
    assert int(hsts.split("=")[1].split(";")[0]) >= 180 * 86400


def test_hsts_behind_the_production_proxy(database_url):
    """In production ProxyFix trusts the router's X-Forwarded-Proto: https there means secure."""
    app = create_app({**base_config(database_url), "APP_ENV": "production", "TRUSTED_PROXY_HOPS": 1})
    client = app.test_client()
    secure = client.get("/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    plain = client.get("/login", headers={"X-Forwarded-Proto": "http"})
    assert "Strict-Transport-Security" not in plain.headers
    with app.app_context():
        db.engine.dispose()


def test_the_page_that_shows_a_new_token_is_never_cached(client, auth):
    auth.login()
    response = auth.post("/settings/tokens", {"name": "Sheets"})
    assert 'id="new-token"' in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert_secured(response)


def test_reloading_the_new_token_page_creates_no_second_token(client, auth):
    """I-2: reloading re-posts the same form; the form's id was used, so nothing is created."""
    auth.login()
    page = client.get("/settings").get_data(as_text=True)
    form_id = re.search(r'name="form_id" value="([^"]+)"', page).group(1)
    first = auth.post("/settings/tokens", {"name": "Sheets", "form_id": form_id})
    assert 'id="new-token"' in first.get_data(as_text=True)
    again = auth.post("/settings/tokens", {"name": "Sheets", "form_id": form_id})  # the reload
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and 'id="new-token"' not in html and "token-already-created" in html
    assert again.headers["Cache-Control"] == "no-store"
    assert db.session.query(ApiToken).count() == 1
    # The page shown after it offers a fresh form, which does create a token.
    fresh = re.search(r'name="form_id" value="([^"]+)"', html).group(1)
    assert fresh != form_id
    assert 'id="new-token"' in auth.post("/settings/tokens", {"name": "Other", "form_id": fresh}).get_data(as_text=True)
    assert db.session.query(ApiToken).count() == 2


# ---- Templates: nothing the CSP would refuse ---------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I)
HANDLER_ATTRIBUTE = re.compile(r"\son[a-z]+\s*=", re.I)
HX_ON = re.compile(r"\bhx-on\b|\bdata-hx-on\b", re.I)
EVAL_HTMX = re.compile(r"\b(?:data-)?hx-vars\b|\bhx-vals\s*=\s*['\"]\s*(?:js|javascript):|hx-trigger\s*=\s*\"[^\"]*\[", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)
JS_URL = re.compile(r"(?:href|src|action)\s*=\s*['\"]\s*javascript:", re.I)


def template_files():
    files = sorted(TEMPLATES.rglob("*.html"))
    assert len(files) > 20
    return files


@pytest.mark.parametrize("pattern, what", [
    (INLINE_SCRIPT, "an inline <script> (no src)"),
    (HANDLER_ATTRIBUTE, "an on*= event handler attribute"),
    (HX_ON, "hx-on (htmx evaluates it: needs eval)"),
    (EVAL_HTMX, "an htmx feature that needs eval (hx-vars, js: values, [filter] triggers)"),
    (INLINE_STYLE, "an inline style (a style attribute or <style>)"),
    (JS_URL, "a javascript: URL"),
])
def test_no_template_has_what_the_csp_refuses(pattern, what):
    found = []
    for path in template_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}")
    assert not found, f"{what} in templates:\n" + "\n".join(found)


def test_htmx_is_configured_to_need_no_inline_style_and_no_eval():
    base = (TEMPLATES / "base.html").read_text(encoding="utf-8")
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", base).group(1)
    assert '"includeIndicatorStyles": false' in config
    assert '"allowEval": false' in config
    # Settling copies an old element's attributes onto its replacement; a style attribute (say, one
    # a browser extension put on an input) would be an inline style the CSP refuses.
    assert '"attributesToSettle": ["class", "width", "height"]' in config
