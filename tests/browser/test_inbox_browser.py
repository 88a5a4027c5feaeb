"""The inbox in a real browser (headless Chromium via Playwright): live updates, reading,
replying, filters and search, leads, the phone layout and history navigation, with every page
screenshotted at 375 and 1280 px into test-artifacts/ and checked with axe-core."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.browser.conftest import browser_available

_reason = browser_available()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from app.extensions import db  # noqa: E402
from app.inbox import actions, unread  # noqa: E402
from app.models import Conversation, Lead, Message, Note, utcnow  # noqa: E402

pytestmark = pytest.mark.browser

LIVE = 3_500  # ms: the "within 3 seconds", plus the page's own latency


def receive(conversation: Conversation, text: str, **fields) -> Message:
    """What ingestion does for an inbound DM: the message, and the conversation bumped."""
    now = utcnow()
    message = Message(account_id=conversation.account_id, conversation_id=conversation.id, direction="in",
                      text=text, status="received", source="instagram", mid=f"mid.live.{now.timestamp()}",
                      created_at=now, **fields)
    db.session.add(message)
    conversation = db.session.get(Conversation, conversation.id)
    conversation.last_message_at = now
    conversation.last_inbound_at = now
    conversation.last_message_preview = text[:200]
    conversation.unread_count += 1
    unread.add_inbound({conversation.id: unread.NewUnread(1, now)})  # every member's own unread
    db.session.commit()
    return message


@pytest.fixture
def inbox(factory):
    """A workspace with two accounts, a few conversations and leads, and its signed-in agent."""
    ws = factory.workspace("Acme Shop")
    me = factory.user(ws, email="maya@example.com", name="Maya Agent")
    bob = factory.user(ws, email="bob@example.com", name="Bob Seller", role="agent")
    store = factory.account(ws, username="acme.store")
    outlet = factory.account(ws, username="acme.outlet")
    now = utcnow()
    people = [("Ann O'Neil", "ann_oneil", store), ("Bruno Díaz", "brunod", outlet), (None, "carla.v", store)]
    conversations = []
    for i, (name, username, account) in enumerate(people):
        contact = factory.contact(account, name=name, username=username)
        c = factory.conversation(account, contact=contact, last_message_at=now - timedelta(minutes=10 * (i + 1)),
                                 last_inbound_at=now - timedelta(minutes=10 * (i + 1)),
                                 last_message_preview=f"Question number {i}", status="pending" if i == 2 else "open",
                                 assignee_id=me.id if i == 1 else None)
        factory.message(c, f"Question number {i}", created_at=now - timedelta(minutes=10 * (i + 1)))
        factory.lead(c, status="new", source="ad" if i == 0 else "dm",
                     source_detail={"ad_title": "Spring sale"} if i == 0 else {})
        conversations.append(c)

    class Inbox:
        user = me
        other = bob
        accounts = (store, outlet)
        ann, bruno, carla = conversations

    return Inbox


def traverse(page, step):
    """Back or forward. The inbox keeps no history snapshots (htmx historyCacheSize 0, so no
    private messages are stored in the browser), so htmx reloads the page from the server:
    wait until the reloaded document is there."""
    page.evaluate("window.__before_traverse = true")
    step()
    # A function, not an expression: Playwright evaluates an expression with eval(), which the
    # page's CSP refuses once the new document is in place.
    page.wait_for_function("() => !window.__before_traverse && document.readyState === 'complete'")


def row(page, conversation):
    return page.locator(f"#conversation-list #conv-{conversation.id}")


def test_new_message_appears_live_and_opening_clears_unread(browsing, inbox):
    page = browsing.login(inbox.user)
    expect(page.locator("#unread-badge")).to_be_hidden()
    page.locator("#composer-text").count() == 0
    receive(inbox.carla, "Do you have it in red?")
    first = page.locator("#conversation-list > li").first
    expect(first).to_have_id(f"conv-{inbox.carla.id}", timeout=LIVE)
    expect(first).to_contain_text("Do you have it in red?")
    expect(page.locator("#unread-badge")).to_have_text(re.compile(r"^1"), timeout=LIVE)
    expect(page).to_have_title(re.compile(r"^\(1\) Inbox"))
    browsing.check_page("inbox-live")

    row(page, inbox.carla).locator("a").click()
    expect(page.locator("#thread-title")).to_have_text("@carla.v")
    expect(page).to_have_url(re.compile(rf"/conversations/{inbox.carla.id}$"))
    expect(page.locator("#unread-badge")).to_be_hidden()
    expect(page).to_have_title(re.compile(r"^@carla\.v · "))
    expect(row(page, inbox.carla).locator(".badge")).to_have_count(0)
    expect(row(page, inbox.carla).locator("a")).to_have_attribute("aria-current", "true")
    db.session.expire_all()
    assert db.session.get(Conversation, inbox.carla.id).unread_count == 0

    # A message arriving in the open thread is appended without touching what is being typed,
    # and is read at once (the tab is visible).
    page.fill("#composer-text", "Half-written answer")
    page.locator("#composer-text").press("Shift+Enter")
    page.locator("#composer-text").type("second line")
    receive(inbox.carla, "Also, what sizes?")
    expect(page.locator("#thread-messages .bubble").last).to_contain_text("Also, what sizes?", timeout=LIVE)
    expect(page.locator("#composer-text")).to_have_value("Half-written answer\nsecond line")
    expect(page.locator("#composer-text")).to_be_focused()
    expect(page.locator("#unread-badge")).to_be_hidden(timeout=LIVE)
    browsing.check_page("thread-live")


def test_filters_search_and_history(browsing, inbox):
    page = browsing.login(inbox.user)
    expect(page.locator("#conversation-list > li")).to_have_count(3)
    page.get_by_text("Mine", exact=True).click()
    expect(page).to_have_url(re.compile(r"\?view=mine$"))
    expect(page.locator("#conversation-list > li")).to_have_count(1)
    expect(row(page, inbox.bruno)).to_be_visible()

    page.locator("label[for=view-all]").click()  # the views' All (the kind switch has an All too)
    page.select_option("#filter-status", "pending")
    expect(page).to_have_url(re.compile(r"\?status=pending$"))
    expect(page.locator("#conversation-list > li")).to_have_count(1)
    expect(row(page, inbox.carla)).to_be_visible()

    page.select_option("#filter-status", "")
    page.fill("#filter-q", "bruno")
    expect(page).to_have_url(re.compile(r"\?q=bruno$"))
    expect(page.locator("#conversation-list > li")).to_have_count(1)
    page.fill("#filter-q", "Question number 2")
    expect(page.locator("#conversation-list > li")).to_have_count(1)
    expect(row(page, inbox.carla)).to_be_visible()
    page.fill("#filter-q", "nobody-like-this")
    expect(page.locator(".convlist-empty")).to_contain_text("No conversation matches “nobody-like-this”")
    browsing.check_page("inbox-search-empty")

    # A filtered list with a conversation open is one URL that reloads as the same page.
    page.fill("#filter-q", "ann")
    row(page, inbox.ann).locator("a").click()
    expect(page).to_have_url(re.compile(rf"/conversations/{inbox.ann.id}\?q=ann$"))
    page.reload()
    expect(page.locator("#filter-q")).to_have_value("ann")
    expect(page.locator("#thread-title")).to_have_text("Ann O'Neil")
    expect(page.locator("#conversation-list > li")).to_have_count(1)

    # Back and forward walk through the filters and conversations as they were.
    traverse(page, page.go_back)
    expect(page).to_have_url(re.compile(r"/\?q=ann$"))
    expect(page.locator("#thread-view")).to_have_count(0)
    traverse(page, page.go_back)
    expect(page).to_have_url(re.compile(r"/\?q=nobody-like-this$"))
    expect(page.locator(".convlist-empty")).to_be_visible()
    traverse(page, page.go_forward)
    expect(page).to_have_url(re.compile(r"/\?q=ann$"))
    traverse(page, page.go_forward)
    expect(page.locator("#thread-title")).to_have_text("Ann O'Neil")


def test_conversation_actions(browsing, inbox):
    page = browsing.login(inbox.user)
    row(page, inbox.ann).locator("a").click()
    page.select_option("#thread-header select[name=assignee]", "me")
    expect(page.locator(".thread__status")).to_have_text("Assigned to Maya Agent.")
    expect(row(page, inbox.ann)).to_contain_text("Maya Agent")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator(".thread__status")).to_have_text("Conversation resolved.")
    expect(row(page, inbox.ann)).to_contain_text("Resolved")
    page.get_by_role("button", name="Reopen").click()
    expect(page.locator(".thread__status")).to_have_text("Conversation reopened.")
    page.locator("#snooze-menu summary").click()
    # The snooze menu's (the lead panel's follow-up has a "Tomorrow 9:00" of its own).
    page.locator("#snooze-menu").get_by_role("button", name="Tomorrow 9:00").click()
    expect(page.locator(".thread__status")).to_contain_text("Snoozed until")
    expect(row(page, inbox.ann)).to_contain_text("Snoozed until")
    db.session.expire_all()
    snoozed = db.session.get(Conversation, inbox.ann.id)
    assert snoozed.status == "snoozed" and snoozed.snoozed_until > utcnow()
    # Berlin 9:00 is 7:00 or 8:00 UTC depending on the season.
    assert snoozed.snoozed_until.hour in (7, 8)

    page.locator("#more-menu summary").click()
    page.get_by_role("button", name="Mark as unread").click()
    expect(page.locator("#thread-view")).to_have_count(0)
    expect(page).to_have_url(browsing.url + "/")
    expect(page.locator("#unread-badge")).to_have_text(re.compile(r"^1"))
    expect(row(page, inbox.ann).locator(".convrow")).to_have_class(re.compile("convrow--unread"))


def test_marked_unread_on_another_device_stays_unread_with_the_thread_open_here(browsing, inbox):
    """"Mark as unread" on the phone while the thread is open on the laptop: the laptop's next poll
    re-sends the conversation (the mark bumps it) and says it is unread for me, but no message
    arrived, so the open thread must not read it again. (The same poll, landing between the click
    and its own response on one device, undid the click: a CI flake of test_conversation_actions.)"""
    page = browsing.login(inbox.user)
    row(page, inbox.ann).locator("a").click()
    expect(page.locator("#thread-title")).to_have_text("Ann O'Neil")
    reads = []
    page.on("request", lambda r: reads.append(r.url) if r.method == "POST" and r.url.endswith("/read") else None)
    actions.mark_unread(db.session.get(Conversation, inbox.ann.id), inbox.user)  # the other device
    expect(page.locator("#unread-badge")).to_have_text(re.compile(r"^1"), timeout=LIVE)
    # A few more polls: nothing marks it read behind my back.
    with page.expect_response(lambda r: "/changes" in r.url):
        pass
    with page.expect_response(lambda r: "/changes" in r.url):
        pass
    assert reads == []
    expect(page.locator("#unread-badge")).to_have_text(re.compile(r"^1"))
    db.session.expire_all()
    assert unread.count_for(inbox.user.id, inbox.ann.id) == 1

    # A message that does arrive while I look is read at once, as before.
    receive(inbox.ann, "Still there?")
    expect(page.locator("#thread-messages .bubble").last).to_contain_text("Still there?", timeout=LIVE)
    expect(page.locator("#unread-badge")).to_be_hidden(timeout=LIVE)


def test_the_customer_writing_again_opens_the_closed_composer(browsing, inbox, factory):
    """Replies were closed (the window ended): the composer is a note. The customer writes again
    while the thread is open, and the composer opens for a reply with the live poll, the header
    says the window is open: what the rep types next goes to the customer, not into a note."""
    days_ago = utcnow() - timedelta(days=3)
    account = inbox.ann.account
    lena = factory.conversation(account, contact=factory.contact(account, name="Lena Voss", username="lena"),
                                last_message_at=days_ago, last_inbound_at=days_ago)
    factory.message(lena, "Is it still available?", created_at=days_ago)
    lena_id = lena.id
    page = browsing.login(inbox.user)
    row(page, lena).locator("a").click()
    expect(page.locator("#window-closed")).to_contain_text("Replies are closed.")
    expect(page.locator("#window-status")).to_have_text("24-hour window closed")
    expect(page.locator("#composer")).to_have_attribute("data-mode", "note")
    expect(page.locator("#composer [data-send]")).to_be_disabled()

    receive(lena, "Hello? Still there?")
    expect(page.locator("#thread-messages .bubble").last).to_contain_text("Still there?", timeout=LIVE)
    expect(page.locator("#window-closed")).to_have_count(0)
    expect(page.locator("#window-open")).to_contain_text("Replies are open until")
    expect(page.locator("#window-status")).to_contain_text("Window")
    expect(page.locator("#window-status")).not_to_contain_text("closed")
    expect(page.locator("#composer")).to_have_attribute("data-mode", "reply")
    expect(page.locator("#mode-reply")).to_be_checked()
    expect(page.locator("#composer [data-send]")).to_be_enabled()
    expect(page.locator("#composer-file")).to_be_enabled()
    page.fill("#composer-text", "Yes, reserved until Saturday!")
    with page.expect_response(lambda r: r.url.endswith(f"/conversations/{lena_id}/messages")) as sent:
        page.locator("#composer-text").press("Enter")
    assert sent.value.status == 201  # queued for Instagram
    db.session.expire_all()
    assert db.session.query(Message).filter_by(conversation_id=lena_id, direction="out").count() == 1
    assert db.session.query(Note).filter_by(conversation_id=lena_id).count() == 0


def test_a_note_being_written_stays_a_note_when_replies_open(browsing, inbox, factory):
    """Text written while the composer could only make notes was written for the team: replies
    opening must not turn it into a message to the customer. It stays a note, and says why."""
    days_ago = utcnow() - timedelta(days=3)
    account = inbox.ann.account
    otto = factory.conversation(account, contact=factory.contact(account, name="Otto Note", username="otto"),
                                last_message_at=days_ago, last_inbound_at=days_ago)
    page = browsing.login(inbox.user)
    row(page, otto).locator("a").click()
    page.fill("#composer-text", "He asked for a discount last time")
    receive(otto, "Any news?")
    expect(page.locator("#window-closed")).to_have_count(0, timeout=LIVE)
    expect(page.locator("#composer")).to_have_attribute("data-mode", "note")
    expect(page.locator("#reply-window [role=status]")).to_have_text("The customer wrote again: choose Reply to answer them.")
    page.locator("label[for=mode-reply]").click()
    expect(page.locator("#reply-window [role=status]")).to_be_hidden()
    expect(page.locator("#composer [data-send]")).to_be_enabled()
    expect(page.locator("#composer-text")).to_have_value("")  # the reply's own text; the note waits
    page.locator("label[for=mode-note]").click()
    expect(page.locator("#composer-text")).to_have_value("He asked for a discount last time")


def test_a_teammates_change_reaches_the_open_header(browsing, inbox):
    """Bob resolves and takes the conversation Maya has open: her header follows with the poll,
    but not while she is using it (the keyboard in it): then once she leaves it."""
    page = browsing.login(inbox.user)
    row(page, inbox.ann).locator("a").click()
    expect(page.locator("#thread-header").get_by_role("button", name="Resolve")).to_be_visible()
    ann = db.session.get(Conversation, inbox.ann.id)
    actions.set_status(ann, "resolved")
    header = page.locator("#thread-header")
    expect(header.get_by_role("button", name="Reopen")).to_be_visible(timeout=LIVE)
    expect(header.locator(".tag--resolved")).to_have_text("Resolved")

    page.locator("#thread-header select[name=assignee]").focus()
    actions.assign(db.session.get(Conversation, inbox.ann.id), inbox.other.id, inbox.other)
    # The poll that brings the change has been placed (its row and the header are placed together)...
    expect(row(page, inbox.ann)).to_contain_text("Bob Seller", timeout=LIVE)
    expect(page.locator("#thread-assigned")).to_have_count(0)  # ...but not under her keyboard
    page.locator("#composer-text").focus()
    expect(page.locator("#thread-assigned")).to_contain_text("Assigned to Bob Seller")
    expect(page.locator("#thread-header select[name=assignee]")).to_have_value(str(inbox.other.id))
    # The header placed by the poll works as the first one did.
    page.get_by_role("button", name="Reopen").click()
    expect(page.locator(".thread__status")).to_have_text("Conversation reopened.")


def test_the_open_conversation_opened_again_has_a_working_composer(browsing, inbox):
    """Its row clicked again brings a new composer for the same conversation: it was left without
    its setup (no Enter to send, and "Private note" kept the Send button: a note went out as a reply)."""
    page = browsing.login(inbox.user)
    row(page, inbox.ann).locator("a").click()
    expect(page.locator("#thread-title")).to_have_text("Ann O'Neil")
    page.evaluate("document.getElementById('composer').dataset.old = '1'")
    row(page, inbox.ann).locator("a").click()
    # The new composer is in place and set up (the old one, marked, is gone).
    expect(page.locator("#composer:not([data-old])[data-ready]")).to_have_count(1)
    page.locator("label[for=mode-note]").click()
    expect(page.locator("#composer [data-note]")).to_be_visible()
    expect(page.locator("#composer [data-send]")).to_be_hidden()


def resolve_with_the_keyboard(browsing, inbox):
    """Ann's thread opened and resolved from the keyboard: the focus stays on Reopen."""
    page = browsing.login(inbox.user)
    row(page, inbox.ann).locator("a").click()
    page.locator("#thread-header").get_by_role("button", name="Resolve").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".thread__status")).to_have_text("Conversation resolved.")
    expect(page.locator("#thread-header").get_by_role("button", name="Reopen")).to_be_focused()
    return page


