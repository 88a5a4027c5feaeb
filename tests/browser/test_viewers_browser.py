"""Who else has the conversation open, in a real browser: two reps in two browsers (a laptop at
1280 px, a phone at 390 px) on the same customer. Each sees the other above the reply box; one
typing shows as typing under the other's eyes (a reply, then a private note), sending ends it,
and going back to the list takes the name away at once. Screenshots go to /tmp/shots/viewers/."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.browser.conftest import Browsing, browser_available

_reason = browser_available()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from app.models import utcnow  # noqa: E402

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots/viewers")
PHONE = {"width": 390, "height": 844}
# A heartbeat is every 5 s (app.inbox.viewers.HEARTBEAT): a change shows within one, plus the request.
WITHIN_A_HEARTBEAT = 8_000


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{page.viewport_size['width']}.png"))


@pytest.fixture
def shop(factory):
    ws = factory.workspace("Viewer Shop")
    rita = factory.user(ws, email="rita@viewers.test", name="Rita Rep", role="agent")
    sam = factory.user(ws, email="sam@viewers.test", name="Sam Seller", role="agent")
    account = factory.account(ws, username="viewer.boutique")
    at = utcnow() - timedelta(minutes=5)
    maria = factory.conversation(account, contact=factory.contact(account, name="Maria Lopez", username="maria.l"),
                                 last_message_at=at, last_inbound_at=at, last_message_preview="Is the green one back?")
    factory.message(maria, "Is the green one back?", created_at=at)
    return rita, sam, maria


def open_thread(page, conversation):
    page.locator(f"#conversation-list #conv-{conversation.id} a").click()
    expect(page.locator(f"#thread-view[data-conversation='{conversation.id}']")).to_be_visible()


def test_two_reps_on_one_customer_see_each_other_and_who_is_typing(browsing, browser, live_server, shop):
    rita, sam, maria = shop
    laptop = browsing.page
    browsing.login(rita)
    open_thread(laptop, maria)
    line = laptop.locator("#thread-viewers")
    expect(line).to_be_hidden()  # alone: the line takes no room

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, timezone_id="Europe/Berlin",
                                  locale="en-GB")
    context.set_default_timeout(10_000)
    phone_tab = Browsing(context.new_page(), live_server.url)
    try:
        phone = phone_tab.page
        phone_tab.login(sam)
        open_thread(phone, maria)
        # Sam's thread asked at once, and Rita was already there.
        expect(phone.locator("#thread-viewers")).to_have_text("RR Rita Rep is also viewing this conversation.")
        expect(line).to_contain_text("Sam Seller is also viewing this conversation.", timeout=WITHIN_A_HEARTBEAT)
        # Said to a screen reader once, as a sentence of its own.
        expect(laptop.locator("#thread-viewers-said")).to_have_text("Also in this conversation: Sam Seller.")

        phone.locator("#composer-text").tap()
        phone.locator("#composer-text").press_sequentially("Yes! Size 38 is", delay=20)
        expect(line.locator(".viewers__typing")).to_have_text("Sam Seller is typing a reply…", timeout=WITHIN_A_HEARTBEAT)
        shot(laptop, "laptop-sees-sam-typing")
        shot(phone, "phone-sees-rita")

        # Sent: Sam's page says so at once, and Rita's line shows it at her next heartbeat, well
        # before the typing's own time (8 s) would have run out.
        with phone.expect_request(lambda r: r.url.endswith("/viewing") and "typing=stopped" in (r.post_data or "")):
            phone.locator("[data-send]").tap()
        laptop.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")  # a heartbeat now
        expect(line.locator(".viewers__typing")).to_have_count(0, timeout=2_000)
        expect(line).to_contain_text("Sam Seller is also viewing this conversation.")

        # A private note is named as one, and begun right after a send it is told at once (a new
        # spell of typing), not at the next heartbeat: the 3 s between "typing" notices counted
        # from the reply's, so the laptop could wait two heartbeats.
        phone.locator("label[for=mode-note]").tap()
        with phone.expect_request(lambda r: r.url.endswith("/viewing") and "typing=note" in (r.post_data or ""),
                                  timeout=2_000):
            phone.locator("#composer-text").press_sequentially("Check stock first", delay=20)
        expect(line.locator(".viewers__typing")).to_have_text("Sam Seller is writing a private note…",
                                                              timeout=WITHIN_A_HEARTBEAT)

        # Rita sees Sam's face in the line, and the page stays accessible with it.
        browsing.check_page("viewers-line")

        # Back to the list: Sam leaves the conversation, and says so.
        with phone.expect_request(lambda r: r.url.endswith("/viewing") and "leaving" in (r.post_data or "")):
            phone.locator("#thread-view .back").tap()
        expect(line).to_be_hidden(timeout=WITHIN_A_HEARTBEAT)
        expect(laptop.locator("#thread-viewers-said")).to_have_text("Nobody else has this conversation open now.")

        # Sam comes back, then leaves for another page altogether (a full page load, with the
        # app's service worker in charge of the tab): the goodbye arrives, his name goes from
        # Rita's screen at her next heartbeat, not after his own had been missed for 16 s.
        open_thread(phone, maria)
        expect(line).to_contain_text("Sam Seller is also viewing", timeout=WITHIN_A_HEARTBEAT)
        phone.goto(live_server.url + "/leads")
        expect(line).to_be_hidden(timeout=WITHIN_A_HEARTBEAT)
        assert not phone_tab.unexpected_errors(), phone_tab.console_errors
    finally:
        context.close()
