"""The notification centre in a real browser, at 1280 and 390 px (issue 18, parts 1 and 4): a rep
turns on desktop alerts from the notifications page (the permission is asked on that click only),
the tab goes to the background, customers write (signed webhook deliveries to the live server, as
Meta sends them), and the bell's count goes up live while a desktop notification shows for each,
tagged with its conversation; clicking one opens the conversation. window.Notification is wrapped
by an init script that records each one and still makes the real one. Screenshots go to
/tmp/shots/notifications/ and test-artifacts/, with axe-core checks."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.browser.conftest import browser_available

_reason = browser_available()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

import requests  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

from app.instagram import payloads as p  # noqa: E402
from app.instagram.signature import compute_signature  # noqa: E402
from tests.conftest import TEST_APP_SECRET  # noqa: E402

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots/notifications")

# Records every system notification the page makes (and still makes the real one), and lets the
# test say whether the tab is hidden: document.hidden / visibilityState follow window.__hidden.
INIT_SCRIPT = """
(() => {
  const Real = window.Notification;
  window.__shown = [];
  window.__made = [];
  function Recording(title, options) {
    window.__shown.push({title: title, body: (options || {}).body, tag: (options || {}).tag});
    const made = new Real(title, options);
    window.__made.push(made);
    return made;
  }
  Recording.requestPermission = function () { return Real.requestPermission.apply(Real, arguments); };
  Object.defineProperty(Recording, "permission", {get: () => Real.permission});
  Recording.prototype = Real.prototype;
  window.Notification = Recording;
  window.__hidden = false;
  Object.defineProperty(Document.prototype, "hidden", {configurable: true, get: () => window.__hidden});
  Object.defineProperty(Document.prototype, "visibilityState", {configurable: true,
    get: () => (window.__hidden ? "hidden" : "visible")});
})();
"""


@pytest.fixture
def shop(factory):
    ws = factory.workspace("Bell Shop")
    rep = factory.user(ws, email="rep@bell.test", name="Rita Rep", role="agent")
    factory.user(ws, email="boss@bell.test", name="Boss")
    account = factory.account(ws, username="bell.shop")
    contact = factory.contact(account, name="Priya Shah", username="priya")
    conversation = factory.conversation(account, contact=contact, assignee_id=rep.id)

    class Shop:
        pass

    Shop.rep, Shop.account, Shop.conversation, Shop.contact = rep, account, conversation, contact
    return Shop


@pytest.fixture
def fast_bell(live_server):
    """The bell polls every second here (10 s in use), so the test waits on conditions, not clocks."""
    server_app = live_server.server.app
    server_app.config["BELL_POLL_SECONDS"] = 1
    yield
    server_app.config.pop("BELL_POLL_SECONDS", None)


def dm(server_url: str, account, igsid: str, text: str) -> None:
    """A customer's DM, posted to the live server exactly as Meta signs and sends it."""
    mid = f"m_bell_{time.time_ns()}"
    body = json.dumps(p.delivery(p.entry(account.ig_user_id, [
        p.text_message(account.ig_user_id, igsid, mid, text, int(time.time() * 1000))]))).encode()
    answer = requests.post(server_url + "/webhooks/instagram", data=body, timeout=10, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": compute_signature(TEST_APP_SECRET, body)})
    assert answer.status_code == 200, answer.text


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{page.viewport_size['width']}.png"))


@pytest.mark.parametrize("width", [1280, 390])
def test_desktop_alerts_and_the_live_bell(browsing, shop, fast_bell, width):
    page = browsing.page
    page.context.grant_permissions(["notifications"], origin=browsing.url)
    page.add_init_script(INIT_SCRIPT)
    page.set_viewport_size({"width": width, "height": 844 if width < 768 else 800})
    browsing.login(shop.rep)
    bell = page.locator("#bell")
    expect(bell).to_have_attribute("aria-label", "Notifications, 0 unread")

    # The bell is a link to the page (on a phone too); the permission is asked only on the button.
    bell.click()
    page.wait_for_url(browsing.url + "/notifications")
    assert page.evaluate("() => window.__shown.length") == 0
    button = page.get_by_role("button", name="Turn on desktop alerts")
    button.click()
    expect(page.get_by_role("button", name="Turn off desktop alerts")).to_be_visible()
    expect(page.locator("[data-desktop-status]")).to_contain_text("Desktop alerts are on")
    shot(page, "alerts-on")

    # The tab goes to the background; Priya (whose conversation is Rita's) writes twice.
    page.evaluate("() => { window.__hidden = true; document.dispatchEvent(new Event('visibilitychange')); }")
    dm(browsing.url, shop.account, shop.contact.igsid, "Do you ship to Lyon?")
    expect(bell).to_have_attribute("aria-label", "Notifications, 1 unread")
    expect(bell.locator(".bell__count")).to_have_text("1")
    page.wait_for_function("() => window.__shown.length === 1")
    first = page.evaluate("() => window.__shown[0]")
    assert first == {"title": "New message: Priya Shah", "body": "Do you ship to Lyon?",
                     "tag": f"conversation-{shop.conversation.id}"}
    dm(browsing.url, shop.account, shop.contact.igsid, "And to Milan?")
    page.wait_for_function("() => window.__shown.length === 2")
    second = page.evaluate("() => window.__shown[1]")
    # The same conversation's tag: the system replaces the first alert instead of stacking a second.
    assert second == {"title": "2 new messages: Priya Shah", "body": "And to Milan?", "tag": first["tag"]}
    expect(bell).to_have_attribute("aria-label", "Notifications, 1 unread")  # one row that counts up

    # A new customer: a new conversation for everyone (nobody is assigned yet), live.
    dm(browsing.url, shop.account, "9000000000777", "Hi! Is the shop open on Sunday?")
    expect(bell).to_have_attribute("aria-label", "Notifications, 2 unread")
    page.wait_for_function("() => window.__shown.length === 3")
    assert page.evaluate("() => window.__shown[2].title").startswith("New conversation")

    # While the tab is visible, the bell counts but no system notification shows.
    page.evaluate("() => { window.__hidden = false; document.dispatchEvent(new Event('visibilitychange')); }")
    page.reload()
    expect(page.locator(".notif--unread")).to_have_count(2)
    expect(page.locator(".notif").first).to_contain_text("Hi! Is the shop open on Sunday?")
    shot(page, "list")
    browsing.check_page("notifications")

    # Clicking a system notification focuses the tab and opens its conversation (which reads it).
    page.evaluate("() => { window.__hidden = true; }")  # (the reload started a new record)
    dm(browsing.url, shop.account, shop.contact.igsid, "Hello?")
    page.wait_for_function("() => window.__shown.length === 1 && window.__made.length === 1")
    page.evaluate("() => window.__made[0].onclick(new Event('click'))")
    page.wait_for_url(f"{browsing.url}/conversations/{shop.conversation.id}")
    expect(bell).to_have_attribute("aria-label", "Notifications, 1 unread", timeout=15_000)


def test_settings_notifications_page(browsing, shop):
    browsing.login(shop.rep)
    page = browsing.page
    browsing.go("/settings/notifications")
    box = page.get_by_role("checkbox", name="A conversation is assigned to me: Email")
    expect(box).to_be_checked()
    box.uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("Notification settings saved.")
    expect(page.get_by_role("checkbox", name="A conversation is assigned to me: Email")).not_to_be_checked()
    browsing.check_page("notification-settings")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 844 if width < 768 else 800})
        shot(page, "settings")


