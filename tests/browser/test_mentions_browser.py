"""@mentions in a real browser, at 1280 and 390 px (issue 18's "done when"): an admin writes a
private note, types "@", narrows the teammates, picks a rep with the keyboard and adds the note;
the note shows the mention and the rep has a `mention` notification. Then the rep signs in (a new
browser context), the bell counts the mention, the Mentions filter lists that conversation only, and the note marks the mention as
theirs. The picker is the listbox pattern with 44 px options, axe-core finds nothing serious, and
Esc or reply mode keep it shut. Screenshots go to /tmp/shots/mentions/."""
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
from sqlalchemy import select  # noqa: E402

from app.extensions import db  # noqa: E402
from app.models import Note, NoteMention, Notification, utcnow  # noqa: E402
from tests.browser.conftest import Browsing  # noqa: E402

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots/mentions")
SIZES = {1280: {"width": 1280, "height": 800}, 390: {"width": 390, "height": 844}}


@pytest.fixture
def shop(factory):
    ws = factory.workspace("Mention Shop")
    admin = factory.user(ws, email="ada@mention.test", name="Ada Admin")
    rita = factory.user(ws, email="rita@mention.test", name="Rita Rep", role="agent")
    ricardo = factory.user(ws, email="ricardo@mention.test", name="Ricardo Ruiz", role="agent")
    account = factory.account(ws, username="mention.boutique")
    now = utcnow()

    def conversation(name, minutes_ago, text):
        at = now - timedelta(minutes=minutes_ago)
        c = factory.conversation(account, contact=factory.contact(account, name=name, username=name.split()[0].lower()),
                                 last_message_at=at, last_inbound_at=at, last_message_preview=text)
        factory.message(c, text, created_at=at)
        return c

    class Shop:
        pass

    Shop.admin, Shop.rita, Shop.ricardo = admin, rita, ricardo
    Shop.ann = conversation("Ann Berg", 5, "Can someone call me about a wholesale order?")
    Shop.carl = conversation("Carl Olsen", 30, "Do you ship to Oslo?")
    return Shop


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{page.viewport_size['width']}.png"))


@pytest.mark.parametrize("width", SIZES)
def test_mention_a_rep_who_finds_it_in_the_bell_and_under_mentions(browsing, browser, live_server, shop, width):
    page = browsing.page
    page.set_viewport_size(SIZES[width])
    browsing.login(shop.admin)
    page.locator(f"#conversation-list #conv-{shop.ann.id} a").click()
    box = page.locator("#composer-text")
    expect(box).to_be_visible()
    picker = page.locator("#mention-listbox")  # its wrapper is 0 px tall: the panel rises from it

    # In reply mode "@" is just a character (a reply goes to the customer: nobody to mention).
    box.click()
    box.press_sequentially("@r")
    expect(picker).to_be_hidden()
    box.fill("")

    page.locator("label[for=mode-note]").click()
    expect(page.locator("[data-note]")).to_be_visible()
    box.click()
    box.press_sequentially("Please call her @r")
    expect(picker).to_be_visible()
    expect(box).to_have_attribute("aria-controls", "mention-listbox")
    options = page.locator("#mention-listbox [role=option]")
    expect(options).to_have_count(2)  # Ricardo Ruiz and Rita Rep, by name; never the author
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    expect(options.nth(0)).to_contain_text("Ricardo Ruiz")
    for option in options.all():
        assert option.bounding_box()["height"] >= 44
    assert browsing.axe_violations() == []
    shot(page, "picker-open")

    box.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", f"mention-option-{shop.rita.id}")
    box.press("ArrowDown")  # wraps round
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    box.press("ArrowUp")
    box.press("Enter")
    expect(box).to_have_value("Please call her @Rita Rep ")
    expect(picker).to_be_hidden()
    expect(box).to_have_attribute("aria-controls", "saved-reply-listbox")  # back to the box's default
    expect(page.locator("#composer [data-mention-ids] input[name=mentions]")).to_have_count(1)

    # Another "@", narrowed by typing and shut with Esc: it stays shut while that word changes.
    box.press_sequentially("and @ri")
    expect(options).to_have_count(2)
    box.press_sequentially("c")
    expect(options).to_have_count(1)
    box.press("Escape")
    expect(picker).to_be_hidden()
    box.press_sequentially("a")
    expect(picker).to_be_hidden()
    box.press("Control+a")
    box.press("Delete")
    box.press_sequentially("Please call her @rit")
    box.press("Tab")
    box.press_sequentially("back today about the wholesale order")
    expect(box).to_have_value("Please call her @Rita Rep back today about the wholesale order")
    box.press("Enter")  # the picker is closed: Enter adds the note

    note = page.locator("#thread-messages .bubble--note", has_text="wholesale order")
    expect(note).to_be_visible()
    expect(note.locator(".mention")).to_have_text("@Rita Rep")
    expect(box).to_have_value("")
    expect(page.locator("#composer [data-mention-ids] input")).to_have_count(0)  # the next note starts clean
    shot(page, "note-added")

    db.session.expire_all()
    [added] = db.session.scalars(select(Note))
    assert list(db.session.scalars(select(NoteMention.user_id))) == [shop.rita.id]
    assert [(n.user_id, n.type, n.conversation_id) for n in db.session.scalars(select(Notification))] == [
        (shop.rita.id, "mention", shop.ann.id)]
    assert added.body == "Please call her @Rita Rep back today about the wholesale order"

    # Rita signs in elsewhere: the bell counts the mention, and Mentions lists Ann's conversation only.
    context = browser.new_context(viewport=SIZES[width], timezone_id="Europe/Berlin", locale="en-GB")
    context.set_default_timeout(10_000)
    try:
        rita = Browsing(context.new_page(), live_server.url)
        rita.login(shop.rita)
        rpage = rita.page
        # The bell (app/notifications, the notification centre) counts it.
        bell = rpage.locator("#bell")
        expect(bell).to_have_attribute("data-count", "1")
        expect(bell).to_have_attribute("aria-label", "Notifications, 1 unread")
        expect(rpage.locator("#conversation-list > li.convlist__item")).to_have_count(2)
        toggle = rpage.locator(".filters__toggle")
        if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
            toggle.click()  # a phone folds the filters under the list
        rpage.locator("label[for=filter-mentions]").click()
        rows = rpage.locator("#conversation-list > li.convlist__item")
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_id(f"conv-{shop.ann.id}")
        expect(rpage).to_have_url(re.compile(r"[?&]mentions=me"))
        assert rita.axe_violations() == []
        shot(rpage, "mentions-filter")

        rows.first.locator("a").click()
        mine = rpage.locator("#thread-messages .bubble--note .mention--me")
        expect(mine).to_have_text("@Rita Rep")
        assert rita.axe_violations() == []
        shot(rpage, "mention-seen-by-rita")
        assert not rita.unexpected_errors()
    finally:
        context.close()
    assert not browsing.unexpected_errors()


