"""Labels in a real browser, at 1280 and 390 px: a rep adds a label from the thread header's menu with
the keyboard, sees the chip in the header and on the conversation's row, and filters the list by
it; an admin creates a label from the menu's box and removes one with ×. Phone targets are at
least 44 px, axe finds nothing serious, no CSP violation. Screenshots go to /tmp/shots/labels/."""
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
from app.models import Label, utcnow  # noqa: E402

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots/labels")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def shop(factory):
    ws = factory.workspace("Label Boutique")
    admin = factory.user(ws, email="lara@boutique.test", name="Lara Admin")
    agent = factory.user(ws, email="rep@boutique.test", name="Remy Rep", role="agent")
    account = factory.account(ws, username="label.boutique")
    now = utcnow()
    conversations = []
    for n, (name, username, text) in enumerate((("Priya Shah", "priya.m", "Do you do wholesale for small shops?"),
                                                ("Marco Rossi", "marco_fit", "Is the blue shirt in L?"))):
        at = now - timedelta(minutes=5 + n)
        conversation = factory.conversation(account, contact=factory.contact(account, name=name, username=username),
                                            last_message_at=at, last_inbound_at=at, last_message_preview=text)
        factory.message(conversation, text, created_at=at)
        conversations.append(conversation)
    for name, color in (("vip", "#7e22ce"), ("wholesale", "#0f766e")):
        db.session.add(Label(workspace_id=ws.id, name=name, color=color))
    db.session.commit()
    return admin, agent, conversations


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{page.viewport_size['width']}.png"))


def _at_least_44(page, selector):
    for box in (page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())):
        assert box and box["width"] >= 44 and box["height"] >= 44, (selector, box)


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1280", "390"])
def test_a_rep_labels_a_thread_sees_it_on_the_row_and_filters_by_it(browsing, shop, size):
    _, agent, (priya, marco) = shop
    page = browsing.page
    page.set_viewport_size(size)
    browsing.login(agent)
    page.locator(f"#conv-{priya.id} a").click()
    expect(page.locator("#thread-title")).to_have_text("Priya Shah")

    # The keyboard: the Label button opens the menu with the cursor in its box; typing filters, Enter picks.
    page.locator("#label-menu > summary").focus()
    page.keyboard.press("Enter")
    box = page.locator("[data-label-filter]")
    expect(box).to_be_focused()
    expect(page.locator("[data-label-create]")).to_have_count(0)  # an agent: no "Create …"
    box.type("whole")
    expect(page.locator("[data-label-option='vip']")).to_be_hidden()
    expect(page.locator("[data-label-option='wholesale']")).to_be_visible()
    if size == PHONE:
        _at_least_44(page, ".labelmenu__option:visible")
        _at_least_44(page, "#label-menu > summary")
    _shot(page, "menu-filtered")
    box.press("Enter")

    chip = page.locator("#thread-labels .labelchip", has_text="wholesale")
    expect(chip).to_be_visible()
    expect(page.locator("#label-menu > summary")).to_be_focused()  # the keyboard user keeps their place
    expect(page.locator("#label-menu")).not_to_have_attribute("open", "")
    if size == PHONE:
        _at_least_44(page, ".labelchip__remove")
    _shot(page, "header-labelled")
    browsing.check_page(f"labels-header-{size['width']}")

    row = page.locator(f"#conv-{priya.id}")
    if size == PHONE:
        page.get_by_role("link", name="Back to conversations").click()
        expect(page.locator(".inbox__list")).to_be_visible()
    expect(row.locator(".labelchip", has_text="wholesale")).to_be_visible()  # the row updated without a reload
    expect(page.locator(f"#conv-{marco.id} .labelchip")).to_have_count(0)
    _shot(page, "row-labelled")

    if size == PHONE:
        page.locator("[data-filters-toggle]").click()  # a phone folds the filters under the list
    page.select_option("#filter-label", "wholesale")
    expect(page.locator(f"#conv-{marco.id}")).to_have_count(0)
    expect(page.locator(f"#conv-{priya.id}")).to_be_visible()
    # The address keeps the filter (and, on a desktop, the open conversation).
    opened = "/" if size == PHONE else f"/conversations/{priya.id}"
    expect(page).to_have_url(f"{browsing.url}{opened}?label=wholesale")
    _shot(page, "list-filtered")
    browsing.check_page(f"labels-filtered-{size['width']}")
    page.reload()
    expect(page.locator("#filter-label")).to_have_value("wholesale")
    expect(page.locator(f"#conv-{marco.id}")).to_have_count(0)


