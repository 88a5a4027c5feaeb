"""Fixtures for the accounts feature: Meta's answers to a connect, registered on the suite's
`meta_strict` (an answer the app never asked for fails the test), and a leak check that no token
reaches a response, the session cookie or a log line."""
from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from responses import matchers

from app.instagram.graph import SUBSCRIBED_FIELDS
from tests.conftest import TEST_APP_SECRET
from tests.meta_kit import API_URL, GRAPH_URL, graph_error, graph_url, success_ok

IG_USER_ID = "17841400000000042"
CODE = "auth-code-CCC111"
# Deliberately not shaped like real tokens (IG.../EAA...), so a leak cannot hide behind the
# log redaction patterns: if one of these shows up anywhere, our code put it there.
SHORT_TOKEN = "short-lived-secret-AAA111"
LONG_TOKEN = "long-lived-secret-BBB222"
PASTED_TOKEN = "pasted-secret-DDD444"
SECRETS = (SHORT_TOKEN, LONG_TOKEN, PASTED_TOKEN, CODE, TEST_APP_SECRET)

ME_URL = graph_url("me")
CODE_URL = f"{API_URL}/oauth/access_token"
LONG_URL = f"{GRAPH_URL}/access_token"
REFRESH_URL = f"{GRAPH_URL}/refresh_access_token"
REDIRECT_URI = "http://inbox.test/accounts/instagram/callback"
ME = {"user_id": IG_USER_ID, "username": "acme.shop", "name": "Acme Shop",
      "profile_picture_url": "https://cdn.example.com/acme.jpg", "id": "998877"}


def subscribe_url(ig_user_id: str = IG_USER_ID) -> str:
    return graph_url(ig_user_id, "subscribed_apps")


def mock_me(meta, token: str = LONG_TOKEN, me: dict | None = None, **failure):
    meta.add(responses.GET, ME_URL, **(failure or {"json": me or ME}),
             match=[matchers.header_matcher({"Authorization": f"Bearer {token}"}),
                    matchers.query_param_matcher({"fields": "user_id,username,name,profile_picture_url"})])


def mock_subscribe(meta, token: str = LONG_TOKEN, ig_user_id: str = IG_USER_ID, **failure):
    meta.add(responses.POST, subscribe_url(ig_user_id), **(failure or success_ok()),
             match=[matchers.header_matcher({"Authorization": f"Bearer {token}"}),
                    matchers.query_param_matcher({"subscribed_fields": ",".join(SUBSCRIBED_FIELDS)})])


def mock_oauth(meta, fail_at: str | None = None, failure: dict | None = None, me: dict | None = None,
               until: str = "subscribe", permissions: str = "instagram_business_basic"):
    """Register Meta's four answers of a connect ("code", "long", "me", "subscribe") up to
    `until`; the step `fail_at` answers `failure` instead and ends the list. Steps not
    registered make the test fail if the app calls them."""
    failure = failure or graph_error(100, message="Invalid parameter")
    steps = ("code", "long", "me", "subscribe")
    for step in steps:
        bad = step == fail_at
        if step == "code":
            meta.add(responses.POST, CODE_URL,
                     **(failure if bad else {"json": {"data": [{"access_token": SHORT_TOKEN, "user_id": "998877",
                                                                "permissions": permissions}]}}),
                     match=[matchers.urlencoded_params_matcher({
                         "client_id": "test-app-id", "client_secret": TEST_APP_SECRET,
                         "grant_type": "authorization_code", "redirect_uri": REDIRECT_URI, "code": CODE})])
        elif step == "long":
            meta.add(responses.GET, LONG_URL,
                     **(failure if bad else {"json": {"access_token": LONG_TOKEN, "token_type": "bearer",
                                                      "expires_in": 5183944}}),
                     match=[matchers.query_param_matcher({"grant_type": "ig_exchange_token",
                                                          "client_secret": TEST_APP_SECRET,
                                                          "access_token": SHORT_TOKEN})])
        elif step == "me":
            mock_me(meta, me=me, **(failure if bad else {}))
        else:
            mock_subscribe(meta, ig_user_id=(me or ME)["user_id"], **(failure if bad else {}))
        if bad or step == until:
            return


def start_connect(client) -> str:
    """GET /accounts/connect and return the state it put in the authorize URL."""
    response = client.get("/accounts/connect")
    assert response.status_code == 302
    return parse_qs(urlsplit(response.headers["Location"]).query)["state"][0]


class LeakCheck:
    """Collects everything that left the app in a test and asserts no secret is in it."""

    def __init__(self, client, caplog):
        self.client = client
        self.caplog = caplog
        self.seen: list[str] = []

    def add(self, response):
        self.seen.append(response.get_data(as_text=True))
        self.seen.append(json.dumps(dict(response.headers)))
        return response

    def assert_clean(self, *extra_secrets: str):
        with self.client.session_transaction() as session:
            self.seen.append(json.dumps(dict(session), default=str))
        self.seen.append(self.caplog.text)
        formatter = logging.Formatter()
        for record in self.caplog.records:
            self.seen.append(f"{record.msg} {record.args}")
            if record.exc_info:
                self.seen.append(formatter.formatException(record.exc_info))
        haystack = "\n".join(self.seen)
        for secret in (*SECRETS, *extra_secrets):
            assert secret not in haystack, f"a secret leaked: {secret[:6]}…"


@pytest.fixture
def leaks(client, caplog):
    caplog.set_level(logging.DEBUG)
    return LeakCheck(client, caplog)
