"""AI drafts for the composer: "Suggest reply" queues a job, the fragment polls until the draft
is ready, the ready response hands the text to the composer; failures say why."""
import json
import logging
import re
from datetime import timedelta

import pytest
import requests
import responses
from flask import render_template
from sqlalchemy import func, select

from app.automation.ai import THREAD_MESSAGES
from app.extensions import db
from app.models import AiDraft, AutomationSettings, utcnow
from tests.meta_kit import HX

KEY = "sk-draft-SECRET-key"
ENDPOINT = "http://llm.test/v1/chat/completions"
KNOWLEDGE = "Sneakers cost 80 EUR. KNOWLEDGE-MARKER"


def answer(content):
    return {"json": {"choices": [{"message": {"role": "assistant", "content": content}}]}}


@pytest.fixture
def llm(app):
    app.config.update(LLM_API_URL="http://llm.test/v1/", LLM_API_KEY=KEY, LLM_MODEL="test-model")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def thread(factory, auth):
    user = factory.user(role="agent")
    account = factory.account(user.workspace, username="sneakershop")
    conversation = factory.conversation(account, last_inbound_at=utcnow())
    start = utcnow() - timedelta(hours=1)
    for n in range(25):
        factory.message(conversation, text=f"message {n}", direction="in" if n % 2 == 0 else "out",
                        created_at=start + timedelta(minutes=n))
    db.session.add(AutomationSettings(workspace_id=user.workspace_id, timezone="UTC", business_hours={},
                                      knowledge=KNOWLEDGE, ai_auto_reply=False, pause_minutes=30, away_every_hours=12))
    db.session.commit()
    auth.login(user)
    return conversation


def poll_url(fragment: str) -> str:
    match = re.search(r'hx-get="([^"]+)"', fragment)
    assert match, fragment
    return match.group(1)


def test_suggest_reply_polls_then_hands_the_draft_to_the_composer(client, auth, llm, thread, caplog):
    caplog.set_level(logging.DEBUG)
    llm.post(ENDPOINT, **answer("Hi! Our sneakers cost 80 EUR. <b>Want a size?</b>"))

    response = auth.post(f"/conversations/{thread.id}/suggest-reply", htmx=True)
    assert response.status_code == 202
    fragment = response.get_data(as_text=True)
    assert 'hx-trigger="every 1.5s"' in fragment and "Drafting" in fragment
    url = poll_url(fragment)
    draft = db.session.scalar(select(AiDraft))
    assert url == f"/conversations/{thread.id}/suggest-reply/{draft.id}"

    response = client.get(url, headers=HX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "hx-trigger" not in body  # ready: polling stops
    assert "<template data-draft>Hi! Our sneakers cost 80 EUR. &lt;b&gt;Want a size?&lt;/b&gt;</template>" in body
    event = json.loads(response.headers["HX-Trigger"])["ai-draft-ready"]
    assert event == {"text": "Hi! Our sneakers cost 80 EUR. <b>Want a size?</b>", "conversation_id": thread.id,
                     "draft_id": draft.id}

    # The model saw the knowledge text and the last 20 messages, oldest first, as user/assistant turns.
    chat = json.loads(llm.calls[0].request.body)["messages"]
    assert chat[0]["role"] == "system" and KNOWLEDGE in chat[0]["content"] and "sneakershop" in chat[0]["content"]
    turns = chat[1:]
    assert [t["content"] for t in turns] == [f"message {n}" for n in range(25 - THREAD_MESSAGES, 25)]
    assert [t["role"] for t in turns][:2] == ["assistant", "user"]  # message 5 is ours, 6 the customer's
    for text in (caplog.text,):
        assert KEY not in text and "KNOWLEDGE-MARKER" not in text and "message 24" not in text


@pytest.mark.parametrize("response, message", [
    ({"body": requests.exceptions.ReadTimeout()}, "did not answer in time"),
    ({"status": 502, "json": {}}, "HTTP 502"),
    ({"status": 200, "body": "not json"}, "could not read"),
    (answer(""), "empty answer"),
])
def test_a_failed_draft_says_why_and_offers_a_retry(client, auth, llm, thread, caplog, response, message):
    llm.post(ENDPOINT, **response)
    url = poll_url(auth.post(f"/conversations/{thread.id}/suggest-reply", htmx=True).get_data(as_text=True))
    result = client.get(url, headers=HX)
    body = result.get_data(as_text=True)
    assert result.status_code == 200 and "HX-Trigger" not in result.headers
    assert message in body and "Try again" in body and 'role="alert"' in body
    assert db.session.scalar(select(AiDraft.status)) == "failed"
    assert KEY not in caplog.text and "KNOWLEDGE-MARKER" not in caplog.text


def test_without_a_model_configured_nothing_is_queued(client, auth, thread):
    response = auth.post(f"/conversations/{thread.id}/suggest-reply", htmx=True)
    assert response.status_code == 422
    assert "not set up" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AiDraft)) == 0


