"""In real Chromium: "Suggest reply" polls until the draft is ready and the draft lands in the
reply box (#composer-text), through the `ai-draft-ready` event and static/js/automation.js."""
from __future__ import annotations

import pytest
import responses
from flask import render_template_string
from flask_login import login_required

from app.extensions import db
from app.models import utcnow
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD, ServerThread, browser_available
from tests.browser.csp_watch import CspWatch

pytestmark = pytest.mark.browser

DRAFT = "Hi! Our sneakers cost 80 €.\nWhich size do you need?"

# A stand-in for the inbox's composer: the same ids the real one has.
COMPOSER_PAGE = """{% extends "base.html" %}{% block content %}
<form id="composer" method="post"><textarea id="composer-text" name="text"></textarea>
{% include "automation/_suggest_button.html" %}</form>{% endblock %}"""


@pytest.fixture
def server(app):
    @app.get("/_test/composer/<int:conversation_id>")
    @login_required
    def _composer(conversation_id):
        from app.models import Conversation
        from app.scoping import get_or_404

        return render_template_string(COMPOSER_PAGE, conversation=get_or_404(Conversation, conversation_id))

    http = ServerThread(app).start()
    yield http.url
    http.stop()


def test_a_suggested_reply_fills_the_reply_box(app, factory, server):
    reason = browser_available()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    app.config.update(LLM_API_URL="http://llm.test", LLM_API_KEY="sk-browser", LLM_MODEL="m")
    user = factory.user(password=PASSWORD, role="agent")
    conversation = factory.conversation(factory.account(user.workspace), last_inbound_at=utcnow())
    factory.message(conversation, text="How much are the sneakers?")
    conversation_id, email = conversation.id, user.email
    db.session.remove()

    errors: list[str] = []
    csp = CspWatch()  # the page must run under the app's Content-Security-Policy without a violation
    with responses.RequestsMock(assert_all_requests_are_fired=True) as llm, sync_playwright() as pw:
        llm.add_passthru("http://127.0.0.1")  # the browser's own requests to the test server
        llm.post("http://llm.test/v1/chat/completions", json={"choices": [{"message": {"content": DRAFT}}]})
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            csp.attach(page.context)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{server}/login")
            page.fill("input[name=email]", email)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.goto(f"{server}/_test/composer/{conversation_id}")
            page.fill("#composer-text", "my own half-written text")
            page.click("#suggest-reply")
            expect(page.locator("#composer-text")).to_have_value(DRAFT, timeout=10_000)
            expect(page.locator("[data-draft-status=ready]")).to_contain_text("Draft added to the reply box")
            expect(page.locator("#composer-text")).to_be_focused()
        finally:
            browser.close()
    assert not csp.violations, csp.report(csp.violations)
    assert errors == []
