"""Shared pieces of the stand-in's tests: a webhook receiver and the OAuth dance.

A module of its own (not conftest) so test modules can import it by a unique name.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import requests
from flask import Flask, request
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.meta_kit import GRAPH_VERSION

APP_SECRET = "test-app-secret"
CLIENT_ID = "1234567890"
REDIRECT_URI = "http://inbox.test/accounts/instagram/callback"
SCOPES = "instagram_business_basic,instagram_business_manage_messages"


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


@dataclass(frozen=True)
class Delivery:
    body: bytes
    headers: dict[str, str]


class WebhookReceiver:
    """Records every POST it gets: the raw body and headers. Answers `status`."""

    def __init__(self):
        self.deliveries: list[Delivery] = []
        self.status = 200
        self._arrived = threading.Condition()
        app = Flask(__name__)

        @app.post("/webhooks/instagram")
        def receive():
            with self._arrived:
                self.deliveries.append(Delivery(request.get_data(), dict(request.headers)))
                self._arrived.notify_all()
            return "", self.status

        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/webhooks/instagram"

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.deliveries) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} webhook deliveries, got {len(self.deliveries)}")
                self._arrived.wait(left)
            return list(self.deliveries)


def authorize_params(**overrides) -> dict[str, str]:
    params = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": SCOPES,
        "state": "st-123",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def allow(http, meta, username: str = "demo.boutique", **overrides) -> requests.Response:
    """Submit the consent form as a browser would after clicking Allow."""
    form = authorize_params(**overrides)
    form.update(username=username, decision="allow")
    return http.post(meta.authorize_url, data=form, allow_redirects=False)


def code_from(response: requests.Response) -> str:
    return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]


def connect(http, meta, username: str = "demo.boutique") -> dict:
    """The whole OAuth dance; returns the short and long tokens and the /me answer."""
    code = code_from(allow(http, meta, username))
    exchanged = http.post(f"{meta.api_url}/oauth/access_token", data={
        "client_id": CLIENT_ID, "client_secret": APP_SECRET, "grant_type": "authorization_code",
        "redirect_uri": REDIRECT_URI, "code": code,
    }).json()["data"][0]
    long_lived = http.get(f"{meta.graph_url}/access_token", params={
        "grant_type": "ig_exchange_token", "client_secret": APP_SECRET, "access_token": exchanged["access_token"],
    }).json()["access_token"]
    me = http.get(f"{meta.graph_url}/{GRAPH_VERSION}/me", params={"fields": "user_id,username,name,profile_picture_url"},
                  headers={"Authorization": f"Bearer {long_lived}"}).json()
    return {"short": exchanged["access_token"], "long": long_lived, "me": me}