def test_the_keyboard_stays_on_the_header_action(browsing, inbox):
    page = resolve_with_the_keyboard(browsing, inbox)
    page.keyboard.press("Enter")
    expect(page.locator(".thread__status")).to_have_text("Conversation reopened.")
    expect(page.locator("#thread-header").get_by_role("button", name="Resolve")).to_be_focused()
    page.locator("#thread-header select[name=assignee]").focus()  # as the keyboard leaves it
    page.locator("#thread-header select[name=assignee]").select_option("me")
    expect(page.locator(".thread__status")).to_have_text("Assigned to Maya Agent.")
    expect(page.locator("#thread-header select[name=assignee]")).to_be_focused()


def test_a_press_on_a_header_button_is_not_swallowed_by_a_poll(browsing, inbox):
    """A header placed by the poll between a button's press and its release would take the click
    with it (a review's finding, once a focused button no longer held the header back)."""
    page = browsing.login(inbox.user)
    row(page, inbox.ann).locator("a").click()
    page.locator("#thread-header").get_by_role("button", name="Resolve").hover()
    page.mouse.down()
    actions.assign(db.session.get(Conversation, inbox.ann.id), inbox.other.id, inbox.other)
    expect(row(page, inbox.ann)).to_contain_text("Bob Seller", timeout=LIVE)  # the poll has come
    expect(page.locator("#thread-assigned")).to_have_count(0)  # the header waits for the release
    page.mouse.up()
    expect(page.locator(".thread__status")).to_have_text("Conversation resolved.")


