"""The stand-in as its own WSGI app and a real local HTTP server, for tests and benchmarks.

Tests point the inbox's INSTAGRAM_GRAPH_URL / INSTAGRAM_API_URL / INSTAGRAM_AUTHORIZE_URL at
a `StandinServer`, so every Meta call crosses real HTTP exactly as in production.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .blueprint import create_blueprint
from .context import EXTENSION
from .control import StandinControl
from .profiles import BusinessAccount, business_account
from .signing import Signer

STANDALONE_PREFIXES = {"graph_prefix": "/graph", "api_prefix": "/api", "authorize_prefix": "/authorize"}
DEFAULT_SCOPES = ("instagram_business_basic", "instagram_business_manage_messages",
                  "instagram_business_manage_comments")


def create_standin_app(
    *,
    webhook_url: str | None,
    app_secret: str,
    signing_key: str,
    config: Mapping[str, Any] | None = None,
) -> Flask:
    """A Flask app serving only the stand-in, at /graph, /api and /authorize.

    `config` may add any STANDIN_* setting (e.g. {"STANDIN_ECHO": "before"}).
    """
    app = Flask(__name__, static_folder=None)
    app.config.update(
        INSTAGRAM_APP_SECRET=app_secret,
        STANDIN_WEBHOOK_URL=webhook_url,
        STANDIN_SIGNING_KEY=signing_key,
    )
    app.config.update(config or {})
    app.register_blueprint(create_blueprint(**STANDALONE_PREFIXES))

    @app.get("/")
    def index():
        return jsonify({"stand_in": "Instagram Platform", "graph": "/graph", "api": "/api", "authorize": "/authorize"})

    return app


class _QuietHandler(WSGIRequestHandler):
    # Tests and benchmarks make thousands of calls; a log line each drowns their output.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class StandinServer:
    """Runs the stand-in on 127.0.0.1 at a free port in a daemon thread.

        with StandinServer(webhook_url=receiver_url, app_secret="s3cret") as meta:
            app.config["INSTAGRAM_GRAPH_URL"] = meta.graph_url
            meta.control.graph_error(r"/messages$", code=10, subcode=2534022)
    """

    def __init__(
        self,
        *,
        webhook_url: str | None = None,
        app_secret: str = "standin-app-secret",
        signing_key: str | None = None,
        config: Mapping[str, Any] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.signing_key = signing_key or secrets.token_urlsafe(32)
        self.app_secret = app_secret
        self.app = create_standin_app(webhook_url=webhook_url, app_secret=app_secret,
                                      signing_key=self.signing_key, config=config)
        self._host = host
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> StandinServer:
        if self._server is not None:
            return self
        self._server = make_server(self._host, self._port, self.app, threaded=True, request_handler=_QuietHandler)
        # A short poll interval keeps stop() (and so every test's teardown) quick.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="standin-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> StandinServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- where it is -----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the stand-in server is not running")
        return f"http://{self._host}:{self._server.server_port}"

    @property
    def graph_url(self) -> str:
        return self.base_url + STANDALONE_PREFIXES["graph_prefix"]

    @property
    def api_url(self) -> str:
        return self.base_url + STANDALONE_PREFIXES["api_prefix"]

    @property
    def authorize_url(self) -> str:
        return self.base_url + STANDALONE_PREFIXES["authorize_prefix"]

    @property
    def control(self) -> StandinControl:
        return self.app.extensions[EXTENSION]

    @property
    def webhook_url(self) -> str | None:
        return self.app.config.get("STANDIN_WEBHOOK_URL")

    @webhook_url.setter
    def webhook_url(self, url: str | None) -> None:
        # Often the receiver (the inbox under test) starts after the stand-in.
        self.app.config["STANDIN_WEBHOOK_URL"] = url

    # -- shortcuts for tests -----------------------------------------------------------

    def account(self, username: str) -> BusinessAccount:
        return business_account(username)

    def issue_token(
        self,
        username: str = "demo.boutique",
        *,
        kind: str = "long",
        scopes: tuple[str, ...] | list[str] = DEFAULT_SCOPES,
        client_id: str = "standin-client",
        issued_at: float | None = None,
        lifetime: int | None = None,
    ) -> str:
        """A token as the OAuth dance would produce it, without the dance."""
        account = business_account(username)
        return Signer(self.signing_key).mint_token(
            ig_user_id=account.ig_user_id,
            app_user_id=account.app_user_id,
            username=account.username,
            kind=kind,
            scopes=list(scopes),
            client_id=client_id,
            issued_at=self.control.now() if issued_at is None else issued_at,
            lifetime=lifetime,
        )
