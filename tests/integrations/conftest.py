"""Outbound webhook fixtures: a real HTTP receiver on 127.0.0.1 (a thread), allowed through the
outbound guard by OUTBOUND_ALLOW_HOSTS as an intranet CRM would be, that records every request's
raw body and headers and answers with the statuses a test queues."""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.api.conftest import make_api, meta_ok  # noqa: F401  (a fixture: Meta answers every send)


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Receiver:
    url: str
    statuses: deque = field(default_factory=deque)  # answers to give, in order; then 200
    received: list[Received] = field(default_factory=list)

    def answer(self, *statuses: int) -> None:
        self.statuses.extend(statuses)


@pytest.fixture
def receiver(app):
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            status = state.statuses.popleft() if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/inbox"
    app.config["OUTBOUND_ALLOW_HOSTS"] = frozenset({"127.0.0.1"})
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def admin_api(app, client, factory):
    """An admin's API token in a workspace with one connected account."""
    user = factory.user(name="Ada Admin")
    api = make_api(app, client, user)
    api.workspace = user.workspace
    api.account = factory.account(user.workspace, username="shop")
    return api
