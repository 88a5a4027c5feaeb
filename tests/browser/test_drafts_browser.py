"""Drafts in a real browser: what a rep types is saved to the server while they type, follows
them from a laptop (1280 px) to a phone (390 px, a second browser context of the same person),
comes back after switching conversations, stays while a live update lands, and goes once sent.
Screenshots go to /tmp/shots/drafts/."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select

from tests.browser.conftest import Browsing, browser_available

_reason = browser_available()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from app.extensions import db  # noqa: E402
from app.models import Conversation, Draft, Message, utcnow  # noqa: E402

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots/drafts")
PHONE = {"width": 390, "height": 844}


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{page.viewport_size['width']}.png"))


def stored_drafts() -> dict[int, str]:
    db.session.expire_all()
    return {d.conversation_id: d.text for d in db.session.scalars(select(Draft))}


def drafts_become(page, expected: dict[int, str], within_ms: int = 5_000) -> None:
    """The server's drafts reach `expected` (autosaves are asynchronous), and stay so a moment."""
    waited = 0
    while stored_drafts() != expected and waited < within_ms:
        page.wait_for_timeout(100)
        waited += 100
    page.wait_for_timeout(1_000)  # past any autosave that could still follow
    assert stored_drafts() == expected


def receive(conversation: Conversation, text: str) -> None:
    """An inbound DM as ingestion stores it: the message, and the conversation bumped."""
    now = utcnow()
    db.session.add(Message(account_id=conversation.account_id, conversation_id=conversation.id, direction="in",
                           text=text, status="received", source="instagram", mid=f"mid.draft.{now.timestamp()}",
                           created_at=now))
    conversation = db.session.get(Conversation, conversation.id)
    conversation.last_message_at = conversation.last_inbound_at = now
    conversation.last_message_preview = text
    db.session.commit()


@pytest.fixture
def shop(factory):
    ws = factory.workspace("Draft Shop")
    rep = factory.user(ws, email="rita@drafts.test", name="Rita Rep", role="agent")
    account = factory.account(ws, username="draft.boutique")
    now = utcnow()
    conversations = []
    for i, (name, username, text) in enumerate((("Maria Lopez", "maria.l", "Is the green one back?"),
                                                ("Omar Haddad", "omar.h", "Do you ship to Lyon?"))):
        at = now - timedelta(minutes=5 + i)
        c = factory.conversation(account, contact=factory.contact(account, name=name, username=username),
                                 last_message_at=at, last_inbound_at=at, last_message_preview=text)
        factory.message(c, text, created_at=at)
        conversations.append(c)
    return rep, conversations[0], conversations[1]


def open_thread(page, conversation):
    page.locator(f"#conversation-list #conv-{conversation.id} a").click()
    expect(page.locator(f"#thread-view[data-conversation='{conversation.id}']")).to_be_visible()


def saves(text, whole=False):
    """A predicate for the draft's autosave of a box that ends with `text` (a slow machine may
    save part of it first), or that is exactly `text`."""
    def matches(response):
        if response.request.method != "PUT" or not response.url.endswith("/draft"):
            return False
        saved = parse_qs(response.request.post_data or "", keep_blank_values=True).get("text", [""])[0]
        return saved == text if whole else saved.endswith(text)
    return matches


def typed_and_saved(page, text):
    """Type into the reply box and wait for the autosave that follows the last keystroke."""
    box = page.locator("#composer-text")
    with page.expect_response(saves(text)) as saved:
        box.press_sequentially(text, delay=15)
    assert saved.value.status == 204


def typing_to_maria(browsing, shop):
    """Signed in as the rep, Maria's thread open, the focus in its reply box: (page, box, maria)."""
    rep, maria, _ = shop
    page = browsing.page
    browsing.login(rep)
    open_thread(page, maria)
    box = page.locator("#composer-text")
    box.click()
    return page, box, maria


def test_a_draft_follows_the_rep_from_laptop_to_phone_and_goes_once_sent(browsing, browser, live_server, shop,
                                                                         fake_graph):
    rep, maria, omar = shop
    laptop = browsing.page
    browsing.login(rep)
    open_thread(laptop, maria)
    laptop.locator("#composer-text").click()
    typed_and_saved(laptop, "Hi Maria, the green one is back")
    assert stored_drafts() == {maria.id: "Hi Maria, the green one is back"}
    # My list row says so, without a reload.
    expect(laptop.locator(f"#conv-{maria.id} [data-draft-marker]")).to_have_text("Draft: Hi Maria, the green one is back")
    shot(laptop, "laptop-typed")

    # Switching away straight after typing (well within the autosave's pause) loses nothing.
    laptop.locator("#composer-text").press_sequentially(" in size 38", delay=10)
    open_thread(laptop, omar)
    expect(laptop.locator("#composer-text")).to_have_value("")
    open_thread(laptop, maria)
    expect(laptop.locator("#composer-text")).to_have_value("Hi Maria, the green one is back in size 38")
    drafts_become(laptop, {maria.id: "Hi Maria, the green one is back in size 38"})

    # The same rep on a phone: a second browser, signed in separately.
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, timezone_id="Europe/Berlin",
                                  locale="en-GB")
    context.set_default_timeout(10_000)
    phone_tab = Browsing(context.new_page(), live_server.url)
    try:
        phone = phone_tab.login(rep)
        expect(phone.locator(f"#conv-{maria.id} [data-draft-marker]")).to_contain_text("Draft: Hi Maria, the green one")
        expect(phone.locator(f"#conv-{omar.id} [data-draft-marker]")).to_have_count(0)
        shot(phone, "phone-list")
        open_thread(phone, maria)
        box = phone.locator("#composer-text")
        expect(box).to_have_value("Hi Maria, the green one is back in size 38")
        expect(phone.locator("#byte-count")).to_have_text("42 / 1000 bytes")
        box.click()
        box.press("End")
        typed_and_saved(phone, ". Shall I keep one?")
        shot(phone, "phone-thread")

        with phone.expect_response(lambda r: r.url.endswith(f"/conversations/{maria.id}/messages")) as sent:
            phone.locator("[data-send]").click()
        assert sent.value.status == 201
        expect(phone.locator("#thread-messages .bubble--out")).to_contain_text(
            "Hi Maria, the green one is back in size 38. Shall I keep one?")
        expect(box).to_have_value("")
        drafts_become(phone, {})
        expect(phone.locator(f"#conv-{maria.id} [data-draft-marker]")).to_have_count(0)
        shot(phone, "phone-sent")
        assert not phone_tab.unexpected_errors(), phone_tab.console_errors
    finally:
        context.close()

    # Back on the laptop: the thread opens with an empty box, and the row has no marker.
    open_thread(laptop, omar)
    open_thread(laptop, maria)
    expect(laptop.locator("#composer-text")).to_have_value("")
    expect(laptop.locator(f"#conv-{maria.id} [data-draft-marker]")).to_have_count(0)


