"""The inbox search in Chromium: a row marks the match, and a result deep in a long thread opens
the thread at that message (centred and focused), with the later messages loading below it as
the reader scrolls down, each once, up to the newest."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.browser.conftest import browser_available

_reason = browser_available()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from app.models import utcnow  # noqa: E402
from tests.browser import test_inbox_browser  # noqa: E402
from tests.browser.test_inbox_browser import row  # noqa: E402

inbox = test_inbox_browser.inbox  # the inbox page's fixture: a workspace, three conversations, its agent

pytestmark = pytest.mark.browser


def test_a_result_opens_its_thread_at_the_message(browsing, inbox, factory):
    base = (utcnow() - timedelta(days=3)).replace(microsecond=0)
    made = [factory.message(inbox.bruno, f"Old message {i}" + (" about the <b>velvet</b> scarf" if i == 20 else ""),
                            created_at=base + timedelta(minutes=i)) for i in range(150)]
    target = made[20]
    page = browsing.login(inbox.user)
    page.locator("#inbox-filters input[name=q]").fill("velvet")
    page.locator("#inbox-filters input[name=q]").press("Enter")
    hit = row(page, inbox.bruno)
    expect(hit.locator("mark")).to_have_text("velvet")
    expect(hit.locator(".convrow__preview")).to_contain_text("about the <b>velvet</b> scarf")  # text, not markup
    hit.locator("a").click()
    found = page.locator(f"#message-{target.id}")
    expect(found).to_have_class("bubble bubble--in bubble--received bubble--found")
    expect(found).to_be_in_viewport()
    expect(found).to_be_focused()
    # The search's word is marked in the message too (only as text: the <b> in it stays text).
    expect(found.locator(".bubble__text mark")).to_have_text("velvet")
    expect(found.locator(".bubble__text")).to_have_text("Old message 20 about the <b>velvet</b> scarf")
    expect(page.get_by_text("Question number 1", exact=True).last).not_to_be_in_viewport()  # the newest
    for _ in range(10):
        if page.locator("#newer-loader").count() == 0:
            break
        page.locator("#thread-scroll").evaluate("el => el.scrollTop = el.scrollHeight")
        page.wait_for_timeout(400)
    expect(page.locator("#newer-loader")).to_have_count(0)
    ids = page.locator("#thread-messages .bubble").evaluate_all("els => els.map(e => e.id)")
    assert len(ids) == len(set(ids))
    assert {f"message-{m.id}" for m in made[5:]} <= set(ids)  # from 15 before the result, every later one
    expect(page.locator("#thread-messages .bubble").last).to_contain_text("Question number 1")  # the newest