@pytest.mark.parametrize("width", SIZES)
def test_mention_from_a_comments_threads_private_note(browsing, shop, factory, width):
    """A comments thread has no DM composer: its private note is a form of its own under the
    comment actions, and it carries the same picker, so "@Rita Rep" there is a mention, not text."""
    from tests.comments.helpers import comments_thread

    thread = comments_thread(factory, account=shop.ann.account, igsid="5550077")
    page = browsing.page
    page.set_viewport_size(SIZES[width])
    browsing.login(shop.admin)
    browsing.go(f"/conversations/{thread.conversation.id}")
    page.locator(".comment-note > summary").click()
    box = page.locator("#comment-note-text")
    expect(box).to_be_visible()
    expect(page.locator("#composer-text")).to_have_count(0)
    box.click()
    box.press_sequentially("Ask @ri")
    options = page.locator("#mention-listbox [role=option]")
    expect(options).to_have_count(2)
    expect(box).to_have_attribute("aria-controls", "mention-listbox")
    for option in options.all():
        assert option.bounding_box()["height"] >= 44
    assert browsing.axe_violations() == []
    shot(page, "comment-note-picker")
    box.press("ArrowDown")
    box.press("Enter")  # inserts: a note's Enter would otherwise be a new line
    box.press_sequentially("to send the price list")
    expect(box).to_have_value("Ask @Rita Rep to send the price list")
    page.locator("[data-comment-note]").get_by_role("button", name="Add note").click()

    note = page.locator("#thread-messages .bubble--note", has_text="price list")
    expect(note.locator(".mention")).to_have_text("@Rita Rep")
    expect(box).to_have_value("")
    expect(page.locator("[data-comment-note] [data-mention-ids] input")).to_have_count(0)
    shot(page, "comment-note-added")
    db.session.expire_all()
    assert list(db.session.scalars(select(NoteMention.user_id))) == [shop.rita.id]
    assert [(n.user_id, n.type, n.conversation_id) for n in db.session.scalars(select(Notification))] == [
        (shop.rita.id, "mention", thread.conversation.id)]
    assert not browsing.unexpected_errors()
