"""The history import's progress on the Accounts page in a real browser, at 1280 and 390 px: the bar
while it runs, htmx's 2-second poll swapping in the outcome when it ends (then polling no more), the
failed state's Retry button (44 px). Screenshots into test-artifacts/, axe-core checks, no CSP
violation."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.browser.conftest import browser_available, next_frame

_reason = browser_available()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from app.extensions import db  # noqa: E402
from app.models import AccountImport, utcnow  # noqa: E402

pytestmark = pytest.mark.browser
SIZES = ({"width": 1280, "height": 800}, {"width": 390, "height": 800})


@pytest.fixture
def shop(factory):
    ws = factory.workspace("Import Shop")
    admin = factory.user(ws, email="owner@importshop.test", name="Olga Owner")
    account = factory.account(ws, username="import.shop")
    state = AccountImport(account_id=account.id, status="running", run=1, days=30, done=12, total=40,
                          since=utcnow() - timedelta(days=30), started_at=utcnow(), updated_at=utcnow())
    db.session.add(state)
    db.session.commit()
    return admin, account, state


def _check(browsing, name):
    page = browsing.page
    for size in SIZES:
        page.set_viewport_size(size)
        page.locator("#import-%s" % browsing.account_id).scroll_into_view_if_needed()
        next_frame(page)
        browsing.screenshot(name)
        violations = browsing.axe_violations()
        assert not violations, f"{name} at {size['width']} px:\n" + "\n".join(violations)
        # Measured in the page in one step: the progress poll replaces the section every few
        # seconds, and a locator's box taken between finding it and measuring it came back None.
        width = page.evaluate("id => document.getElementById(id).getBoundingClientRect().width",
                              f"import-{browsing.account_id}")
        assert width <= size["width"]  # nothing overflows the phone's width


def test_the_progress_bar_follows_the_import_until_it_ends(browsing, shop):
    admin, account, state = shop
    browsing.account_id = account.id
    page = browsing.login(admin)
    browsing.go("/accounts")
    section = page.locator(f"#import-{account.id}")
    bar = section.locator("progress")
    expect(bar).to_have_attribute("value", "12")
    expect(bar).to_have_attribute("max", "40")
    expect(section).to_contain_text("12 of 40 conversations found so far")
    _check(browsing, "history-import-running")

    state = db.session.get(AccountImport, state.id)
    state.done = 27
    db.session.commit()
    expect(section.locator("progress")).to_have_attribute("value", "27", timeout=6000)  # the 2-second poll

    state.status, state.done, state.total, state.finished_at = "done", 40, 40, utcnow()
    db.session.commit()
    expect(section).to_contain_text("Imported 40 conversations from the last 30 days", timeout=6000)
    expect(section).not_to_have_attribute("hx-trigger", "every 2s")
    expect(section.locator("button")).to_contain_text("Import again")
    _check(browsing, "history-import-done")


def test_a_failed_import_says_why_and_offers_a_retry(browsing, shop):
    admin, account, state = shop
    browsing.account_id = account.id
    state = db.session.get(AccountImport, state.id)
    state.status = "failed"
    state.last_error = "Instagram no longer accepts this account's access token: reconnect it, then retry the import."
    db.session.commit()
    page = browsing.login(admin)
    browsing.go("/accounts")
    section = page.locator(f"#import-{account.id}")
    expect(section).to_contain_text("Stopped after 12 of 40 conversations")
    retry = section.get_by_role("button", name="Retry import of @import.shop")
    for size in SIZES:
        page.set_viewport_size(size)
        box = retry.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44
    page.set_viewport_size(SIZES[0])
    _check(browsing, "history-import-failed")
