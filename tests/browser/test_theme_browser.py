"""Dark mode in a real browser: every page (login, inbox and a thread, leads, accounts, automation,
settings, profile, simulator) at 1280 and 390 px in the light and the dark theme, screenshotted
into /tmp/shots/theme/ and checked with axe-core (whose colour-contrast rule is WCAG AA); the
"system" theme follows the device's prefers-color-scheme, with no flash of the other palette."""
from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from tests.browser.conftest import browser_available, next_frame

_reason = browser_available()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

from playwright.sync_api import Error as PlaywrightError, expect  # noqa: E402

from app.extensions import db  # noqa: E402
from app.models import Note, utcnow  # noqa: E402

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots/theme")
WIDTHS = ({"width": 1280, "height": 800}, {"width": 390, "height": 844})
DARK_BG, LIGHT_BG = "#0f1115", "#f4f5f7"  # --bg of each palette


@pytest.fixture
def shop(factory, live_server, monkeypatch):
    ws = factory.workspace("Theme Shop")
    admin = factory.user(ws, email="tess@theme.test", name="Tess Admin", role="admin")
    account = factory.account(ws, username="theme.shop")
    now = utcnow()
    first = None
    for i, (name, status) in enumerate([("Ada Dark", "open"), ("Ben Light", "pending"), ("Cem Snoozed", "snoozed")]):
        at = now - timedelta(minutes=20 * (i + 1))
        c = factory.conversation(account, contact=factory.contact(account, name=name), last_message_at=at,
                                 last_inbound_at=at, last_message_preview="Is it in stock? www.example.com",
                                 status=status, snoozed_until=now + timedelta(days=1) if status == "snoozed" else None,
                                 assignee_id=admin.id if i == 0 else None)
        factory.message(c, "Is it in stock? See www.example.com/item", created_at=at - timedelta(minutes=3))
        factory.lead(c, status=("new", "contacted", "won")[i], source="dm")
        first = first or c
    factory.message(first, "Yes! https://theme.shop/p/1", direction="out", status="read", created_at=now - timedelta(minutes=15),
                    sent_by_id=admin.id)
    factory.message(first, "This one FAIL", direction="out", status="failed", error="This person isn't available right now.",
                    created_at=now - timedelta(minutes=14), sent_by_id=admin.id)
    factory.message(first, None, created_at=now - timedelta(minutes=13), attachments=[
        {"type": "image", "url": f"{live_server.url}/static/demo/dress.svg"}])
    db.session.add(Note(conversation_id=first.id, author_id=admin.id, body="VIP, answer first", created_at=now - timedelta(minutes=12)))
    db.session.commit()
    # The simulator exists only in demo mode and development: this server plays demo mode for a while.
    monkeypatch.setitem(live_server.server.app.config, "DEMO_MODE", True)
    return admin, first


def set_theme(user, theme):
    user.theme = theme
    db.session.commit()


def pages(conversation):
    return [("inbox", "/"), ("thread", f"/conversations/{conversation.id}"), ("leads", "/leads"),
            ("accounts", "/accounts"), ("automation", "/settings/automation"), ("settings", "/settings"),
            ("profile", "/settings/profile"), ("simulator", "/demo/simulator")]


def check_everywhere(browsing, name: str, theme: str):
    page = browsing.page
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for size in WIDTHS:
        page.set_viewport_size(size)
        next_frame(page)
        page.screenshot(path=str(SHOTS / f"{name}-{theme}-{size['width']}.png"))
        problems += [f"{size['width']} px: {v}" for v in browsing.axe_violations()]
    assert not problems, f"{name} in {theme}:\n" + "\n".join(problems)


def background(page) -> str:
    """The palette in force: its page background, once the page's stylesheet applies (right after a
    navigation the new document can be read before its stylesheet is in, and --bg is then empty).
    Polled from here with page.evaluate, not page.wait_for_function: a string predicate that has to
    be polled is eval'd inside the page, which the app's CSP (no 'unsafe-eval') rightly refuses."""
    deadline = time.monotonic() + 10
    while True:
        try:
            value = page.evaluate("getComputedStyle(document.body).getPropertyValue('--bg').trim()")
        except PlaywrightError:  # the document changed under the call (a navigation finishing)
            value = ""
        if value or time.monotonic() > deadline:
            return value
        page.wait_for_timeout(50)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_page_is_readable_in_both_themes(browsing, shop, theme):
    admin, conversation = shop
    page = browsing.page
    # Signed out, the page follows the device.
    page.emulate_media(color_scheme=theme)
    page.goto(browsing.url + "/login")
    assert background(page) == (DARK_BG if theme == "dark" else LIGHT_BG)
    check_everywhere(browsing, "login", theme)
    page.emulate_media(color_scheme="light" if theme == "dark" else "dark")  # the profile wins over the device
    set_theme(admin, theme)
    page.set_viewport_size(WIDTHS[0])
    browsing.login(admin)
    for name, path in pages(conversation):
        browsing.go(path)
        expect(page.locator("html")).to_have_attribute("data-theme", theme)
        assert background(page) == (DARK_BG if theme == "dark" else LIGHT_BG), name
        check_everywhere(browsing, name, theme)
    browsing.go(f"/conversations/{conversation.id}")
    page.locator("#thread-scroll").evaluate("el => el.scrollTop = 0")  # our bubbles, a link, a failed send
    check_everywhere(browsing, "thread-top", theme)
    page.locator("#more-menu summary").click()
    check_everywhere(browsing, "thread-menu", theme)
    page.keyboard.press("Escape")
    page.locator("#mode-note + label").click()
    check_everywhere(browsing, "thread-note-mode", theme)


def test_system_follows_the_device_and_the_profile_switches_it(browsing, shop):
    admin, conversation = shop
    page = browsing.page
    page.emulate_media(color_scheme="dark")
    browsing.login(admin)
    expect(page.locator("html")).to_have_attribute("data-theme", "system")
    assert background(page) == DARK_BG
    assert page.evaluate("document.querySelector('meta[name=color-scheme]').content") == "light dark"
    page.emulate_media(color_scheme="light")
    assert background(page) == LIGHT_BG

    browsing.go("/settings/profile")
    page.get_by_label("Dark", exact=True).check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("Profile saved.")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert background(page) == DARK_BG  # although the device says light
    assert page.evaluate("document.querySelector('meta[name=color-scheme]').content") == "dark"
    db.session.expire_all()
    assert db.session.get(type(admin), admin.id).theme == "dark"
