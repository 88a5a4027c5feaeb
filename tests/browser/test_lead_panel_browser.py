"""The lead panel in a thread, at 1280 px (a column beside the thread) and 390 px (a drawer opened
from the thread's Lead button): set the deal's value, move the lead to won (the value asked again,
prefilled), see the stage history, and save the email the customer typed with one click."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import browser_available

_reason = browser_available()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from app.extensions import db  # noqa: E402
from app.models import Lead, LeadStageChange  # noqa: E402

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots/lead_panel")


@pytest.fixture
def shop(factory):
    ws = factory.workspace("Panel Shop")
    sam = factory.user(ws, email="sam@panel.test", name="Sam Seller", role="agent")
    account = factory.account(ws, username="panel.boutique")
    contact = factory.contact(account, name="Priya Shah", username="priya", follower_count=830, is_verified_user=False,
                              is_user_follow_business=True)
    conversation = factory.conversation(account, contact=contact, last_message_preview="mail me")
    factory.message(conversation, "Lovely! Send the invoice to priya@example.com please")
    lead = factory.lead(conversation, source="ad", source_detail={"ad_id": "ad-1", "ad_title": "Linen totes, 20% off"})

    class Shop:
        pass

    Shop.sam, Shop.conversation, Shop.lead = sam, conversation, lead
    return Shop


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{page.viewport_size['width']}.png"))


@pytest.mark.parametrize("width", [1280, 390])
def test_value_won_history_and_an_offered_email(browsing, shop, width):
    page = browsing.page
    page.set_viewport_size({"width": width, "height": 844 if width < 768 else 800})
    browsing.login(shop.sam)
    browsing.go(f"/conversations/{shop.conversation.id}")
    panel = page.locator("#lead-panel")
    opener = page.locator("[data-lead-panel-open]")
    if width < 1100:
        expect(panel).to_be_hidden()
        shot(page, "thread")
        opener.click()
        expect(page.locator("#lead-panel-title")).to_be_focused()
    else:
        expect(opener).to_be_hidden()
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("Linen totes, 20% off")
    shot(page, "opened")

    # The value, saved from its own small form.
    page.fill("#lp-value", "1250.50")
    page.select_option("#lp-currency", "EUR")
    page.locator("#lead-panel-value button[type=submit]").click()
    expect(page.locator("#lead-panel-value [role=status]")).to_have_text("Value saved.")

    # A plain move saves itself, so there is no "Save stage" beside it (a walk-through found one
    # beside "Stage saved."); won asks first, and shows the button.
    save = page.locator("#lead-panel-stage .stageform__save")
    expect(save).to_be_hidden()
    # Won: the value is asked again, prefilled, and goes with the move.
    page.select_option("#lp-status", "won")
    expect(save).to_be_visible()
    confirm = page.locator("#lp-won-value")
    expect(confirm).to_be_visible()
    expect(confirm).to_have_value("1250.50")
    expect(confirm).to_be_focused()
    page.locator("#lead-panel-stage .stageform__save").click()
    timeline = page.locator("#lead-panel-stage .timeline")
    expect(timeline.locator(".timeline__item").first).to_contain_text("New → Won")
    expect(timeline).to_contain_text("Won at 1,250.50 EUR")
    expect(timeline).to_contain_text("Sam Seller")
    expect(page.locator("#lead-panel-stage [role=status]")).to_have_text("Stage saved.")
    expect(page.locator("#lead-panel-stage .stageform__save")).to_be_hidden()  # saved: nothing waits
    shot(page, "won")

    # The address the customer typed, offered and saved in one click (never before).
    assert db.session.get(Lead, shop.lead.id).email is None
    offer = page.locator("#lead-panel-contact .offer")
    expect(offer).to_contain_text("Save priya@example.com as email?")
    offer.get_by_role("button").click()
    expect(page.locator("#lp-email")).to_have_value("priya@example.com")
    expect(page.locator("#lead-panel-contact .offer")).to_have_count(0)
    page.locator("#lead-panel-contact").scroll_into_view_if_needed()
    shot(page, "email-saved")
    violations = browsing.axe_violations()
    assert not violations, "\n".join(violations)

    db.session.expire_all()
    lead = db.session.get(Lead, shop.lead.id)
    assert (lead.status, lead.value_cents, lead.currency, lead.email) == ("won", 125050, "EUR", "priya@example.com")
    [change] = db.session.scalars(db.select(LeadStageChange)).all()
    assert (change.from_status, change.to_status, change.value_cents, change.user_id) == ("new", "won", 125050, shop.sam.id)

    if width < 1100:
        page.locator("[data-lead-panel-close]").click()
        expect(panel).to_be_hidden()
        expect(opener).to_be_focused()
        # The drawer is a step in the history: Back closes it and stays in the conversation (on a
        # phone it left the conversation), and closing it by hand left no step behind.
        url = page.url
        opener.click()
        expect(panel).to_be_visible()
        page.go_back()
        expect(panel).to_be_hidden()
        expect(opener).to_be_focused()
        assert page.url == url
        expect(page.locator("#thread-view")).to_be_visible()
        page.go_back()  # the step before the conversation, as if the drawer had never opened
        expect(page).not_to_have_url(url)
