"""Fixtures for the outbound tests: a workspace with a connected account and a conversation whose
customer wrote an hour ago, and Meta's Graph API mocked at the HTTP boundary with `responses`."""
from __future__ import annotations

from datetime import timedelta

import pytest
import responses

from app.models import utcnow
from tests.outbound.helpers import World


@pytest.fixture
def world(factory):
    workspace = factory.workspace()
    user = factory.user(workspace, name="Ana Agent")
    account = factory.account(workspace)
    conversation = factory.conversation(account, last_inbound_at=utcnow() - timedelta(hours=1))
    return World(workspace, user, account, conversation)


@pytest.fixture
def meta():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