def test_the_customer_writing_again_reopens_the_header_under_the_focus(browsing, inbox):
    """Resolved with the keyboard, the focus stays on Reopen; the customer writing again reopens the
    conversation. The header waited for the focus to leave (a walk-through saw "Resolved", a Reopen
    button and "Conversation resolved." beside the new message): a focused button is not someone
    using the header. It follows, the focus on the new header's counterpart, the old line gone."""
    from tests.browser.test_notifications_browser import dm

    page = resolve_with_the_keyboard(browsing, inbox)
    ann = db.session.get(Conversation, inbox.ann.id)
    dm(browsing.url, ann.account, ann.contact.igsid, "One more question about the tote")  # as Meta sends it
    header = page.locator("#thread-header")
    expect(header.get_by_role("button", name="Resolve")).to_be_visible(timeout=LIVE)
    expect(header.locator(".tag--resolved")).to_have_count(0)
    expect(page.locator(".thread__status")).not_to_have_text("Conversation resolved.")
    expect(header.get_by_role("button", name="Resolve")).to_be_focused()


def test_private_note(browsing, inbox):
    page = browsing.login(inbox.user)
    row(page, inbox.bruno).locator("a").click()
    page.get_by_text("Private note", exact=True).click()
    page.fill("#composer-text", "Call him <tomorrow>")
    page.locator("#composer-text").press("Enter")
    note = page.locator("#thread-messages .bubble--note")
    expect(note).to_contain_text("Call him <tomorrow>")
    expect(note).to_contain_text("Private note · Maya Agent")
    expect(page.locator("#composer-text")).to_have_value("")
    assert db.session.query(Note).filter_by(conversation_id=inbox.bruno.id).count() == 1
    browsing.check_page("thread-note")


