"""Saved replies in a real browser, at 1280 and 390 px: in a conversation the rep types "/ship",
moves through the picker with the keyboard, inserts a reply with the customer's name filled in
and sends it; a reply with a file puts the file in the composer; Esc closes the picker; the
settings page lists and edits them. Screenshots go to /tmp/shots/saved_replies/, axe-core finds
nothing serious, and the picker's options are 44 px tall targets."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.browser.conftest import Browsing, browser_available

_reason = browser_available()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from app.extensions import db  # noqa: E402
from app.models import SavedReply, utcnow  # noqa: E402
from tests.outbound.helpers import PNG  # noqa: E402

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots/saved_replies")
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def _reply(workspace, owner=None, **fields):
    reply = SavedReply(workspace_id=workspace.id, owner_id=owner.id if owner else None, **fields)
    db.session.add(reply)
    db.session.commit()
    return reply


@pytest.fixture
def shop(factory):
    ws = factory.workspace("Picker Shop")
    rep = factory.user(ws, email="sam@picker.test", name="Sam Rivera", role="agent")
    account = factory.account(ws, username="picker.boutique")
    account.name = "Picker Boutique"
    contact = factory.contact(account, name="Maria Lopez", username="maria.l")
    now = utcnow() - timedelta(minutes=3)
    conversation = factory.conversation(account, contact=contact, last_message_at=now, last_inbound_at=now,
                                        last_message_preview="When would it arrive?")
    factory.message(conversation, "When would it arrive?", created_at=now)
    shipping = _reply(ws, shortcut="shipping", title="Shipping times",
                      text="Hi {first_name}, we ship within 2 days from Berlin. {agent_name}")
    free = _reply(ws, shortcut="free", title="Free shipping", text="Shipping is free from €80, {first_name}!")
    _reply(ws, shortcut="hours", title="Opening hours", text="We are open 10-19.")
    catalogue = _reply(ws, rep, shortcut="catalogue", title="Catalogue", text="Here is our catalogue.",
                       attachment_name="catalogue.png", attachment_type="image/png", attachment_data=PNG)
    return rep, conversation, shipping, free, catalogue


def _shot(page, name, full_page=False):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{page.viewport_size['width']}.png"), full_page=full_page)


@pytest.mark.parametrize("size", SIZES)
def test_pick_with_the_keyboard_and_send(browsing, shop, fake_graph, size):
    rep, conversation, shipping, free, catalogue = shop
    page = browsing.page
    page.set_viewport_size(SIZES[size])
    browsing.login(rep)
    page.locator(f"#conversation-list #conv-{conversation.id} a").click()
    box = page.locator("#composer-text")
    expect(box).to_be_visible()
    expect(box).to_have_attribute("aria-controls", "saved-reply-listbox")

    box.click()
    box.press_sequentially("/ship")
    picker = page.locator("#saved-reply-listbox")  # its wrapper is 0 px tall: the panel rises from it
    expect(picker).to_be_visible()
    options = page.locator("#saved-reply-listbox [role=option]")
    # The shortcut that starts with "ship" first, then the title that holds it.
    expect(options).to_have_count(2)
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    expect(options.nth(0)).to_contain_text("Hi Maria, we ship within 2 days from Berlin. Sam Rivera")
    for option in options.all():
        assert option.bounding_box()["height"] >= 44
    assert browsing.axe_violations() == []
    _shot(page, f"picker-open-{size}")

    box.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", f"saved-reply-option-{free.id}")
    box.press("ArrowDown")  # wraps round
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    text = "Hi Maria, we ship within 2 days from Berlin. Sam Rivera"
    expect(box).to_have_value(text)
    expect(picker).to_be_hidden()
    expect(page.locator("#byte-count")).to_have_text(f"{len(text.encode())} / 1000 bytes")
    _shot(page, f"inserted-{size}")

    box.press("Enter")  # the picker is closed: Enter sends, as always
    mine = page.locator("#thread-messages .bubble--out", has_text="we ship within 2 days")
    expect(mine).to_have_class(re.compile("bubble--sent"), timeout=5_000)
    assert any((body.get("message") or {}).get("text") == text for body in fake_graph.sent)
    db.session.expire_all()
    assert db.session.get(SavedReply, shipping.id).usage_count == 1
    assert db.session.get(SavedReply, free.id).usage_count == 0
    _shot(page, f"sent-{size}")


def test_enter_on_no_match_closes_the_picker_and_sends_nothing(browsing, shop, fake_graph):
    # A typo after "/" used to go to the customer as typed: Enter with nothing to insert did what
    # it "always does". Now it closes the list; the next Enter sends, as after Esc.
    rep, conversation, *_ = shop
    page = browsing.page
    browsing.login(rep)
    page.locator(f"#conversation-list #conv-{conversation.id} a").click()
    box = page.locator("#composer-text")
    box.click()
    picker = page.locator("#saved-reply-listbox")
    options = page.locator("#saved-reply-listbox [role=option]")
    box.press_sequentially("/shiping")
    expect(page.get_by_text("No saved reply matches")).to_be_visible()  # the list has loaded, empty
    box.press("Enter")
    expect(picker).to_be_hidden()
    expect(box).to_have_value("/shiping")
    # Typing on reopens it: the typo corrected finds the reply.
    box.press("Backspace")
    box.press("Backspace")
    box.press("Backspace")
    expect(options).to_have_count(2)
    expect(picker).to_be_visible()
    box.press_sequentially("ing")  # the same typo again
    expect(page.get_by_text("No saved reply matches")).to_be_visible()
    box.press("Enter")
    expect(picker).to_be_hidden()
    page.wait_for_timeout(300)  # time for a send to have started, had one been made
    expect(page.locator("#thread-messages .bubble--out", has_text="/shiping")).to_have_count(0)
    assert not any((body.get("message") or {}).get("text") == "/shiping" for body in fake_graph.sent)
    box.press("Enter")  # what is typed is what the person means now
    expect(page.locator("#thread-messages .bubble--out", has_text="/shiping")).to_have_count(1)
    # The next message's "/" opens the list again.
    expect(box).to_have_value("")
    box.press_sequentially("/ship")
    expect(options).to_have_count(2)


@pytest.mark.parametrize("size", SIZES)
def test_a_file_comes_along_esc_closes_and_a_tap_inserts(browsing, shop, size):
    rep, conversation, shipping, free, catalogue = shop
    page = browsing.page
    page.set_viewport_size(SIZES[size])
    browsing.login(rep)
    page.locator(f"#conversation-list #conv-{conversation.id} a").click()
    box = page.locator("#composer-text")
    picker = page.locator("#saved-reply-listbox")  # its wrapper is 0 px tall: the panel rises from it

    box.click()
    box.press_sequentially("Sure! /cat")
    expect(page.locator("#saved-reply-listbox [role=option]")).to_have_count(1)
    box.press("Tab")
    expect(box).to_have_value("Sure! Here is our catalogue.")
    expect(page.locator("#composer-file-name")).to_have_text("catalogue.png")
    assert page.evaluate("document.getElementById('composer-file').files[0].size") == len(PNG)
    assert page.evaluate("document.getElementById('composer-file').files[0].type") == "image/png"
    _shot(page, f"attached-{size}")
    # Changed my mind: the file can be taken off again (it went with the next reply whatever was typed).
    remove = page.get_by_role("button", name="Remove the attachment catalogue.png")
    expect(remove).to_be_visible()
    assert remove.bounding_box()["height"] >= 32  # a .btn--sm: 44 px on a touch screen (test_touch_targets)
    remove.click()
    expect(page.locator("#composer-file-name")).to_have_text("")
    expect(remove).to_be_hidden()
    assert page.evaluate("document.getElementById('composer-file').files.length") == 0
    expect(box).to_be_focused()

    box.fill("")
    box.press_sequentially("/hou")
    expect(picker).to_be_visible()
    box.press("Escape")
    expect(picker).to_be_hidden()
    box.press_sequentially("r")  # the same "/" stays dismissed
    expect(picker).to_be_hidden()
    expect(box).to_have_value("/hour")

    box.fill("10 / 2 ")  # a "/" in a sentence: nothing matches " 2", nothing in the way
    expect(picker).to_be_hidden()
    box.fill("")
    box.press_sequentially("/")
    option = page.locator("#saved-reply-listbox [role=option]", has_text="Opening hours")
    option.click()
    expect(box).to_have_value("We are open 10-19.")
    expect(box).to_be_focused()


def test_the_saved_button_opens_the_list_on_a_phone_and_from_the_keyboard(browser, live_server, browsing, shop):
    """A phone's keyboard hides "/", so the composer's Saved button types it: tapped, the list opens
    with the keyboard's focus kept in the box, after a space when a word ends at the caret; tapped
    again, it closes and takes back the "/" it put there. On a laptop it is reached with Tab."""
    rep, conversation, *_ = shop
    context = browser.new_context(viewport=SIZES["phone"], is_mobile=True, has_touch=True,
                                  timezone_id="Europe/Berlin", locale="en-GB")
    context.set_default_timeout(10_000)
    phone = Browsing(context.new_page(), live_server.url)
    try:
        page = phone.login(rep)
        page.locator(f"#conversation-list #conv-{conversation.id} a").click()
        box = page.locator("#composer-text")
        button = page.get_by_role("button", name="Saved replies")
        expect(button).to_be_visible()
        assert button.bounding_box()["height"] >= 44 and button.bounding_box()["width"] >= 44
        box.fill("Hello")
        button.tap()
        options = page.locator("#saved-reply-listbox [role=option]")
        expect(options).to_have_count(4)
        expect(box).to_have_value("Hello /")
        expect(box).to_be_focused()
        expect(button).to_have_attribute("aria-expanded", "true")
        _shot(page, "saved-button-open")
        button.tap()  # changed my mind
        expect(page.locator("#saved-reply-listbox")).to_be_hidden()
        expect(box).to_have_value("Hello")  # the space and the "/" it put in are taken back
        expect(button).to_have_attribute("aria-expanded", "false")
        button.tap()
        page.locator("#saved-reply-listbox [role=option]", has_text="Opening hours").tap()
        expect(box).to_have_value("Hello We are open 10-19.")
        assert phone.unexpected_errors() == []
    finally:
        context.close()

    page = browsing.login(rep)
    page.locator(f"#conversation-list #conv-{conversation.id} a").click()
    box = page.locator("#composer-text")
    box.fill("Hi Maria")  # a draft the box shows when the thread opens, the caret not in it
    box.evaluate("b => { b.setSelectionRange(0, 0); b.blur(); }")
    saved = page.get_by_role("button", name="Saved replies")
    saved.click()
    expect(box).to_have_value("Hi Maria /")  # after the draft, not glued to its first word
    saved.click()
    expect(box).to_have_value("Hi Maria")
    box.fill("")
    box.focus()
    page.keyboard.press("Tab")
    for _ in range(3):  # past the Attach file input
        if page.evaluate("() => document.activeElement.matches('button[data-picker-open]')"):
            break
        page.keyboard.press("Tab")
    expect(saved).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#saved-reply-listbox [role=option]")).to_have_count(4)
    expect(box).to_be_focused()
    page.keyboard.type("free")
    page.keyboard.press("Enter")
    expect(box).to_have_value("Shipping is free from €80, Maria!")
    expect(saved).to_be_visible()


def test_the_settings_page(browsing, shop, factory):
    rep, conversation, shipping, free, catalogue = shop
    page = browsing.login(rep)
    page.locator("details.usermenu summary").click()
    page.locator(".usermenu__panel a", has_text="Saved replies").click()
    expect(page.locator("h1")).to_have_text("Saved replies")
    expect(page.locator(f"#saved-reply-{shipping.id}")).to_contain_text("/shipping")
    expect(page.locator(f"#saved-reply-{shipping.id} a", has_text="Edit")).to_have_count(0)  # an agent
    page.locator(".page-head a", has_text="New saved reply").click()
    page.fill("#sr-title", "Thanks")
    page.fill("#sr-shortcut", "thanks")
    page.fill("#sr-text", "Thank you, {first_name}! {agent}")
    page.click("text=Save reply")
    expect(page.locator(".flash--warning")).to_contain_text("{agent} is not a variable")
    row = page.locator(".sr-item", has_text="/thanks")
    expect(row).to_contain_text("Not used yet")
    browsing.check_page("saved-replies-settings")
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        _shot(page, "settings", full_page=True)
        if width == 390:
            for button in page.locator(".sr-item__actions .btn").all():
                assert button.bounding_box()["height"] >= 44
    row.locator("a", has_text="Edit").click()
    page.fill("#sr-text", "Thank you, {first_name}!")
    page.click("text=Save changes")
    expect(page.locator(".sr-item", has_text="/thanks")).to_contain_text("Thank you, {first_name}!")
    page.locator(".sr-item", has_text="/thanks").locator("summary", has_text="Delete").click()
    page.locator(".sr-item", has_text="/thanks").locator("button", has_text="Yes, delete it").click()
    expect(page.locator(".sr-item", has_text="/thanks")).to_have_count(0)
