"""Needs reply, per-person unread and bulk actions in a real browser, at 1280 and 390 px: rep A
filters Needs reply (longest waiting first), opens a conversation and answers it; rep B's unread
for it is untouched; A then resolves two conversations at once from select mode, by mouse and by
keyboard. Screenshots go to /tmp/shots/needs_reply/ and test-artifacts/, with axe-core checks."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.browser.conftest import browser_available

_reason = browser_available()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from app.extensions import db  # noqa: E402
from app.inbox.unread import count_for  # noqa: E402
from app.models import Conversation, utcnow  # noqa: E402

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots/needs_reply")


@pytest.fixture
def shop(factory):
    ws = factory.workspace("Waiting Shop")
    maya = factory.user(ws, email="maya@waiting.test", name="Maya Agent")
    bob = factory.user(ws, email="bob@waiting.test", name="Bob Seller", role="agent")
    account = factory.account(ws, username="waiting.shop")
    now = utcnow()

    def conversation(name, minutes_ago, waiting, speaker, preview, unread=0):
        at = now - timedelta(minutes=minutes_ago)
        c = factory.conversation(account, contact=factory.contact(account, name=name, username=name.lower()),
                                 last_message_at=at, last_inbound_at=at, last_message_preview=preview,
                                 waiting_since=at if waiting else None, last_speaker=speaker, unread_count=unread)
        factory.message(c, preview, direction="in" if speaker == "customer" else "out", created_at=at,
                        sent_by_id=bob.id if speaker == "team" else None)
        return c

    class Shop:
        pass

    Shop.maya, Shop.bob = maya, bob
    Shop.ann = conversation("Ann", 2, True, "customer", "Is the blue one in stock?", unread=1)
    Shop.carl = conversation("Carl", 190, True, "customer", "Do you ship to Oslo?")
    Shop.eve = conversation("Eve", 30, False, "team", "It ships tomorrow.")
    return Shop


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{page.viewport_size['width']}.png"))


def rows(page):
    return page.locator("#conversation-list > li.convlist__item")


@pytest.mark.parametrize("width", [1280, 390])
def test_filter_answer_and_bulk_resolve(browsing, shop, width):
    page = browsing.page
    page.set_viewport_size({"width": width, "height": 844 if width < 768 else 800})
    browsing.login(shop.maya)
    expect(page.locator("#unread-badge")).to_have_text(re.compile(r"^1"))
    row = page.locator(f"#conv-{shop.eve.id}")
    expect(row.locator(".convrow__speaker")).to_have_text("Bob Seller:")
    expect(page.locator(f"#conv-{shop.carl.id} .tag--waiting")).to_contain_text("Waiting 3 h")

    # Needs reply, longest waiting first (on a phone the filters sit in their fold).
    toggle = page.locator(".filters__toggle")
    if width < 768 and toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    page.locator("label[for=filter-needs-reply]").click()
    expect(page.locator(f"#conv-{shop.eve.id}")).to_have_count(0)
    page.select_option("#filter-sort", "waiting")
    expect(rows(page)).to_have_count(2)
    expect(rows(page).first).to_have_id(f"conv-{shop.carl.id}")
    assert "needs_reply=1" in page.url and "sort=waiting" in page.url
    shot(page, "filtered")
    browsing.check_page("needs-reply-list")

    # Open Ann (the newest wait): the header says she waits; reading is mine only.
    page.locator(f"#conv-{shop.ann.id} a.convrow").click()
    expect(page.locator("#thread-waiting")).to_contain_text("customer spoke last")
    expect(page.locator("#unread-badge")).to_be_hidden()
    shot(page, "thread")
    page.fill("#composer-text", "Yes, it is! Shall I keep one for you?")
    page.locator("#composer-text").press("Enter")
    expect(page.locator("#thread-messages .bubble--out", has_text="keep one for you")).to_have_class(
        re.compile("bubble--sent"), timeout=5_000)
    db.session.expire_all()
    ann = db.session.get(Conversation, shop.ann.id)
    assert ann.waiting_since is None and ann.last_speaker == "team"
    assert count_for(shop.maya.id, shop.ann.id) == 0 and count_for(shop.bob.id, shop.ann.id) == 1  # B untouched
    # Answered: Ann no longer needs a reply.
    browsing.go("/?needs_reply=1&sort=waiting")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_have_id(f"conv-{shop.carl.id}")

    # Back to everything; resolve Carl and Eve at once.
    browsing.go("/")
    page.locator(".list__head [data-bulk-toggle]").click()
    expect(page.locator("#bulk-form")).to_be_visible()
    box = page.locator(f"#conv-{shop.carl.id} .convrow__select")
    assert box.bounding_box()["width"] >= 44 and box.bounding_box()["height"] >= 44
    page.locator(f"#conv-{shop.carl.id} [data-bulk-id]").check()
    page.locator(f"#conv-{shop.eve.id} [data-bulk-id]").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("2 selected")
    shot(page, "selected")
    browsing.check_page("bulk-selected")
    page.locator("#bulk-form button[value=resolve]").click()
    expect(page.locator("#bulk-status")).to_have_text("Resolved 2 conversations.")
    expect(page.locator(f"#conv-{shop.carl.id} .tag--resolved")).to_be_visible()
    expect(page.locator("[data-bulk-count]")).to_have_text("None selected")
    db.session.expire_all()
    assert {db.session.get(Conversation, c.id).status for c in (shop.carl, shop.eve)} == {"resolved"}
    assert db.session.get(Conversation, shop.ann.id).status == "open"
    shot(page, "resolved")
    assert not browsing.unexpected_errors()


def test_select_mode_by_keyboard(browsing, shop):
    page = browsing.page
    browsing.login(shop.maya)
    opener = page.locator(".list__head [data-bulk-toggle]")
    opener.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#bulk-form")).to_be_visible()
    expect(page.locator("[data-bulk-all]")).to_be_focused()
    page.keyboard.press("Space")  # select all on this page
    expect(page.locator("[data-bulk-count]")).to_have_text("3 selected")
    page.keyboard.press("Space")
    expect(page.locator("[data-bulk-count]")).to_have_text("None selected")
    expect(page.locator("#bulk-form button[value=resolve]")).to_be_disabled()
    page.locator(f"#conv-{shop.ann.id} [data-bulk-id]").focus()
    page.keyboard.press("Space")
    expect(page.locator("[data-bulk-count]")).to_have_text("1 selected")
    page.locator("#bulk-form button[value=read]").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#bulk-status")).to_have_text("Marked 1 conversation read.")
    expect(page.locator("#unread-badge")).to_be_hidden()
    assert count_for(shop.bob.id, shop.ann.id) == 1
    page.locator("[data-bulk-all]").focus()
    page.keyboard.press("Escape")
    expect(page.locator("#bulk-form")).to_be_hidden()
    expect(opener).to_be_focused()
    assert not browsing.unexpected_errors()
