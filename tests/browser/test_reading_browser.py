"""Reading a thread in a real browser, at 1280 and 390 px: a thread with several pictures opens at
its newest message and stays there while they load (their box is reserved; static/js/reading.js
keeps the view pinned); a message arriving while the reader is scrolled up shows "New messages ↓"
(announced politely), which takes them to it; a photo just sent lands in view; links in messages
are clickable. Screenshots go to /tmp/shots/reading/."""
from __future__ import annotations

import re
import struct
import zlib
from datetime import timedelta
from pathlib import Path

import pytest

from tests.browser.conftest import browser_available

_reason = browser_available()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from app.extensions import db  # noqa: E402
from app.models import Conversation, Message, utcnow  # noqa: E402

pytestmark = pytest.mark.browser

LIVE = 3_500  # ms: a live poll (every 2 s) and the page's own latency
SHOTS = Path("/tmp/shots/reading")
SIZES = [pytest.param({"width": 1280, "height": 800}, id="1280"), pytest.param({"width": 390, "height": 844}, id="390")]


def png(width: int, height: int, rgb=(196, 120, 84)) -> bytes:
    """A plain PNG picture of that size."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def arrive(conversation: Conversation, text: str) -> Message:
    """What ingestion does for an inbound DM: the message, and the conversation bumped."""
    now = utcnow()
    message = Message(account_id=conversation.account_id, conversation_id=conversation.id, direction="in",
                      text=text, status="received", source="instagram", mid=f"mid.reading.{now.timestamp()}",
                      created_at=now)
    db.session.add(message)
    conversation = db.session.get(Conversation, conversation.id)
    conversation.last_message_at = conversation.last_inbound_at = now
    conversation.last_message_preview = text
    db.session.commit()
    return message


class HeldPictures:
    """Pictures under /held/ answered only when released: the thread is on screen before they load,
    as with Instagram's CDN on a slow phone line."""

    def __init__(self, page):
        self.waiting = []
        self.released = False
        page.route(re.compile(r".*/held/.*\.png$"), self._handle)

    def _handle(self, route):
        if self.released:
            self._answer(route)
        else:
            self.waiting.append(route)

    @staticmethod
    def _answer(route):
        # Tall pictures: the kind that pushed the newest message out of sight when they arrived.
        route.fulfill(status=200, content_type="image/png", body=png(600, 1000))

    def release(self):
        self.released = True
        while self.waiting:
            self._answer(self.waiting.pop(0))


@pytest.fixture
def shop(factory, live_server):
    ws = factory.workspace("Reading Shop")
    user = factory.user(ws, email="rita@reading.test", name="Rita Reader")
    account = factory.account(ws, username="reading.shop")
    start = utcnow() - timedelta(hours=1)
    other = factory.conversation(account, contact=factory.contact(account, name="Olaf Other"),
                                 last_message_at=start, last_inbound_at=start, last_message_preview="Hi")
    factory.message(other, "Hi", created_at=start)
    contact = factory.contact(account, name="Pia Pictures", username="pia.pics")
    at = start + timedelta(minutes=5)
    conversation = factory.conversation(account, contact=contact, last_message_at=at + timedelta(minutes=9),
                                        last_inbound_at=at + timedelta(minutes=9), last_message_preview="The newest one")
    for i in range(4):
        factory.message(conversation, f"Photo {i} of the dress", created_at=at + timedelta(minutes=2 * i))
        factory.message(conversation, None, created_at=at + timedelta(minutes=2 * i, seconds=30), attachments=[
            {"type": "image", "url": f"{live_server.url}/held/photo-{i}.png"}])
    factory.message(conversation, "Which one is better? See https://shop.example/dress?id=4. Or javascript:alert(1)",
                    created_at=at + timedelta(minutes=8, seconds=50))
    factory.message(conversation, "The newest one", created_at=at + timedelta(minutes=9))
    return user, conversation


def gap_below(page) -> float:
    """How far the newest message's bottom is below the visible end of the thread."""
    return page.evaluate("""() => {
        const s = document.getElementById('thread-scroll');
        const items = s.querySelectorAll('#thread-messages > .bubble');
        const last = items[items.length - 1];
        return last.getBoundingClientRect().bottom - s.getBoundingClientRect().bottom;
    }""")


def open_from_list(page, conversation):
    page.locator(f"#conversation-list #conv-{conversation.id} a").click()
    expect(page.locator("#thread-view")).to_have_attribute("data-conversation", str(conversation.id))


