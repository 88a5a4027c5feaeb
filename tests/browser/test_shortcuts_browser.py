"""Keyboard shortcuts in a real browser (static/js/shortcuts.js), at 1280 and 390 px: j/k and ↓/↑
move through the conversations, r/n open the reply box and note mode, e resolves, a assigns to me,
l opens the Label menu, ? (or "Keyboard shortcuts" in the user menu) opens the sheet, a modal
dialog that keeps the focus and gives it back on Esc; none of them acts while typing in a field.
Screenshots go to /tmp/shots/shortcuts/."""
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
from app.models import Conversation, utcnow  # noqa: E402

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots/shortcuts")
SIZES = [pytest.param({"width": 1280, "height": 800}, id="1280"), pytest.param({"width": 390, "height": 844}, id="390")]


@pytest.fixture
def shop(factory):
    ws = factory.workspace("Keys Shop")
    user = factory.user(ws, email="kim@keys.test", name="Kim Keys")
    factory.user(ws, email="lou@keys.test", name="Lou Other")
    account = factory.account(ws, username="keys.shop")
    now = utcnow()
    conversations = []
    for i, name in enumerate(["Ada First", "Ben Second", "Cem Third"]):
        at = now - timedelta(minutes=10 * (i + 1))
        c = factory.conversation(account, contact=factory.contact(account, name=name), last_message_at=at,
                                 last_inbound_at=at, last_message_preview=f"Question {i}")
        factory.message(c, f"Question {i}", created_at=at)
        conversations.append(c)
    return user, conversations


def title(page):
    return page.locator("#thread-title")


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{page.viewport_size['width']}.png"))


@pytest.mark.parametrize("size", SIZES)
def test_j_and_k_move_through_the_conversations(browsing, shop, size):
    user, (ada, ben, cem) = shop
    page = browsing.page
    page.set_viewport_size(size)
    browsing.login(user)
    page.keyboard.press("j")
    expect(title(page)).to_have_text("Ada First")
    expect(page).to_have_url(re.compile(rf"/conversations/{ada.id}$"))
    page.keyboard.press("j")
    expect(title(page)).to_have_text("Ben Second")
    page.keyboard.press("j")
    expect(title(page)).to_have_text("Cem Third")
    page.keyboard.press("j")  # the last one: stays
    page.wait_for_timeout(300)
    expect(title(page)).to_have_text("Cem Third")
    page.keyboard.press("k")
    expect(title(page)).to_have_text("Ben Second")
    expect(page.locator(f"#conv-{ben.id} a")).to_have_attribute("aria-current", "true")

    if size["width"] >= 768:
        # In the list, ↓ and ↑ do the same and keep the focus on the rows.
        page.locator(f"#conv-{ada.id} a").focus()
        page.keyboard.press("ArrowDown")
        expect(title(page)).to_have_text("Ben Second")
        expect(page.locator(f"#conv-{ben.id} a")).to_be_focused()
        page.keyboard.press("ArrowDown")
        expect(title(page)).to_have_text("Cem Third")
        expect(page.locator(f"#conv-{cem.id} a")).to_be_focused()
        page.keyboard.press("ArrowUp")
        expect(title(page)).to_have_text("Ben Second")


@pytest.mark.parametrize("size", SIZES)
def test_typing_in_a_field_triggers_nothing(browsing, shop, size):
    user, (ada, ben, cem) = shop
    page = browsing.page
    page.set_viewport_size(size)
    browsing.login(user)
    page.goto(f"{browsing.url}/conversations/{ben.id}")
    box = page.locator("#composer-text")
    box.click()
    box.type("jk? renal e")
    expect(box).to_have_value("jk? renal e")
    page.wait_for_timeout(500)
    expect(title(page)).to_have_text("Ben Second")
    expect(page.locator("#shortcuts-sheet")).not_to_be_visible()
    expect(page.locator("#label-menu")).not_to_have_attribute("open", "")
    expect(page.locator("[data-shortcut=assign]")).to_have_value("none")
    expect(page.locator("#composer")).to_have_attribute("data-mode", "reply")
    db.session.expire_all()
    assert db.session.get(Conversation, ben.id).status == "open"

    # Nor in the search box, nor with a modifier held.
    search = page.locator("#filter-q")
    if search.is_visible():
        search.click()
        search.type("j")
        expect(search).to_have_value("j")
        expect(title(page)).to_have_text("Ben Second")
    box.click()
    box.press("Escape")
    page.locator("#thread-title").focus()
    page.keyboard.press("Control+j")
    page.keyboard.press("Alt+e")
    page.wait_for_timeout(400)
    expect(title(page)).to_have_text("Ben Second")
    db.session.expire_all()
    assert db.session.get(Conversation, ben.id).status == "open"