def test_a_live_update_while_typing_keeps_the_text(browsing, shop):
    browsing.page.set_viewport_size(PHONE)
    page, box, maria = typing_to_maria(browsing, shop)
    box.press_sequentially("Yes, it is back", delay=20)

    # The customer writes while the rep is typing: the poll brings the message in.
    receive(maria, "Hello? Anyone there?")
    box.press_sequentially(" in green and in blue", delay=60)
    expect(page.locator("#thread-messages")).to_contain_text("Hello? Anyone there?", timeout=5_000)
    box.press_sequentially(" and black", delay=20)

    expect(box).to_have_value("Yes, it is back in green and in blue and black")
    expect(box).to_be_focused()
    drafts_become(page, {maria.id: "Yes, it is back in green and in blue and black"})
    shot(page, "typing-through-a-poll")

    # A reload, or coming back tomorrow, finds it in the box.
    page.reload()
    expect(page.locator("#composer-text")).to_have_value("Yes, it is back in green and in blue and black")


def test_a_reload_right_after_typing_keeps_what_was_typed(browsing, shop):
    """The save of the last keystrokes goes as the page goes, and the reloaded page can be rendered
    before it lands (or it is lost, offline): the box showed the older draft, which the next
    keystroke then saved over the newer one. The tab keeps its unconfirmed text until confirmed."""
    page, box, maria = typing_to_maria(browsing, shop)
    typed_and_saved(page, "Version A")
    page.route("**/draft", lambda route: route.abort())  # the last save does not arrive in time
    box.press_sequentially(" plus B", delay=15)
    page.reload()
    page.unroute("**/draft")
    expect(page.locator("#composer-text")).to_have_value("Version A plus B")
    drafts_become(page, {maria.id: "Version A plus B"})  # and the server gets it now

    # Emptied, it is gone for good: a reload brings back nothing.
    page.reload()
    expect(box).to_have_value("Version A plus B")
    box.fill("")
    drafts_become(page, {})
    page.reload()
    expect(box).to_have_value("")


def test_a_note_is_its_own_text_and_an_emptied_box_deletes_the_draft(browsing, shop):
    """The reply and a private note share the box but not their text: switching to Note puts the
    half-written reply aside (it was the note's text, to post or to delete), the note is never a
    draft, and adding it leaves the reply's draft where it was."""
    page, box, maria = typing_to_maria(browsing, shop)
    typed_and_saved(page, "Yes, size 38 is back")
    assert stored_drafts() == {maria.id: "Yes, size 38 is back"}

    saved_after = []
    page.on("request", lambda r: saved_after.append(r.post_data) if r.method == "PUT" and r.url.endswith("/draft") else None)
    page.locator("label[for=mode-note]").click()
    expect(box).to_have_value("")
    box.press_sequentially("Remember: she wants size 38", delay=15)
    page.locator("[data-note]").click()
    expect(page.locator("#thread-messages .bubble--note")).to_contain_text("Remember: she wants size 38")
    expect(box).to_have_value("")
    box.blur()  # leaving the box saves at once, were there anything to save
    drafts_become(page, {maria.id: "Yes, size 38 is back"})
    assert saved_after == []

    page.locator("label[for=mode-reply]").click()
    expect(box).to_have_value("Yes, size 38 is back")
    with page.expect_response(saves("", whole=True)):
        box.fill("")
        box.press("Space")
        box.press("Backspace")
    assert stored_drafts() == {}

    page.locator("#composer-text").click()
    typed_and_saved(page, "Hi")
    with page.expect_response(saves("", whole=True)):
        page.locator("#composer-text").press("Backspace")
        page.locator("#composer-text").press("Backspace")
    assert stored_drafts() == {}
    expect(page.locator(f"#conv-{maria.id} [data-draft-marker]")).to_have_count(0)
    assert re.search("Draft", page.locator(f"#conv-{maria.id}").inner_text()) is None