def test_failed_message_shows_reason_and_retry(browsing, inbox, factory):
    factory.message(inbox.ann, "Our reply", direction="out", status="failed",
                    error="This person isn't available right now.", created_at=utcnow())
    page = browsing.login(inbox.user)
    row(page, inbox.ann).locator("a").click()
    failed = page.locator("#thread-messages .bubble--failed")
    expect(failed).to_contain_text("This person isn't available right now.")
    expect(failed.get_by_role("button", name="Retry")).to_be_visible()
    expect(failed.get_by_role("button", name="Delete")).to_be_visible()


def test_leads_page(browsing, inbox):
    page = browsing.login(inbox.user)
    page.get_by_role("link", name="Leads").click()
    expect(page.locator("h1")).to_have_text("Leads")
    # The table is there as soon as the HTML is parsed, htmx only once the deferred scripts ran:
    # a change before that would go unsent.
    page.wait_for_load_state()
    lead = db.session.query(Lead).filter_by(conversation_id=inbox.ann.id).one()
    tr = page.locator(f"#lead-{lead.id}")
    expect(tr).to_contain_text("Spring sale")
    expect(page.locator("[data-funnel=new] .funnel__count")).to_have_text("3")
    tr.locator("select[name=status]").select_option("qualified")
    expect(tr.locator(".cell-status").first).to_have_text("Saved")
    expect(page.locator("[data-funnel=qualified] .funnel__count")).to_have_text("1")
    expect(page.locator("[data-funnel=new] .funnel__count")).to_have_text("2")
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).status == "qualified"
    tr.locator("select[name=owner_id]").select_option(str(inbox.other.id))
    expect(tr.locator("#lead-%d-owner-saved" % lead.id)).to_have_text("Saved")  # each cell saves on its own
    tr.locator("textarea[name=notes]").fill("Wants the red one")
    tr.locator("textarea[name=notes]").blur()
    expect(tr.locator("[data-cell=notes] .cell-status")).to_have_text("Saved")
    db.session.expire_all()
    saved = db.session.get(Lead, lead.id)
    assert (saved.owner_id, saved.notes) == (inbox.other.id, "Wants the red one")
    browsing.check_page("leads")

    page.select_option("#lead-filter-status", "qualified")
    expect(page).to_have_url(re.compile(r"/leads\?status=qualified$"))
    expect(page.locator("tbody tr")).to_have_count(1)
    # The counts stay, with the filters' answer (they were gone until a reload), and every row keeps
    # its eight cells (each Value cell was once taken out of the table as an out-of-band swap).
    expect(page.locator("#funnel [data-funnel=qualified] .funnel__count")).to_have_text("1")
    expect(page.locator("tbody tr").first.locator("td")).to_have_count(8)
    tr.get_by_role("link", name="Ann O'Neil").click()
    expect(page.locator("#thread-title")).to_have_text("Ann O'Neil")