@pytest.mark.parametrize("size", SIZES)
def test_thread_actions_press_the_same_buttons(browsing, shop, size):
    user, (ada, ben, cem) = shop
    page = browsing.page
    page.set_viewport_size(size)
    browsing.login(user)
    page.goto(f"{browsing.url}/conversations/{ada.id}")
    page.locator("#thread-title").focus()

    page.keyboard.press("r")
    expect(page.locator("#composer-text")).to_be_focused()
    expect(page.locator("#composer-text")).to_have_value("")  # the key itself is not typed
    page.locator("#thread-title").focus()
    page.keyboard.press("n")
    expect(page.locator("#composer")).to_have_attribute("data-mode", "note")
    expect(page.locator("#composer-text")).to_be_focused()
    expect(page.locator("#composer-text")).to_have_value("")
    page.locator("#thread-title").focus()
    page.keyboard.press("r")
    expect(page.locator("#composer")).to_have_attribute("data-mode", "reply")

    page.locator("#thread-title").focus()
    page.keyboard.press("a")
    expect(page.locator(".thread__status")).to_contain_text("Assigned to")
    expect(page.locator("[data-shortcut=assign]")).to_have_value("me")
    page.keyboard.press("e")
    expect(page.locator(".thread__status")).to_contain_text("resolved")
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    db.session.expire_all()
    saved = db.session.get(Conversation, ada.id)
    assert (saved.status, saved.assignee_id) == ("resolved", user.id)

    page.keyboard.press("l")
    expect(page.locator("#label-menu")).to_have_attribute("open", "")
    page.keyboard.press("Escape")
    expect(page.locator("#label-menu")).not_to_have_attribute("open", "")


@pytest.mark.parametrize("size", SIZES)
def test_question_mark_opens_the_sheet_which_keeps_and_returns_the_focus(browsing, shop, size):
    user, (ada, ben, cem) = shop
    page = browsing.page
    page.set_viewport_size(size)
    browsing.login(user)
    page.goto(f"{browsing.url}/conversations/{cem.id}")
    page.locator("#thread-title").focus()
    sheet = page.locator("#shortcuts-sheet")
    expect(sheet).not_to_be_visible()
    page.keyboard.press("?")
    expect(sheet).to_be_visible()
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    close = sheet.locator("[data-shortcuts-close]")
    expect(close).to_be_focused()
    for key in ("j", "e", "l"):  # the page's shortcuts sleep while the sheet is open
        page.keyboard.press(key)
    for key in ("Tab", "Tab", "Shift+Tab"):
        page.keyboard.press(key)
        assert page.evaluate("document.getElementById('shortcuts-sheet').contains(document.activeElement)")
    for key in ("j", "k", "r", "n", "e", "a", "l", "/", "?", "Esc"):
        expect(sheet.locator("kbd", has_text=re.compile(rf"^{re.escape(key)}$"))).to_have_count(1)
    assert close.bounding_box()["height"] >= 44
    shot(page, "sheet")
    assert not browsing.axe_violations()
    page.keyboard.press("Escape")
    expect(sheet).not_to_be_visible()
    expect(page.locator("#thread-title")).to_be_focused()
    expect(title(page)).to_have_text("Cem Third")
    db.session.expire_all()
    assert db.session.get(Conversation, cem.id).status == "open"

    # From the user menu too; closing gives the focus to the menu's button.
    page.locator(".usermenu summary").click()
    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(sheet).to_be_visible()
    expect(page.locator(".usermenu")).not_to_have_attribute("open", "")
    close.click()
    expect(sheet).not_to_be_visible()
    expect(page.locator(".usermenu summary")).to_be_focused()
