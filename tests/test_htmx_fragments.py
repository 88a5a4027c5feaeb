"""Every fragment answer varies on HX-Request (docs/architecture.md#conventions, item 5): the
outbound bubbles, the inbox's older page, live poll, read and note answers, the AI draft and the
leads' saved cell go through app.htmx_responses, so no cache serves a fragment for a page."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.inbox import live
from app.models import AiDraft, utcnow
from tests.meta_kit import HX, graph_url, sent_ok


@pytest.fixture
def world(factory, auth, meta):
    workspace = factory.workspace()
    user = factory.user(workspace, name="Ana Agent")
    account = factory.account(workspace)
    conversation = factory.conversation(account, last_inbound_at=utcnow() - timedelta(hours=1), unread_count=1)
    customer = factory.message(conversation, "Hi", created_at=utcnow() - timedelta(hours=1))
    failed = factory.message(conversation, "Did not go", direction="out", status="failed",
                             created_at=utcnow() - timedelta(minutes=30))
    lead = factory.lead(conversation)
    auth.login(user)
    meta.post(graph_url(account.ig_user_id, "messages"), **sent_ok("mid.sent.1"))
    return dict(workspace=workspace, conversation=conversation, customer=customer, failed=failed, lead=lead)


def varies(response) -> bool:
    return "HX-Request" in response.headers.get("Vary", "")


def test_every_fragment_answer_varies_on_hx_request(client, auth, world):
    c, customer = world["conversation"], world["customer"]
    answers = {
        "reply sent": (auth.post(f"/conversations/{c.id}/messages", {"text": "Thanks!"}, htmx=True), 201),
        "reply refused": (auth.post(f"/conversations/{c.id}/messages", {"text": "é" * 600}, htmx=True), 422),
        "status poll": (client.get(f"/messages/{customer.id}/status", headers=HX), 200),
        "retry refused": (auth.post(f"/messages/{customer.id}/retry", htmx=True), 422),
        "reaction": (auth.post(f"/messages/{customer.id}/react", {"reaction": "love"}, htmx=True), 200),
        "reaction removed": (auth.post(f"/messages/{customer.id}/unreact", htmx=True), 200),
        "failed reply deleted": (auth.post(f"/messages/{world['failed'].id}/delete", htmx=True), 200),
        "older messages": (client.get(f"/conversations/{c.id}/older", headers=HX), 200),
        "live poll": (client.get("/inbox/changes", headers=HX), 200),
        "live poll, nothing new": (client.get(
            "/inbox/changes", query_string={"since": live.current_list_state(world["workspace"].id).token()},
            headers=HX), 204),
        "marked read": (auth.post(f"/conversations/{c.id}/read", htmx=True), 200),
        "note added": (auth.post(f"/conversations/{c.id}/notes", {"text": "VIP"}, htmx=True), 200),
        "note refused": (auth.post(f"/conversations/{c.id}/notes", {"text": "  "}, htmx=True), 422),
        "AI draft refused": (auth.post(f"/conversations/{c.id}/suggest-reply", htmx=True), 422),
        "lead cell saved": (auth.post(f"/leads/{world['lead'].id}/status", {"status": "won"}, htmx=True), 200),
        "lead cell refused": (auth.post(f"/leads/{world['lead'].id}/status", {"status": "maybe"}, htmx=True), 422),
    }
    draft = AiDraft(conversation_id=c.id, status="pending", created_at=utcnow())
    db.session.add(draft)
    db.session.commit()
    answers["AI draft poll"] = (client.get(f"/conversations/{c.id}/suggest-reply/{draft.id}", headers=HX), 200)

    wrong = {name: response.status_code for name, (response, status) in answers.items() if response.status_code != status}
    assert not wrong
    assert [name for name, (response, _) in answers.items() if not varies(response)] == []


def test_a_refused_note_and_a_refused_reply_share_one_template(auth, world):
    c = world["conversation"]
    note = auth.post(f"/conversations/{c.id}/notes", {"text": "  "}, htmx=True).get_data(as_text=True)
    reply = auth.post(f"/conversations/{c.id}/messages", {"text": "é" * 600}, htmx=True).get_data(as_text=True)
    assert note.startswith('<p class="composer__error" role="alert">') and "a note cannot be empty" in note
    assert reply.startswith('<p class="composer__error" role="alert" data-code="too_long">')