@pytest.mark.parametrize("size", SIZES)
def test_a_thread_with_pictures_opens_at_the_newest_and_stays_there(browsing, shop, size):
    user, conversation = shop
    page = browsing.page
    page.set_viewport_size(size)
    held = HeldPictures(page)
    browsing.login(user)
    open_from_list(page, conversation)
    newest = page.locator("#thread-messages .bubble", has_text="The newest one")
    expect(newest).to_be_in_viewport()
    pictures = page.locator("#thread-messages .media img")
    expect(pictures).to_have_count(4)
    # Before a byte of a picture has arrived, each already has its box.
    boxes = pictures.evaluate_all("els => els.map(e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height])")
    assert all(w >= 100 and h >= 100 for w, h in boxes), boxes

    held.release()
    page.wait_for_function("""() => [...document.querySelectorAll('#thread-messages .media img')]
        .every(img => img.complete && img.naturalWidth > 0)""")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    expect(newest).to_be_in_viewport()
    assert abs(gap_below(page)) < 24, gap_below(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"thread-pictures-loaded-{size['width']}.png"))

    # The link in the text is a link (and only the http one).
    link = page.locator("#thread-messages .bubble__text a")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", "https://shop.example/dress?id=4")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow ugc")
    expect(link).to_have_attribute("target", "_blank")


@pytest.mark.parametrize("size", SIZES)
def test_new_messages_pill_while_scrolled_up(browsing, shop, size):
    user, conversation = shop
    page = browsing.page
    page.set_viewport_size(size)
    HeldPictures(page).release()
    browsing.login(user)
    open_from_list(page, conversation)
    pill = page.locator("#new-messages")
    status = page.locator("#new-messages-status")
    expect(pill).to_be_hidden()
    expect(status).to_have_attribute("role", "status")

    # Scrolled up to the first photo: a new message arrives below.
    page.locator("#thread-messages .bubble", has_text="Photo 0").scroll_into_view_if_needed()
    page.mouse.move(size["width"] - 40, size["height"] // 2)
    page.mouse.wheel(0, -2000)
    page.wait_for_timeout(200)
    arrive(conversation, "Hello? Still there?")
    fresh = page.locator("#thread-messages .bubble", has_text="Still there?")
    expect(fresh).to_have_count(1, timeout=LIVE)
    expect(pill).to_be_visible()
    expect(pill).to_have_text(re.compile(r"New messages"))
    expect(status).to_have_text("1 new message below.")
    expect(fresh).not_to_be_in_viewport()
    box = pill.bounding_box()
    assert box["height"] >= 44, box
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"new-messages-pill-{size['width']}.png"))

    pill.click()
    expect(fresh).to_be_in_viewport()
    expect(pill).to_be_hidden()

    # Again scrolled up; this time the reader scrolls down by themselves, and the pill goes.
    page.mouse.wheel(0, -2000)
    page.wait_for_timeout(200)
    arrive(conversation, "One more thing")
    expect(page.locator("#thread-messages .bubble", has_text="One more thing")).to_have_count(1, timeout=LIVE)
    expect(pill).to_be_visible()
    page.mouse.wheel(0, 5000)
    expect(pill).to_be_hidden()

    # At the bottom, a new message simply shows: no pill.
    arrive(conversation, "Thanks!")
    last = page.locator("#thread-messages .bubble", has_text="Thanks!")
    expect(last).to_be_in_viewport(timeout=LIVE)
    expect(pill).to_be_hidden()


@pytest.mark.parametrize("size", SIZES)
def test_a_photo_just_sent_lands_in_view(browsing, shop, fake_graph, size, tmp_path):
    user, conversation = shop
    page = browsing.page
    page.set_viewport_size(size)
    HeldPictures(page).release()
    browsing.login(user)
    open_from_list(page, conversation)
    page.mouse.move(size["width"] - 40, size["height"] // 2)
    page.mouse.wheel(0, -3000)  # reading further up when deciding to answer
    page.wait_for_timeout(400)
    photo = tmp_path / "answer.png"
    photo.write_bytes(png(500, 900, (60, 120, 200)))
    page.set_input_files("#composer-file", str(photo))
    page.fill("#composer-text", "This one, in blue")
    page.locator("[data-send]").click()
    expect(page.locator("#thread-messages .bubble--out", has_text="This one, in blue")).to_have_count(1)
    sent = page.locator("#thread-messages .bubble--out .media img")
    expect(sent).to_have_count(1)
    page.wait_for_function("""() => { const img = document.querySelector('#thread-messages .bubble--out .media img');
        return img && img.complete && img.naturalWidth > 0; }""")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    expect(sent).to_be_in_viewport()
    assert abs(gap_below(page)) < 24, gap_below(page)
    expect(page.locator("#new-messages")).to_be_hidden()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"photo-sent-{size['width']}.png"))
