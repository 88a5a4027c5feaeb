"""The reply window in a real browser: the row and the header count down when the window closes
within 4 hours, the composer says until when replies are open, and the closed notice points
admins at the Human Agent switch; screenshots at 375 and 1280 px, axe clean, no CSP violation."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.browser.conftest import browser_available

_reason = browser_available()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from app.models import utcnow  # noqa: E402

pytestmark = pytest.mark.browser


def test_the_window_is_in_sight(browsing, factory):
    ws = factory.workspace("Window Shop")
    admin = factory.user(ws, email="win@shop.test", name="Wendy")
    account = factory.account(ws, username="window.shop")
    now = utcnow()
    closing = factory.conversation(account, contact=factory.contact(account, name="Carl Closing", username="carl"),
                                   last_message_at=now - timedelta(hours=22), last_inbound_at=now - timedelta(hours=22))
    factory.message(closing, "Still there?", created_at=now - timedelta(hours=22))
    expired = factory.conversation(account, contact=factory.contact(account, name="Eve Expired", username="eve"),
                                   last_message_at=now - timedelta(days=2), last_inbound_at=now - timedelta(days=2))
    factory.message(expired, "Hello?", created_at=now - timedelta(days=2))

    page = browsing.login(admin)
    row = page.locator(f"#conv-{closing.id}")
    expect(row).to_contain_text(re.compile(r"Window closes in\s1 h \d\d min"))
    expect(page.locator(f"#conv-{expired.id}")).not_to_contain_text("Window closes")
    row.locator("a").click()
    expect(page.locator("#window-status")).to_contain_text("Window closes in")
    expect(page.locator("#window-open")).to_contain_text("Replies are open until")
    browsing.check_page("reply-window-closing")

    page.locator(f"#conv-{expired.id} a").click()
    expect(page.locator("#window-status")).to_have_text("24-hour window closed")
    link = page.locator("#window-closed a", has_text="Turn on Human Agent replies")
    expect(link).to_have_attribute("href", "/settings/workspace#ws-human-agent")
    browsing.check_page("reply-window-closed")
