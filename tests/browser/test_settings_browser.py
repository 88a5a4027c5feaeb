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


def test_the_audit_log_keeps_who_on_one_line(browsing, factory):
    """Beside a long entry the table's layout squeezed the Who column to its narrowest and cut the
    email in two ("demo@examp / le.com"); it stays whole on a laptop now."""
    from app import audit
    from app.extensions import db

    admin = factory.user(factory.workspace("Audit Shop"), email="olga.owner@audit-shop.test", name=None)
    summary = ("Gave 12 conversations and 3 leads of alexandra.papadopoulos@audit-shop.test to "
               "samuel.rivera.benitez@audit-shop.test, ") * 3
    audit.record("team.reassign", summary.strip(), workspace_id=admin.workspace_id, actor=admin)
    db.session.commit()
    page = browsing.login(admin)
    browsing.go("/settings/audit")
    who = page.locator("td[data-label=Who] bdi").first
    expect(who).to_have_text("olga.owner@audit-shop.test")
    assert who.evaluate("e => e.getClientRects().length") == 1


def test_escape_closes_the_disconnect_confirmation(browsing, factory):
    """Escape closed every confirmation but the Accounts page's Disconnect… (found by a keyboard
    walk-through): it is a disclosure in place, not a menu, and now says it is closable."""
    admin = factory.user(factory.workspace("Keys Shop"), email="owner@keys.test", name="Kim Keys")
    factory.account(admin.workspace, username="keys.shop")
    page = browsing.login(admin)
    browsing.go("/accounts")
    summary = page.locator("details.account__disconnect > summary")
    summary.focus()
    page.keyboard.press("Enter")
    confirm = page.get_by_role("button", name="Disconnect @keys.shop")
    expect(confirm).to_be_visible()
    page.keyboard.press("Tab")
    expect(confirm).to_be_focused()
    page.keyboard.press("Escape")
    expect(confirm).to_be_hidden()
    expect(summary).to_be_focused()
