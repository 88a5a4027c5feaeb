"""What only a browser shows: a pending reply turns sent by itself (htmx polling), and a refused
reply's 422 fragment is swapped into the composer (the htmx-config in base.html)."""
from __future__ import annotations

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD, ServerThread, browser_available
from tests.browser.csp_watch import CspWatch
from tests.meta_kit import sent_ok

pytestmark = pytest.mark.browser

# A fresh machine without Chromium skips these, as it does tests/browser (README: the browser tests).
_reason = browser_available()
if _reason:
    pytest.skip(_reason, allow_module_level=True)


@pytest.fixture
def live_server(app):
    server = ServerThread(app).start()  # this test's own app, so the test's `meta` stub answers its sends
    yield server.url
    server.stop()


@pytest.fixture
def page(live_server, world):
    import playwright.sync_api as playwright_api
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        csp = CspWatch()  # the pages must run under the app's Content-Security-Policy without a violation
        csp.attach(page.context)
        page.goto(f"{live_server}/login")
        page.fill("input[name=email]", world.user.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server}/")
        page.goto(f"{live_server}/conversations/{world.conversation.id}")
        # The composer belongs to the inbox page; this stands in for its two hooks.
        page.evaluate("""() => {
            const box = document.createElement('div'); box.id = 'composer-error';
            document.querySelector('.inbox__thread').appendChild(box);
        }""")
        yield page
        browser.close()
    assert not csp.violations, csp.report(csp.violations)


def post_reply(page, conversation_id: int, text: str) -> None:
    page.evaluate("""([path, text]) => htmx.ajax('POST', path,
        {target: '.thread', swap: 'beforeend', values: {text: text}})""",
                  [f"/conversations/{conversation_id}/messages", text])


def test_pending_reply_turns_sent_by_itself(app, page, world, meta):
    meta.post(world.messages_url, **sent_ok("mid.browser"))
    # Inline mode: the bubble is rendered pending, the send job runs right after; the bubble's
    # own polling then brings the new state.
    post_reply(page, world.conversation.id, "Hello from the browser")
    page.wait_for_selector(".bubble--out.bubble--pending", timeout=10000)
    assert "Sending" in page.inner_text(".bubble--out")

    page.wait_for_selector(".bubble--out.bubble--sent", timeout=10000)
    assert page.locator(".bubble--out").count() == 1
    assert page.locator(".bubble--out[hx-trigger]").count() == 0  # polling stopped


def test_refused_reply_shows_in_the_composer(app, page, world, meta):
    meta.post(world.messages_url, **sent_ok())
    post_reply(page, world.conversation.id, "x" * 1001)
    page.wait_for_selector("#composer-error .composer__error", timeout=10000)
    assert "1,001 bytes" in page.inner_text("#composer-error")
    assert page.locator(".bubble--out").count() == 0
