"""Fixtures for the stand-in's own tests: a running stand-in and a webhook receiver.

Both are real HTTP servers on 127.0.0.1, so echo webhooks travel exactly as they would
from Meta to the inbox.
"""

from __future__ import annotations

import pytest
import requests

from app.standin import StandinServer
from tests.standin.standin_testkit import APP_SECRET, WebhookReceiver


@pytest.fixture
def receiver():
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def standin_meta(receiver):
    with StandinServer(webhook_url=receiver.url, app_secret=APP_SECRET) as server:
        yield server


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session