def test_won_from_the_leads_table_asks_the_deals_value(browsing, inbox):
    """As the board and the lead panel do: choosing Won shows the value, focused, and Mark as won
    saves both; the row's value cell says it (it once stayed "—" and the deal counted 0)."""
    page = browsing.login(inbox.user)
    browsing.go("/leads")
    page.wait_for_load_state()
    lead = db.session.query(Lead).filter_by(conversation_id=inbox.bruno.id).one()
    tr = page.locator(f"#lead-{lead.id}")
    tr.locator("select[name=status]").select_option("won")
    value = tr.locator("input[name=value]")
    expect(value).to_be_focused()
    expect(tr.locator(".cell-status").first).to_have_text("")  # nothing saved yet
    value.fill("320")
    tr.locator("select[name=currency]").select_option("EUR")
    browsing.check_page("leads-won-step")
    tr.get_by_role("button", name="Mark as won").click()
    expect(tr.locator(".cell-status").first).to_have_text("Saved")
    expect(page.locator(f"#lead-{lead.id}-value")).to_contain_text("320")
    expect(tr.locator(".stageform__won")).to_be_hidden()
    expect(page.locator("#funnel [data-funnel=won] .funnel__count")).to_have_text("1")
    db.session.expire_all()
    saved = db.session.get(Lead, lead.id)
    assert (saved.status, saved.value_cents, saved.currency) == ("won", 32000, "EUR")


