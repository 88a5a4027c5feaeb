"""Fixtures for the outbound tests: a workspace with a connected account and a conversation whose
customer wrote an hour ago. Meta is the suite's `meta` fixture (tests/conftest.py)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.models import utcnow
from tests.outbound.helpers import World


@pytest.fixture
def world(factory):
    workspace = factory.workspace()
    user = factory.user(workspace, name="Ana Agent")
    account = factory.account(workspace)
    conversation = factory.conversation(account, last_inbound_at=utcnow() - timedelta(hours=1))
    return World(workspace, user, account, conversation)