def test_a_lost_draft_is_given_up_after_a_while(client, auth, llm, thread, factory):
    draft = AiDraft(conversation_id=thread.id, status="pending", created_at=utcnow() - timedelta(minutes=5))
    db.session.add(draft)
    db.session.commit()
    body = client.get(f"/conversations/{thread.id}/suggest-reply/{draft.id}").get_data(as_text=True)
    assert "took too long" in body and "hx-trigger" not in body
    fresh = AiDraft(conversation_id=thread.id, status="pending")
    db.session.add(fresh)
    db.session.commit()
    assert 'hx-trigger="every 1.5s"' in client.get(f"/conversations/{thread.id}/suggest-reply/{fresh.id}").get_data(as_text=True)


def test_suggest_reply_needs_the_csrf_token(client, auth, llm, thread):
    assert client.post(f"/conversations/{thread.id}/suggest-reply").status_code == 400
    assert not llm.calls and db.session.scalar(select(func.count()).select_from(AiDraft)) == 0


def test_other_workspaces_conversations_and_drafts_are_404(client, auth, llm, thread, factory):
    other = factory.conversation(factory.account())
    theirs = AiDraft(conversation_id=other.id, status="ready", text="THEIR DRAFT")
    db.session.add(theirs)
    db.session.commit()
    assert auth.post(f"/conversations/{other.id}/suggest-reply", htmx=True).status_code == 404
    assert client.get(f"/conversations/{other.id}/suggest-reply/{theirs.id}").status_code == 404
    # Their draft id under our own conversation is no way in either.
    response = client.get(f"/conversations/{thread.id}/suggest-reply/{theirs.id}")
    assert response.status_code == 404 and "THEIR DRAFT" not in response.get_data(as_text=True)
    assert not llm.calls


def test_queued_mode_answers_the_poll_from_the_worker(client, auth, llm, thread, queued):
    llm.post(ENDPOINT, **answer("Queued draft"))
    url = poll_url(auth.post(f"/conversations/{thread.id}/suggest-reply", htmx=True).get_data(as_text=True))
    assert 'every 1.5s' in client.get(url).get_data(as_text=True)  # the job has not run yet
    assert not llm.calls
    queued.work()
    response = client.get(url, headers=HX)
    assert json.loads(response.headers["HX-Trigger"])["ai-draft-ready"]["text"] == "Queued draft"


def test_the_suggest_button_partial(app, thread, llm):
    with app.test_request_context():
        html = render_template("automation/_suggest_button.html", conversation=thread)
        assert f'hx-post="/conversations/{thread.id}/suggest-reply"' in html
        assert 'hx-params="none"' in html and 'id="ai-draft-slot"' in html and "js/automation.js" in html
        # `current` works too (the inbox page's name for the open conversation).
        assert "suggest-reply" in render_template("automation/_suggest_button.html", current=thread)
        app.config["LLM_MODEL"] = None
        assert render_template("automation/_suggest_button.html", conversation=thread).strip() == ""