def test_every_page_looks_right_and_is_accessible(browsing, inbox, factory):
    factory.message(inbox.ann, "We can ship tomorrow.", direction="out", status="read", created_at=utcnow(),
                    sent_by_id=inbox.user.id)
    factory.message(inbox.ann, None, created_at=utcnow(), attachments=[
        {"type": "image", "url": f"{browsing.url}/static/icons/favicon.svg"}])
    page = browsing.page
    page.goto(browsing.url + "/login")
    browsing.check_page("login")
    browsing.login(inbox.user)
    browsing.check_page("inbox")
    browsing.go(f"/conversations/{inbox.ann.id}")
    browsing.check_page("thread")
    page.locator("#more-menu summary").click()
    browsing.check_page("thread-menu")
    browsing.go(f"/conversations/{inbox.bruno.id}")
    browsing.check_page("thread-other")
    browsing.go("/leads")
    browsing.check_page("leads")
    # On a laptop the leads table fits the page (it clipped its Notes column at 1280 px inside a
    # 1,040 px page, scrolling sideways beside empty margins).
    assert page.evaluate("(() => { const w = document.querySelector('.leads-table').closest('.table-wrap');"
                         " return w.scrollWidth <= w.clientWidth; })()")
    browsing.go("/accounts")
    browsing.check_page("accounts")
    browsing.go("/settings")
    browsing.check_page("settings")
    from app.models import WebhookEvent

    db.session.add(WebhookEvent(body=b'{"object": "instagram", "entry": []}', status="failed", error="No entries",
                                workspace_id=inbox.user.workspace_id, event_count=0))
    db.session.commit()
    browsing.go("/webhooks/log")
    browsing.check_page("webhook-log")
    browsing.go("/conversations/999999")
    browsing.check_page("not-found")
    browsing.allowed_errors.append("404 (NOT FOUND)")


def test_phone_layout_back_control(browsing, inbox):
    page = browsing.page
    page.set_viewport_size({"width": 375, "height": 740})
    browsing.login(inbox.user)
    expect(page.locator(".inbox__thread")).to_be_hidden()
    row(page, inbox.bruno).locator("a").click()
    expect(page.locator(".inbox__list")).to_be_hidden()
    expect(page.locator("#thread-title")).to_be_visible()
    expect(page.locator("#thread-title")).to_be_focused()
    page.get_by_role("link", name="Back to conversations").click()
    expect(page.locator(".inbox__list")).to_be_visible()
    expect(page).to_have_url(browsing.url + "/")
    traverse(page, page.go_back)
    expect(page.locator("#thread-title")).to_have_text("Bruno Díaz")
    expect(page.locator(".inbox__list")).to_be_hidden()