def test_back_from_an_opened_notification_shows_it_read(browsing, shop):
    """Opening an item marks it read and goes to its conversation; Back showed the list from the
    browser's cache, the item still unread, until a reload."""
    from app.extensions import db
    from app.notifications.create import notify

    [row] = notify(shop.account.workspace_id, "assigned", [shop.rep.id], text_="Boss assigned you the conversation",
                   conversation_id=shop.conversation.id)
    db.session.commit()
    browsing.login(shop.rep)
    page = browsing.page
    browsing.go("/notifications")
    item = page.locator(f"li[data-notification='{row.id}']")
    expect(item).to_have_class("notif notif--unread")
    item.get_by_role("button").click()
    expect(page).to_have_url(f"{browsing.url}/conversations/{shop.conversation.id}")
    page.go_back()
    expect(page).to_have_url(f"{browsing.url}/notifications")
    expect(page.locator(f"li[data-notification='{row.id}']")).to_have_class("notif")
    assert not browsing.unexpected_errors()


def test_the_inbox_badge_and_tab_title_follow_on_any_page(browsing, shop, fast_bell):
    """A rep working the leads page sees customers write: the top bar's inbox badge and the tab's
    title count up with the bell's poll (the inbox has its own poll; other pages only the bell's)."""
    page = browsing.page
    browsing.login(shop.rep)
    browsing.go("/leads")
    badge = page.locator("#unread-badge")
    expect(badge).to_be_hidden()
    dm(browsing.url, shop.account, shop.contact.igsid, "Still in stock?")
    dm(browsing.url, shop.account, "igsid-new-customer-77", "Hi! Price?")
    expect(badge).to_have_text("2 unread", timeout=5_000)
    expect(page).to_have_title("(2) Leads · Instagram Inbox")
