"""Settings pages in real Chromium at a laptop's width: what the walk-throughs found there."""
from __future__ import annotations

import pytest

from tests.browser.conftest import browser_available

_reason = browser_available()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.browser


def test_a_confirmation_in_a_table_opens_whole(browsing, factory):
    """Delete on the last automation rule: its confirmation was a 2 px sliver under the row, cut
    by the table's scrolling box; it opens in the row now, its button reachable by a click."""
    admin = factory.user(factory.workspace("Rules Shop"), email="owner@rules.test", name="Rhea Rules")
    account = factory.account(admin.workspace)
    factory.greeting_rule(account)
    factory.greeting_rule(account)
    page = browsing.login(admin)
    browsing.go("/settings/automation")
    last = page.locator("table.rules details.confirm").last
    last.locator("summary").click()
    confirm = last.get_by_role("button", name="Delete the rule")
    expect(confirm).to_be_visible()
    wrap = page.locator("table.rules").locator("xpath=ancestor::div[contains(@class, 'table-wrap')]").bounding_box()
    button = confirm.bounding_box()
    assert wrap["y"] <= button["y"] and button["y"] + button["height"] <= wrap["y"] + wrap["height"], (wrap, button)
    confirm.click()
    expect(page.locator("table.rules details.confirm")).to_have_count(1)
