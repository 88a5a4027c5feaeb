"""The API's agent's-day fields: `unread_count` per token owner, `needs_reply` and `waiting_since`,
the `needs_reply` filter, `sort=recent|waiting` with cursors that belong to their order (every
response is checked against the OpenAPI document by the `api` client)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Conversation, ConversationUnread, utcnow
from tests.api.conftest import error_of, make_api


@pytest.fixture
def waits(api, factory):
    now = utcnow()

    def conversation(minutes_ago, waiting_minutes=None, **fields):
        return factory.conversation(
            api.account, last_message_at=now - timedelta(minutes=minutes_ago), last_inbound_at=now - timedelta(minutes=minutes_ago),
            waiting_since=now - timedelta(minutes=waiting_minutes) if waiting_minutes is not None else None, **fields)

    class Waits:
        recent = conversation(1, waiting_minutes=1, last_speaker="customer")
        long = conversation(5, waiting_minutes=300, last_speaker="automation")
        answered = conversation(10, last_speaker="team")
        snoozed = conversation(20, waiting_minutes=600, status="snoozed", snoozed_until=now + timedelta(hours=3))
        pending = conversation(30, waiting_minutes=120, status="pending")
    return Waits


def ids(api, query: str) -> list[int]:
    response = api.get(f"/conversations?{query}")
    assert response.status_code == 200, response.get_json()
    return [c["id"] for c in response.get_json()["data"]]


def test_needs_reply_and_waiting_since_fields(api, waits):
    data = {c["id"]: c for c in api.get("/conversations").get_json()["data"]}
    assert data[waits.long.id]["needs_reply"] is True and data[waits.long.id]["waiting_since"].endswith("Z")
    assert data[waits.answered.id]["needs_reply"] is False and data[waits.answered.id]["waiting_since"] is None
    # Snoozed: the customer waits, but it needs no reply until it wakes.
    assert data[waits.snoozed.id]["needs_reply"] is False and data[waits.snoozed.id]["waiting_since"] is not None
    assert data[waits.pending.id]["needs_reply"] is True


def test_needs_reply_filter_and_waiting_sort(api, waits):
    assert ids(api, "needs_reply=true") == [waits.recent.id, waits.long.id, waits.pending.id]
    assert ids(api, "needs_reply=false") == [waits.recent.id, waits.long.id, waits.answered.id, waits.snoozed.id,
                                             waits.pending.id]
    assert ids(api, "sort=waiting") == [waits.snoozed.id, waits.long.id, waits.pending.id, waits.recent.id]
    assert ids(api, "sort=waiting&needs_reply=true") == [waits.long.id, waits.pending.id, waits.recent.id]
    assert ids(api, "sort=waiting&needs_reply=true&status=open") == [waits.long.id, waits.recent.id]
    assert ids(api, "sort=recent&needs_reply=true") == ids(api, "needs_reply=true")


def test_the_waiting_order_pages_with_its_own_cursor(api, waits):
    first = api.get("/conversations?sort=waiting&limit=2").get_json()
    assert [c["id"] for c in first["data"]] == [waits.snoozed.id, waits.long.id]
    second = api.get(f"/conversations?sort=waiting&limit=2&cursor={first['next_cursor']}").get_json()
    assert [c["id"] for c in second["data"]] == [waits.pending.id, waits.recent.id]
    assert second["next_cursor"] is None


def test_a_cursor_used_with_the_other_sort_is_a_clear_400(api, waits):
    waiting_cursor = api.get("/conversations?sort=waiting&limit=1").get_json()["next_cursor"]
    recent_cursor = api.get("/conversations?limit=1").get_json()["next_cursor"]
    error = error_of(api.get(f"/conversations?cursor={waiting_cursor}"), 400)
    assert error["field"] == "cursor" and "sort=waiting" in error["message"]
    error = error_of(api.get(f"/conversations?sort=waiting&cursor={recent_cursor}"), 400)
    assert error["field"] == "cursor" and "sort=recent" in error["message"]


def test_bad_sort_and_needs_reply_values_are_400(api):
    assert error_of(api.get("/conversations?sort=oldest"), 400)["field"] == "sort"
    assert error_of(api.get("/conversations?needs_reply=maybe"), 400)["field"] == "needs_reply"


def test_unread_count_is_the_token_owners(app, client, api, factory):
    colleague = factory.user(api.workspace, name="Colleague", role="agent")
    theirs = make_api(app, client, colleague)
    conversation = factory.conversation(api.account, unread_count=3)
    assert api.get(f"/conversations/{conversation.id}").get_json()["data"]["unread_count"] == 3
    assert api.post(f"/conversations/{conversation.id}/read").get_json()["data"]["unread_count"] == 0
    # The colleague's own unread is untouched, in the list, the filter and the conversation.
    assert theirs.get(f"/conversations/{conversation.id}").get_json()["data"]["unread_count"] == 3
    assert [c["id"] for c in theirs.get("/conversations?unread=true").get_json()["data"]] == [conversation.id]
    assert api.get("/conversations?unread=true").get_json()["data"] == []
    assert db.session.get(ConversationUnread, (colleague.id, conversation.id)).count == 3
    assert db.session.get(Conversation, conversation.id).unread_count == 0  # the team has read it
