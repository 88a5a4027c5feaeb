"""The agent's day end to end, at 1280 and 390 px (issue 17's "done when"): rep A filters Needs
reply, answers the longest-waiting customer with a saved reply picked through "/", labels the
thread, starts a reply to another customer, switches away and back and finds the draft; rep B,
signed in beside A, still has both conversations unread. Each feature has its own, finer browser
test; this one proves they work together on one page."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from tests.browser.conftest import browser_available

_reason = browser_available()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from app.extensions import db  # noqa: E402
from app.inbox.unread import count_for  # noqa: E402
from app.models import Conversation, Draft, Label, SavedReply, utcnow  # noqa: E402
from tests.browser.conftest import Browsing  # noqa: E402

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots/agents_day")


@pytest.fixture
def shop(factory):
    ws = factory.workspace("Day Shop")
    maya = factory.user(ws, email="maya@day.test", name="Maya Agent", role="agent")
    bob = factory.user(ws, email="bob@day.test", name="Bob Seller", role="agent")
    account = factory.account(ws, username="day.boutique")
    now = utcnow()

    def conversation(name, minutes_ago, text, waiting=True):
        at = now - timedelta(minutes=minutes_ago)
        c = factory.conversation(account, contact=factory.contact(account, name=name, username=name.split()[0].lower()),
                                 last_message_at=at, last_inbound_at=at, last_message_preview=text,
                                 waiting_since=at if waiting else None,
                                 last_speaker="customer" if waiting else "team", unread_count=1 if waiting else 0)
        factory.message(c, text, direction="in" if waiting else "out", created_at=at)
        return c

    class Shop:
        pass

    Shop.maya, Shop.bob = maya, bob
    Shop.ann = conversation("Ann Berg", 5, "Is the blue tote still in stock?")
    Shop.carl = conversation("Carl Olsen", 180, "Do you ship to Oslo?")
    Shop.eve = conversation("Eve Stone", 30, "It ships tomorrow.", waiting=False)
    db.session.add(SavedReply(workspace_id=ws.id, title="Shipping times", shortcut="shipping",
                              text="Hi {first_name}, we ship within 2 days, also to Norway. {agent_name}"))
    db.session.add(Label(workspace_id=ws.id, name="wholesale", color="#1d4ed8"))
    db.session.commit()
    return Shop


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{page.viewport_size['width']}.png"))


def saves(text):
    def matches(response):
        if response.request.method != "PUT" or not response.url.endswith("/draft"):
            return False
        return parse_qs(response.request.post_data or "").get("text", [""])[0].endswith(text)
    return matches


@pytest.mark.parametrize("width", [1280, 390])
def test_a_reps_day(browsing, browser, live_server, fake_graph, shop, width):
    page = browsing.page
    page.set_viewport_size({"width": width, "height": 844 if width < 768 else 800})
    browsing.login(shop.maya)
    expect(page.locator("#unread-badge")).to_have_text(re.compile(r"^2"))

    # Who is waiting? Needs reply, longest waiting first.
    toggle = page.locator(".filters__toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()  # a phone folds the filters under the list
    page.locator("label[for=filter-needs-reply]").click()
    expect(page.locator(f"#conv-{shop.eve.id}")).to_have_count(0)
    page.select_option("#filter-sort", "waiting")
    rows = page.locator("#conversation-list > li.convlist__item")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_id(f"conv-{shop.carl.id}")
    shot(page, "needs-reply")

    # Carl has waited longest: answer him with a saved reply picked through "/".
    page.locator(f"#conv-{shop.carl.id} a.convrow").click()
    expect(page.locator("#thread-waiting")).to_contain_text("customer spoke last")
    box = page.locator("#composer-text")
    box.click()
    box.press_sequentially("/ship")
    expect(page.locator("#saved-reply-listbox [role=option]", has_text="Shipping times")).to_be_visible()
    box.press("Enter")
    expect(box).to_have_value("Hi Carl, we ship within 2 days, also to Norway. Maya Agent")
    box.press("Enter")
    expect(page.locator("#thread-messages .bubble--out", has_text="also to Norway")).to_have_class(
        re.compile("bubble--sent"), timeout=10_000)
    assert any("also to Norway" in ((sent.get("message") or {}).get("text") or "") for sent in fake_graph.sent)
    expect(page.locator("#thread-waiting")).to_have_count(0, timeout=6_000)  # answered: the header says so too

    # Label the thread from its header (the reply box let go first: a phone keeps the thumb bar
    # out of the way while one types).
    box.blur()
    page.locator("#label-menu > summary").click()
    page.locator("[data-label-filter]").fill("whole")
    page.locator("[data-label-filter]").press("Enter")
    expect(page.locator("#thread-labels .labelchip", has_text="wholesale")).to_be_visible()
    shot(page, "answered-and-labelled")

    # Start answering Ann, switch away to Eve and come back: the draft is there.
    browsing.go(f"/conversations/{shop.ann.id}")
    box = page.locator("#composer-text")
    box.click()
    with page.expect_response(saves("let me check the stock")) as saved:
        box.press_sequentially("Hi Ann, let me check the stock", delay=15)
    assert saved.value.status == 204
    browsing.go(f"/conversations/{shop.eve.id}")
    expect(page.locator("#composer-text")).to_have_value("")
    browsing.go(f"/conversations/{shop.ann.id}")
    expect(page.locator("#composer-text")).to_have_value("Hi Ann, let me check the stock")
    shot(page, "draft-restored")

    db.session.expire_all()
    carl = db.session.get(Conversation, shop.carl.id)
    assert carl.waiting_since is None and carl.last_speaker == "team"
    assert [label.name for label in carl.labels] == ["wholesale"]
    assert db.session.get(Draft, (shop.maya.id, shop.ann.id)).text == "Hi Ann, let me check the stock"
    assert db.session.get(Conversation, shop.ann.id).waiting_since is not None  # a draft is not an answer
    assert count_for(shop.maya.id, shop.carl.id) == 0 and count_for(shop.maya.id, shop.ann.id) == 0

    # Bob, signed in beside Maya, still has both unread; Maya's draft is not his.
    context = browser.new_context(viewport={"width": width, "height": 844 if width < 768 else 800})
    try:
        bob = Browsing(context.new_page(), live_server.url)
        bob.login(shop.bob)
        expect(bob.page.locator("#unread-badge")).to_have_text(re.compile(r"^2"))
        expect(bob.page.locator(f"#conv-{shop.ann.id} a.convrow")).to_have_class(re.compile("convrow--unread"))
        expect(bob.page.locator(f"#conv-{shop.ann.id} [data-draft-marker]")).to_have_count(0)
        assert count_for(shop.bob.id, shop.carl.id) == 1 and count_for(shop.bob.id, shop.ann.id) == 1
    finally:
        context.close()
    assert not browsing.unexpected_errors()
