"""Availability and auto-assignment in a real browser, at 1280 and 390 px: the user menu's toggle
(mouse and keyboard; the dot on the menu's avatar follows), the Accounts page's assignment setting,
and the thread header's "Assigned to … · round robin". Screenshots into test-artifacts/, axe-core
checks, no CSP violation."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.browser.conftest import browser_available, next_frame

_reason = browser_available()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from app.extensions import db  # noqa: E402
from app.models import AccountAssignee, InstagramAccount, User, utcnow  # noqa: E402

pytestmark = pytest.mark.browser
SIZES = ({"width": 1280, "height": 800}, {"width": 390, "height": 800})


@pytest.fixture
def shop(factory):
    ws = factory.workspace("Fair Shop")
    admin = factory.user(ws, email="owner@fairshop.test", name="Olga Owner")
    bob = factory.user(ws, email="bob@fairshop.test", name="Bob Seller", role="agent")
    cy = factory.user(ws, email="cy@fairshop.test", name="Cy Away", role="agent")
    now = utcnow()
    for person in (admin, bob):
        person.last_seen_at = now
    cy.availability = "away"
    account = factory.account(ws, username="fair.shop")
    contact = factory.contact(account, name="Dana Buyer", username="dana.buys")
    at = now - timedelta(minutes=3)
    conversation = factory.conversation(account, contact=contact, last_message_at=at, last_inbound_at=at,
                                        last_message_preview="Is the blue one in stock?", assignee_id=bob.id,
                                        assignment_reason="round_robin", assigned_at=at)
    factory.message(conversation, "Is the blue one in stock?", created_at=at)
    db.session.commit()
    return admin, bob, cy, account, conversation


def _shots(browsing, name):
    page = browsing.page
    for size in SIZES:
        page.set_viewport_size(size)
        next_frame(page)
        browsing.screenshot(name)
        violations = browsing.axe_violations()
        assert not violations, f"{name} at {size['width']} px:\n" + "\n".join(violations)
    page.set_viewport_size(SIZES[0])


@pytest.mark.parametrize("size", SIZES, ids=["1280", "390"])
def test_availability_toggle_in_the_user_menu(browsing, shop, size):
    admin = shop[0]
    page = browsing.login(admin)
    page.set_viewport_size(size)
    browsing.go("/settings")
    menu = page.locator("details.usermenu")
    menu.locator("summary").click()
    toggle = page.locator("#availability-menu")
    expect(toggle).to_contain_text("You are available")
    button = page.locator("#availability-menu-button")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    browsing.screenshot("availability-menu-open")
    assert not browsing.axe_violations()
    button.click()
    expect(toggle).to_contain_text("You are away")
    expect(page.locator("#my-presence")).to_have_class("presence presence--away")
    expect(button).to_have_text("Set yourself available")
    expect(button).to_be_focused()  # htmx put the focus back on the swapped button
    browsing.screenshot("availability-menu-away")
    page.keyboard.press("Enter")  # the keyboard: it is still focused
    expect(toggle).to_contain_text("You are available")
    expect(page.locator("#my-presence")).to_have_class("presence presence--available")
    db.session.expire_all()
    assert db.session.get(User, admin.id).availability == "available"


def test_accounts_page_sets_round_robin_among_chosen_people(browsing, shop):
    admin, bob, cy, account, _ = shop
    page = browsing.login(admin)
    browsing.go("/accounts")
    section = page.locator(f"#assignment-{account.id}")
    section.get_by_label("Round robin").check()
    section.locator("summary").click()
    section.get_by_label("Assign only to the people checked below").check()
    section.get_by_label("Bob Seller").check()
    expect(section.get_by_label("Cy Away")).to_be_visible()
    expect(section).to_contain_text("agent · away")
    section.get_by_role("button", name="Save assignment").click()
    expect(page.locator(f"#assignment-{account.id}")).to_contain_text("Saved: round robin, among 1 person.")
    db.session.expire_all()
    assert db.session.get(InstagramAccount, account.id).assignment == "round_robin"
    assert [row.user_id for row in db.session.query(AccountAssignee).all()] == [bob.id]
    page.locator(f"#assignment-{account.id} summary").scroll_into_view_if_needed()
    _shots(browsing, "accounts-assignment")


def test_thread_header_shows_assignee_presence_and_reason(browsing, shop):
    admin, bob, cy, account, conversation = shop
    page = browsing.login(admin)
    browsing.go(f"/conversations/{conversation.id}")
    assigned = page.locator("#thread-assigned")
    expect(assigned).to_contain_text("Assigned to Bob Seller · round robin")
    expect(assigned.locator(".presence--available")).to_have_count(1)
    expect(page.locator(f"#assignee-{conversation.id} option", has_text="Cy Away · away")).to_have_count(1)
    _shots(browsing, "thread-assigned")
    browsing.go("/settings/team")
    expect(page.locator(".team-member", has_text="Cy Away").locator(".presence--away")).to_have_count(1)
    _shots(browsing, "team-presence")
