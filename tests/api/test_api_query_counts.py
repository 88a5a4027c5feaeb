"""API review P1: serializing a page of conversations reads the workspace's Human Agent setting once
per request, not once per conversation whose last customer message is 24 h to 7 days old."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import InstagramAccount, utcnow
from tests.sql_log import sql_sent


def _older_conversations(api, factory, count):
    account = db.session.get(InstagramAccount, api.account_id)
    three_days_ago = utcnow() - timedelta(days=3)
    for _ in range(count):
        factory.conversation(account, last_inbound_at=three_days_ago, last_message_at=three_days_ago)


def _count(api, path):
    db.session.expunge_all()  # as in a new request: nothing of the workspace held from the setup
    with sql_sent() as seen:
        response = api.get(path)
    assert response.status_code == 200
    return [sent.statement for sent in seen]


@pytest.mark.parametrize("enabled", [False, True])
def test_a_page_of_24h_to_7d_conversations_costs_a_constant_number_of_statements(api, factory, enabled):
    api.workspace.human_agent_enabled = enabled
    db.session.commit()
    api.account_id = api.account.id
    _older_conversations(api, factory, 3)
    api.get("/accounts")  # the token's use is recorded now; the two calls below are alike in that
    small = _count(api, "/conversations?limit=3")
    _older_conversations(api, factory, 37)
    large = _count(api, "/conversations?limit=40")
    assert len(large) == len(small), (len(small), len(large))
    assert sum("workspaces" in s for s in large) <= 1
    body = api.get("/conversations?limit=40").get_json()
    assert len(body["data"]) == 40
    # The API is not a person: in the Human Agent window it may not reply, whatever the setting.
    assert all(c["can_reply"] is False and c["reply_window_ends_at"] is None for c in body["data"])


def test_recent_conversations_do_not_read_the_workspace_at_all(api, factory):
    for _ in range(5):
        factory.conversation(api.account, last_inbound_at=utcnow() - timedelta(hours=1))
    seen = _count(api, "/conversations?limit=5")
    assert not any("FROM workspaces" in s for s in seen)


def test_reply_window_uses_the_setting_it_is_given_and_asks_only_when_it_matters(api, factory):
    from app.outbound.windows import HUMAN_AGENT, OPEN, reply_window

    asked = []

    def setting():
        asked.append(1)
        return True

    recent = factory.conversation(api.account, last_inbound_at=utcnow() - timedelta(hours=1))
    older = factory.conversation(api.account, last_inbound_at=utcnow() - timedelta(days=3))
    assert reply_window(recent, human_agent_enabled=setting).state == OPEN and asked == []
    with sql_sent() as seen:
        window = reply_window(older, human_agent_enabled=setting)
        assert reply_window(older, human_agent_enabled=False).can_reply is False
    assert window.state == HUMAN_AGENT and window.can_reply and window.human_agent and asked == [1]
    # api.workspace.human_agent_enabled is False: the given value won, and the workspace was not read.
    assert not any("workspaces" in sent.statement for sent in seen)