def test_empty_states_and_no_accounts(browsing, factory):
    user = factory.user(factory.workspace("Empty"), email="new@example.com")
    page = browsing.login(user)
    expect(page.locator(".convlist-empty")).to_contain_text("Connect your first Instagram account")
    page.get_by_role("link", name="Go to Accounts to connect").click()
    expect(page).to_have_url(browsing.url + "/accounts")
    browsing.go("/")
    browsing.check_page("inbox-no-accounts")
    factory.account(user.workspace, username="fresh.shop")
    browsing.go("/")
    expect(page.locator(".convlist-empty")).to_contain_text("No conversations yet")
    browsing.check_page("inbox-empty")
    browsing.go("/leads")
    expect(page.locator(".empty-state")).to_contain_text("No leads yet")


def test_failing_fragment_shows_a_message_and_session_expiry_redirects(browsing, inbox):
    page = browsing.login(inbox.user)
    # The conversation disappears (deleted elsewhere) before it is opened: a readable message.
    db.session.delete(db.session.get(Conversation, inbox.carla.id))
    db.session.commit()
    row(page, inbox.carla).locator("a").click()
    expect(page.locator("#thread-notice")).to_be_visible()
    expect(page.locator("#thread-notice")).to_contain_text("This conversation does not exist")
    browsing.allowed_errors += ["404 (NOT FOUND)", "Response Status Error Code 404"]
    # The server goes away for a moment: the next click says so instead of doing nothing.
    page.route("**/conversations/**", lambda route: route.abort())
    row(page, inbox.ann).locator("a").click()
    expect(page.locator("#thread-notice")).to_contain_text("could not be reached")
    page.unroute("**/conversations/**")
    browsing.allowed_errors += ["net::ERR_FAILED", "htmx:sendError", "htmx:afterRequest"]
    # The session ends: the next poll takes the browser to the sign-in page.
    page.context.clear_cookies()
    expect(page).to_have_url(re.compile(r"/login"), timeout=LIVE)
    browsing.allowed_errors.append("401 (UNAUTHORIZED)")