def test_an_admin_creates_a_label_from_the_box_and_removes_one(browsing, shop):
    admin, _, (priya, _) = shop
    page = browsing.page
    browsing.login(admin)
    page.locator(f"#conv-{priya.id} a").click()
    page.locator("#label-menu > summary").click()
    # The menu's opening (a toggle event, after the click) empties and focuses the box: type after it.
    expect(page.locator("[data-label-filter]")).to_be_focused()
    page.locator("[data-label-filter]").type("Hot Lead")
    create = page.locator("[data-label-create]")
    expect(create).to_have_text("Create “hot-lead”")
    page.locator("[data-label-filter]").press("Enter")
    expect(page.locator("#thread-labels .labelchip", has_text="hot-lead")).to_be_visible()
    expect(page.locator(f"#conv-{priya.id} .labelchip", has_text="hot-lead")).to_be_visible()
    # The list's label filter offers the new label at once (it waited for a reload).
    expect(page.locator("#filter-label option[value='hot-lead']")).to_have_count(1)

    # ↓ from the box reaches the choices; Enter on one adds it. The swap is over once its settle
    # has put the focus back on the "Label" button. Open the menu only if the swap left it closed
    # (a click on an open menu's summary would close it), and press ↓ only after the opening's
    # toggle event (a task after the click) has focused the box, or it would take the focus back.
    expect(page.locator("#label-menu > summary")).to_be_focused()
    if page.locator("#label-menu").get_attribute("open") is None:
        page.locator("#label-menu > summary").click()
        expect(page.locator("[data-label-filter]")).to_be_focused()
    page.locator("[data-label-filter]").press("ArrowDown")
    expect(page.locator("[data-label-option='vip']")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#thread-labels .labelchip", has_text="vip")).to_be_visible()

    page.get_by_role("button", name="Remove the label hot-lead").click()
    expect(page.locator("#thread-labels .labelchip", has_text="hot-lead")).to_have_count(0)
    expect(page.locator(f"#conv-{priya.id} .labelchip", has_text="hot-lead")).to_have_count(0)
    _shot(page, "admin-after-remove")

    browsing.go("/settings/labels")
    expect(page.locator(".label-item", has_text="hot-lead")).to_contain_text("0 conversations")
    _shot(page, "settings")
    browsing.check_page("labels-settings")
    page.set_viewport_size(PHONE)
    _shot(page, "settings")


def test_a_phone_deletes_a_label_far_down_the_page(browsing, shop, factory):
    """On a phone a menu is a sheet at the bottom of the screen: the confirmation of a label far
    down a scrolled page opened 1,400 px below the screen (a fixed panel placed as if unscrolled)."""
    admin = shop[0]
    for n in range(14):
        db.session.add(Label(workspace_id=admin.workspace_id, name=f"campaign-{n:02d}", color="#1d4ed8"))
    db.session.commit()
    page = browsing.page
    page.set_viewport_size(PHONE)
    browsing.login(admin)
    browsing.go("/settings/labels")
    last = page.locator(".label-item", has_text="wholesale")
    last.scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 400
    last.locator(".label-item__delete > summary").click()
    panel = last.locator(".label-item__delete .menu__panel")
    expect(panel).to_be_visible()
    box = panel.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box
    _shot(page, "delete-far-down")
    panel.get_by_role("button", name=re.compile("Delete")).click()
    expect(page.locator(".label-item", has_text="wholesale")).to_have_count(0)
    assert not browsing.unexpected_errors()


def test_labelling_a_thread_keeps_the_lists_label_filter(browsing, shop):
    """The filter comes back with every label change (a label may be new), drawn from the filters
    the thread was opened with: a filter chosen since must stay chosen, not jump to Any label."""
    admin, _, (priya, _) = shop
    page = browsing.page
    browsing.login(admin)
    page.locator(f"#conv-{priya.id} a").click()
    expect(page.locator("#label-menu > summary")).to_be_visible()
    page.select_option("#filter-label", "wholesale")
    expect(page).to_have_url(re.compile(r"label=wholesale"))
    page.locator("#label-menu > summary").click()
    expect(page.locator("[data-label-filter]")).to_be_focused()
    page.locator("[data-label-option='vip']").click()
    expect(page.locator("#thread-labels .labelchip", has_text="vip")).to_be_visible()
    expect(page.locator("#filter-label")).to_have_value("wholesale")
    assert not browsing.unexpected_errors()


def test_a_label_of_forty_letters_fits_a_phone(browsing, shop):
    """The longest name a label may have (40 letters) widened every card of the labels page and the
    list's bulk bar past a phone's screen (found by a walk-through: Save and Done off the edge)."""
    admin, _, conversations = shop
    long_name = "wholesale-enquiries-from-boutique-partne"
    assert len(long_name) == 40
    db.session.add(Label(workspace_id=admin.workspace_id, name=long_name, color="#4b5563"))
    db.session.commit()
    page = browsing.page
    page.set_viewport_size(PHONE)
    browsing.login(admin)

    browsing.go("/settings/labels")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    card = page.locator(".label-item", has_text="boutique-partne")
    chip = card.locator(".labelchip")
    assert page.evaluate("el => el.scrollWidth > el.clientWidth", chip.element_handle())  # cut with "…"
    for control in (card.get_by_role("button", name=re.compile("Save")), card.locator("summary")):
        box = control.bounding_box()
        assert box["x"] + box["width"] <= PHONE["width"], box
    _shot(page, "forty-letters")

    browsing.go("/")
    page.get_by_role("button", name="Select", exact=True).click()
    page.locator(f"#conv-{conversations[0].id} input[type=checkbox]").check(force=True)
    expect(page.locator(".bulkbar")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for button in page.locator(".bulkbar button:visible").all():
        box = button.bounding_box()
        assert box["x"] + box["width"] <= PHONE["width"], (button.inner_text(), box)
    _shot(page, "forty-letters-bulk")
