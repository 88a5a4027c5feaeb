"""Reply windows, enforced by the server for inbox, API and automation sends alike."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Message, utcnow
from app.outbound.replies import ReplyRefused, queue_reply
from app.outbound.windows import reply_window
from tests.meta_kit import sent_ok
from tests.outbound.helpers import refetch, sent_bodies


def at(world, hours_ago: float | None, human_agent_enabled: bool = False):
    world.conversation.last_inbound_at = None if hours_ago is None else utcnow() - timedelta(hours=hours_ago)
    world.workspace.human_agent_enabled = human_agent_enabled
    db.session.commit()


def test_window_states_and_their_ends(app, world):
    now = utcnow()
    conversation = world.conversation
    conversation.last_inbound_at = now - timedelta(hours=2)
    window = reply_window(conversation, now=now)
    assert (window.state, window.can_reply, window.human_agent) == ("open", True, False)
    assert window.ends_at == conversation.last_inbound_at + timedelta(hours=24)
    assert "Replies are open until" in window.reason

    conversation.last_inbound_at = now - timedelta(hours=24)  # the 24th hour is over
    window = reply_window(conversation, now=now)
    assert (window.state, window.can_reply, window.refusal_code) == ("human_agent", False, "window_closed")
    assert window.ends_at == conversation.last_inbound_at + timedelta(days=7)
    assert "Human Agent" in window.reason

    world.workspace.human_agent_enabled = True
    window = reply_window(conversation, now=now)
    assert (window.can_reply, window.human_agent) == (True, True)
    window = reply_window(conversation, now=now, human=False)
    assert (window.can_reply, window.refusal_code) == (False, "human_agent_required")

    conversation.last_inbound_at = now - timedelta(days=7)
    window = reply_window(conversation, now=now)
    assert (window.state, window.can_reply, window.ends_at, window.refusal_code) == ("closed", False, None,
                                                                                    "window_closed")
    assert "7 days" in window.reason

    conversation.last_inbound_at = None
    assert reply_window(conversation, now=now).state == "closed"
    assert "not written" in reply_window(conversation, now=now).reason


def test_now_defaults_to_the_current_time(app, world):
    world.conversation.last_inbound_at = utcnow() - timedelta(hours=23, minutes=59)
    assert reply_window(world.conversation).state == "open"


# (hours since the customer's last message, workspace has Human Agent) → outcome per source
CASES = [
    (1, False, {"inbox": "sent", "api": "sent", "automation": "sent"}),
    (23.9, True, {"inbox": "sent", "api": "sent", "automation": "sent"}),
    (30, False, {"inbox": "window_closed", "api": "window_closed", "automation": "window_closed"}),
    (30, True, {"inbox": "tagged", "api": "human_agent_required", "automation": "human_agent_required"}),
    (24 * 6.9, True, {"inbox": "tagged", "api": "human_agent_required", "automation": "human_agent_required"}),
    (24 * 8, True, {"inbox": "window_closed", "api": "window_closed", "automation": "window_closed"}),
    (None, True, {"inbox": "window_closed", "api": "window_closed", "automation": "window_closed"}),
]


@pytest.mark.parametrize("hours_ago, enabled, outcomes", CASES)
@pytest.mark.parametrize("source", ["inbox", "api", "automation"])
def test_the_server_enforces_the_window_for_every_source(app, world, meta, hours_ago, enabled, outcomes, source):
    at(world, hours_ago, enabled)
    meta.post(world.messages_url, **sent_ok("mid.w"))
    user = None if source == "automation" else world.user
    expected = outcomes[source]

    if expected in ("sent", "tagged"):
        message = refetch(Message, queue_reply(world.conversation, text="hello", user=user, source=source)[-1].id)
        [body] = sent_bodies(meta)
        assert message.status == "sent" and message.source == source
        assert message.human_agent is (expected == "tagged")
        assert (body.get("tag"), body.get("messaging_type")) == (
            ("HUMAN_AGENT", "MESSAGE_TAG") if expected == "tagged" else (None, None))
    else:
        with pytest.raises(ReplyRefused) as refused:
            queue_reply(world.conversation, text="hello", user=user, source=source)
        assert refused.value.code == expected
        assert refused.value.message  # a readable sentence
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0
        assert len(meta.calls) == 0