def test_list_and_thread_load_more_as_you_scroll(browsing, inbox, factory):
    now = utcnow()
    for i in range(35):
        factory.conversation(inbox.accounts[0], last_message_at=now - timedelta(hours=2, minutes=i))
    # Late morning two days ago: the hour of old messages stays on one day in any zone near Berlin's
    # (two days back from 22:30 UTC would cross Berlin's midnight and make three day headings).
    base = (now - timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    for i in range(60):
        factory.message(inbox.bruno, f"Old message {i}", created_at=base + timedelta(minutes=i))
    page = browsing.login(inbox.user)
    rows = page.locator("#conversation-list > li.convlist__item")
    expect(rows).to_have_count(30)
    page.locator(".convlist-region").evaluate("el => el.scrollTop = el.scrollHeight")
    expect(rows).to_have_count(38)
    expect(page.locator("[data-more]")).to_have_count(0)

    row(page, inbox.bruno).locator("a").click()
    messages = page.locator("#thread-messages .bubble")
    expect(messages).to_have_count(50)
    expect(messages.last).to_be_in_viewport()
    page.locator("#thread-scroll").evaluate("el => el.scrollTop = 0")
    expect(messages).to_have_count(61)
    expect(page.locator("#older-loader")).to_have_count(0)
    expect(page.locator("#thread-messages .daysep")).to_have_count(2)  # two days, each heading once
    # The reader stays where they were: the newly loaded messages are above the view.
    expect(page.get_by_text("Old message 0", exact=True)).not_to_be_in_viewport()


def test_composer_counts_bytes_and_says_when_replies_are_closed(browsing, inbox, factory):
    page = browsing.login(inbox.user)
    row(page, inbox.ann).locator("a").click()
    page.fill("#composer-text", "héllo 👋")
    expect(page.locator("#byte-count")).to_have_text("11 / 1000 bytes")
    page.fill("#composer-text", "é" * 501)
    expect(page.locator("#byte-count")).to_contain_text("1002 / 1000 bytes — too long")
    expect(page.locator("[data-send]")).to_be_disabled()
    page.fill("#composer-text", "")
    expect(page.locator("[data-send]")).to_be_enabled()

    conversation = db.session.get(Conversation, inbox.bruno.id)
    conversation.last_inbound_at = utcnow() - timedelta(hours=30)
    db.session.commit()
    row(page, inbox.bruno).locator("a").click()
    expect(page.locator("#window-closed")).to_contain_text("Replies are closed.")
    expect(page.locator("#mode-note")).to_be_checked()
    page.get_by_text("Reply", exact=True).click()
    expect(page.locator("[data-send]")).to_be_disabled()
    browsing.check_page("thread-closed")

    workspace = db.session.get(type(inbox.user.workspace), inbox.user.workspace_id)
    workspace.human_agent_enabled = True
    db.session.commit()
    row(page, inbox.ann).locator("a").click()
    # Ann's thread in place before Bruno's is asked for: a click on the row while Ann's answer was
    # still coming was overtaken by it on a loaded machine (CI), and Bruno's thread never showed.
    expect(page.locator(f"#thread-view[data-conversation='{inbox.ann.id}']")).to_be_visible()
    row(page, inbox.bruno).locator("a").click()
    expect(page.locator(f"#thread-view[data-conversation='{inbox.bruno.id}']")).to_be_visible()
    expect(page.locator(".notice--human")).to_contain_text("Human agent reply.")
    expect(page.locator("[data-send]")).to_be_enabled()


def test_reply_goes_pending_then_sent_exactly_once(browsing, inbox, fake_graph):
    page = browsing.login(inbox.user)
    row(page, inbox.ann).locator("a").click()
    page.fill("#composer-text", "Thanks! Shipping today 📦")
    page.locator("#composer-text").press("Enter")
    mine = page.locator("#thread-messages .bubble--out", has_text="Shipping today")
    expect(mine).to_have_class(re.compile("bubble--pending"))
    expect(mine).to_contain_text("Sending…")
    expect(page.locator("#composer-text")).to_have_value("")
    expect(page.locator("#byte-count")).to_have_text("0 / 1000 bytes")
    expect(mine).to_have_class(re.compile("bubble--sent"), timeout=LIVE)
    expect(mine.locator(".tick")).to_have_attribute("aria-label", "Sent")
    page.wait_for_timeout(2500)  # a live poll later, still exactly one copy
    expect(mine).to_have_count(1)
    assert any((body.get("message") or {}).get("text") == "Thanks! Shipping today 📦" for body in fake_graph.sent)
    expect(row(page, inbox.ann)).to_contain_text("Thanks! Shipping today")
    browsing.check_page("thread-sent")


def test_failed_send_shows_its_reason_and_retry(browsing, inbox):
    page = browsing.login(inbox.user)
    page.on("dialog", lambda dialog: dialog.accept())
    row(page, inbox.ann).locator("a").click()
    page.fill("#composer-text", "Please FAIL this one")
    page.get_by_role("button", name="Send").click()
    failed = page.locator("#thread-messages .bubble--out", has_text="Please FAIL this one")
    expect(failed).to_have_class(re.compile("bubble--failed"), timeout=LIVE)
    expect(failed.locator(".bubble__failure p")).not_to_be_empty()
    expect(failed.locator(".tick--failed")).to_have_text("Not sent")
    browsing.check_page("thread-failed")
    failed.get_by_role("button", name="Retry").click()
    expect(failed).to_have_class(re.compile("bubble--pending"))
    expect(failed).to_have_class(re.compile("bubble--failed"), timeout=LIVE)
    failed.get_by_role("button", name="Delete").click()
    expect(failed).to_have_count(0)


def test_refused_reply_keeps_the_text_and_says_why(browsing, inbox):
    page = browsing.login(inbox.user)
    row(page, inbox.ann).locator("a").click()
    page.fill("#composer-text", "x" * 1001)
    expect(page.locator("[data-send]")).to_be_disabled()  # the counter stops it in the browser...
    page.evaluate("document.querySelector('[data-send]').disabled = false")
    page.get_by_role("button", name="Send").click()  # ...and the server refuses it readably
    browsing.allowed_errors.append("status of 422")
    expect(page.locator("#composer-error")).to_contain_text("1,001 bytes")
    expect(page.locator("#composer-text")).to_have_value("x" * 1001)
    expect(page.locator("#thread-messages .bubble--out")).to_have_count(0)


def test_open_conversation_deleted_meanwhile(browsing, inbox):
    page = browsing.login(inbox.user)
    # What was typed is saved as a draft (static/js/drafts.js), and the thread says who is here
    # (static/js/viewers.js): once the conversation is gone, those are 404s, which the browser logs
    # (the heartbeat then stops).
    browsing.allowed_errors.extend(["/draft", "/viewing"])
    row(page, inbox.carla).locator("a").click()
    page.fill("#composer-text", "typing…")
    # The lead panel loads after the thread: deleting before it asked would make its own request a
    # 404 too, a different case (a page's part asked for after the conversation went).
    expect(page.locator("#lead-panel-host .leadpanel__loading")).to_have_count(0)
    db.session.delete(db.session.get(Conversation, inbox.carla.id))
    db.session.commit()
    expect(page.locator("#thread")).to_contain_text("This conversation no longer exists", timeout=LIVE)
    expect(page.locator("#thread-state")).to_have_count(0)

