"""The customer sees "typing…" while someone writes them a reply (app.inbox.viewers' heartbeat ->
app.outbound.jobs.typing_job): `typing_on` reaches Instagram once per 15 s per person while they
type a reply, never for a private note, a comments thread, a closed 24-hour window, a disconnected
account or a workspace that turned it off; a failure is logged, never raised into the heartbeat;
a dead token flips the account. Settings → Workspace turns it and read receipts on and off."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import responses
from sqlalchemy import update

from app.extensions import db
from app.inbox import viewers
from app.models import ConversationViewer, InstagramAccount, Workspace, utcnow
from tests.comments.helpers import comments_thread
from tests.meta_kit import HX, graph_error
from tests.outbound.helpers import TOKEN, refetch, sent_bodies

SUCCESS = {"json": {"recipient_id": "r"}, "status": 200}
TYPING_ON = {"sender_action": "typing_on"}


@pytest.fixture
def typing(auth, world):
    auth.login(world.user)
    token = auth.csrf_token("/settings")

    def beat(kind: str | None = "reply", conversation=None):
        conversation = conversation or world.conversation
        response = auth.client.post(f"/conversations/{conversation.id}/viewing", data={"typing": kind} if kind else {},
                                    headers={**HX, "X-CSRFToken": token})
        assert response.status_code == 200, response.get_data(as_text=True)
    return beat


def typing_calls(meta, world) -> list[dict]:
    return [body for body in sent_bodies(meta, world.messages_url) if body.get("sender_action") == "typing_on"]


def test_typing_a_reply_shows_the_customer_typing_once_per_15_seconds(world, meta, typing):
    meta.post(world.messages_url, **SUCCESS)

    typing("reply")
    assert meta.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert typing_calls(meta, world) == [{"recipient": {"id": world.igsid}, **TYPING_ON}]

    typing("reply")  # 3 s later, still typing: Instagram still shows it
    typing(None)     # a plain heartbeat never tells
    assert len(typing_calls(meta, world)) == 1

    db.session.execute(update(ConversationViewer).values(
        typing_told_at=utcnow() - viewers.TYPING_NOTICE_EVERY - timedelta(seconds=1)))
    db.session.commit()
    typing("reply")
    assert len(typing_calls(meta, world)) == 2


def test_a_private_note_is_never_shown_to_the_customer(world, meta, typing):
    meta.post(world.messages_url, **SUCCESS)
    typing("note")
    typing("stopped")
    assert len(meta.calls) == 0


def test_not_outside_the_window_nor_on_comments_nor_when_turned_off(world, meta, typing, factory):
    meta.post(world.messages_url, **SUCCESS)
    world.conversation.last_inbound_at = utcnow() - timedelta(hours=25)  # only HUMAN_AGENT replies now
    db.session.commit()
    typing("reply")

    comments = comments_thread(factory, account=world.account).conversation
    typing("reply", comments)

    fresh = factory.conversation(world.account, last_inbound_at=utcnow())
    world.workspace.typing_indicator_enabled = False
    db.session.commit()
    typing("reply", fresh)

    world.workspace.typing_indicator_enabled = True
    world.account.status = "disconnected"
    db.session.commit()
    typing("reply", fresh)
    assert len(meta.calls) == 0


def test_failures_are_logged_and_a_dead_token_flips_the_account(world, meta, typing, caplog):
    meta.post(world.messages_url, **graph_error(2, status=500))
    with caplog.at_level(logging.WARNING):
        typing("reply")  # the heartbeat still answers 200
    assert "typing_on for conversation" in caplog.text and len(meta.calls) == 1  # never retried

    meta.replace(responses.POST, world.messages_url, **graph_error(190, 460))
    db.session.execute(update(ConversationViewer).values(typing_told_at=None))
    db.session.commit()
    typing("reply")
    assert refetch(InstagramAccount, world.account.id).status == "reauth_required"


def test_settings_turn_read_receipts_and_typing_on_and_off(auth, factory):
    admin = auth.login(factory.user(factory.workspace("Shop")))
    page = auth.client.get("/settings/workspace").get_data(as_text=True)
    assert 'name="mark_seen" type="checkbox" value="on" checked' in page
    assert 'name="typing_indicator" type="checkbox" value="on" checked' in page

    form = {"name": "Shop", "timezone": "UTC", "customers_see": "1", "mark_seen": "on"}  # typing unticked
    assert auth.post("/settings/workspace", form).status_code == 302
    db.session.expire_all()
    workspace = db.session.get(Workspace, admin.workspace_id)
    assert (workspace.mark_seen_enabled, workspace.typing_indicator_enabled) == (True, False)
    assert "typing indicator False" in auth.client.get("/settings/audit").get_data(as_text=True)

    # A form from before the checkboxes existed (no `customers_see`) leaves both as they were.
    assert auth.post("/settings/workspace", {"name": "Shop", "timezone": "UTC"}).status_code == 302
    db.session.expire_all()
    workspace = db.session.get(Workspace, admin.workspace_id)
    assert (workspace.mark_seen_enabled, workspace.typing_indicator_enabled) == (True, False)


def test_agents_cannot_change_them(auth, factory):
    workspace = factory.workspace("Shop")
    auth.login(factory.user(workspace, role="agent"))
    response = auth.post("/settings/workspace", {"name": "Shop", "timezone": "UTC", "customers_see": "1"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Workspace, workspace.id).mark_seen_enabled is True
