"""Mounting the stand-in in a host app (demo mode) and stateless tokens across instances."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask_wtf.csrf import CSRFProtect

from app.standin import (
    StandinControl,
    create_blueprint,
    create_standin_app,
    customer_profile,
    init_standin,
)
from tests.meta_kit import GRAPH_VERSION
from tests.standin.standin_testkit import APP_SECRET, CLIENT_ID, REDIRECT_URI, SCOPES

IGSID = "5512345678901234"


def host_app(*, csrf_first: bool, webhook_url: str | None = None) -> Flask:
    """A stand-in for the inbox app: CSRF on everywhere, stand-in mounted at /_meta."""
    app = Flask("host")
    app.config.update(
        SECRET_KEY="host-secret-key",
        INSTAGRAM_APP_SECRET=APP_SECRET,
        STANDIN_WEBHOOK_URL=webhook_url,
        STANDIN_ECHO="before",
    )
    csrf = CSRFProtect()
    if csrf_first:
        csrf.init_app(app)
        init_standin(app)
    else:
        app.register_blueprint(create_blueprint())
        csrf.init_app(app)

    @app.post("/protected")
    def protected():
        return "should need a CSRF token"

    return app


def oauth_with_client(client) -> str:
    form = {"client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "response_type": "code", "scope": SCOPES,
            "state": "s1", "username": "demo.cafe", "decision": "allow"}
    consent = client.post("/_meta/authorize", data=form)
    assert consent.status_code == 302, consent.text
    code = parse_qs(urlsplit(consent.headers["Location"]).query)["code"][0]
    exchanged = client.post("/_meta/api/oauth/access_token", data={
        "client_id": CLIENT_ID, "client_secret": APP_SECRET, "grant_type": "authorization_code",
        "redirect_uri": REDIRECT_URI, "code": code})
    assert exchanged.status_code == 200, exchanged.text
    return exchanged.get_json()["data"][0]["access_token"]


@pytest.mark.parametrize("csrf_first", [True, False])
def test_mounted_under_meta_prefixes_and_exempt_from_csrf(csrf_first, receiver):
    app = host_app(csrf_first=csrf_first, webhook_url=receiver.url)
    client = app.test_client()

    assert isinstance(app.extensions["standin"], StandinControl)
    assert client.post("/protected").status_code == 400  # the host's own views stay protected
    assert "Allow App" in client.get("/_meta/authorize", query_string={
        "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "response_type": "code", "scope": SCOPES}).text

    token = oauth_with_client(client)
    me = client.get(f"/_meta/graph/{GRAPH_VERSION}/me", headers={"Authorization": f"Bearer {token}"})
    assert me.get_json()["username"] == "demo.cafe"
    sent = client.post(f"/_meta/graph/{GRAPH_VERSION}/me/messages",
                       json={"recipient": {"id": IGSID}, "message": {"text": "hi"}},
                       headers={"Authorization": f"Bearer {token}"})
    assert sent.status_code == 200, sent.text

    # Echo mode "before" from the host's config: delivered before the answer, signed with
    # the host's INSTAGRAM_APP_SECRET.
    [delivery] = receiver.deliveries
    expected = "sha256=" + hmac.new(APP_SECRET.encode(), delivery.body, hashlib.sha256).hexdigest()
    assert delivery.headers["X-Hub-Signature-256"] == expected
    assert json.loads(delivery.body)["entry"][0]["messaging"][0]["message"]["mid"] == sent.get_json()["message_id"]

    recorded = app.extensions["standin"].requests_to(r"/messages$")
    assert recorded[0].path == f"/{GRAPH_VERSION}/me/messages"
    assert recorded[0].full_path == f"/_meta/graph/{GRAPH_VERSION}/me/messages"


def test_mounted_signing_key_falls_back_to_secret_key():
    app = host_app(csrf_first=True)
    token = oauth_with_client(app.test_client())

    other = Flask("other")
    other.config.update(SECRET_KEY="host-secret-key")
    init_standin(other)
    me = other.test_client().get(f"/_meta/graph/{GRAPH_VERSION}/me", query_string={"access_token": token})
    assert me.status_code == 200


def test_custom_prefixes():
    app = Flask("custom")
    app.config.update(STANDIN_SIGNING_KEY="k", SECRET_KEY="x", WTF_CSRF_ENABLED=False)
    init_standin(app, graph_prefix="/fake/graph", api_prefix="/fake/api", authorize_prefix="/fake/oauth/authorize")
    client = app.test_client()

    assert client.get("/fake/oauth/authorize", query_string={"client_id": "1"}).status_code == 400
    assert client.get(f"/fake/graph/{GRAPH_VERSION}/me").get_json()["error"]["code"] == 104
    assert app.extensions["standin"].requests[0].path == "/"


def test_avatar_urls_use_the_public_url_when_configured():
    app = Flask("public")
    app.config.update(STANDIN_SIGNING_KEY="k", STANDIN_PUBLIC_URL="https://demo.example.com/")
    init_standin(app)
    client = app.test_client()
    from app.standin import Signer, business_account

    account = business_account("demo.boutique")
    token = Signer("k").mint_token(ig_user_id=account.ig_user_id, app_user_id=account.app_user_id,
                                   username=account.username, scopes=["instagram_business_basic",
                                                                       "instagram_business_manage_messages"])
    body = client.get(f"/_meta/graph/{GRAPH_VERSION}/{IGSID}",
                      query_string={"fields": "profile_pic", "access_token": token})
    assert customer_profile(IGSID).has_picture
    expected = f"https://demo.example.com/_meta/graph/_standin/avatar/customer/{IGSID}.svg"
    assert body.get_json()["profile_pic"] == expected


def test_tokens_verify_across_separate_instances_with_the_same_key():
    first = create_standin_app(webhook_url=None, app_secret=APP_SECRET, signing_key="shared-key")
    second = create_standin_app(webhook_url=None, app_secret=APP_SECRET, signing_key="shared-key")
    stranger = create_standin_app(webhook_url=None, app_secret=APP_SECRET, signing_key="another-key")

    # The whole dance on the first instance...
    client = first.test_client()
    consent = client.post("/authorize", data={
        "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "response_type": "code", "scope": SCOPES,
        "username": "demo.studio", "decision": "allow"})
    code = parse_qs(urlsplit(consent.headers["Location"]).query)["code"][0]
    # ...the code exchange on the second...
    exchanged = second.test_client().post("/api/oauth/access_token", data={
        "client_id": CLIENT_ID, "client_secret": APP_SECRET, "grant_type": "authorization_code",
        "redirect_uri": REDIRECT_URI, "code": code})
    short = exchanged.get_json()["data"][0]["access_token"]
    # ...the long-lived exchange on the first, and /me on the second.
    long_lived = client.get("/graph/access_token", query_string={
        "grant_type": "ig_exchange_token", "client_secret": APP_SECRET, "access_token": short,
    }).get_json()["access_token"]
    me = second.test_client().get(f"/graph/{GRAPH_VERSION}/me", headers={"Authorization": f"Bearer {long_lived}"})

    assert me.status_code == 200
    assert me.get_json()["username"] == "demo.studio"
    assert first.extensions["standin"] is not second.extensions["standin"]

    refused = stranger.test_client().get(f"/graph/{GRAPH_VERSION}/me", headers={"Authorization": f"Bearer {long_lived}"})
    assert refused.get_json()["error"]["code"] == 190


def test_missing_signing_key_is_a_clear_error():
    app = Flask("nokey")
    app.testing = True  # let the configuration error surface instead of a Graph error body
    init_standin(app)
    with pytest.raises(RuntimeError, match="STANDIN_SIGNING_KEY"):
        app.test_client().get(f"/_meta/graph/{GRAPH_VERSION}/me", headers={"Authorization": "Bearer x"})
