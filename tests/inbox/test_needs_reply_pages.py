"""The inbox pages with per-person unread and Needs reply: rows say who spoke last and how long the
customer has waited, the Needs reply filter and the Longest waiting sort (keyset paged, with the
other filters), the header's line, each person's own counts, and the live poll across devices."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.inbox import actions
from app.inbox.display import list_key
from app.models import Conversation, utcnow

HX = {"HX-Request": "true"}


def body(response) -> str:
    return response.get_data(as_text=True)


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li id="conv-(\d+)" class="convlist__item"', html)]


@pytest.fixture
def shop(factory, auth):
    ws = factory.workspace("Shop")
    maya = factory.user(ws, name="Maya Agent")
    bob = factory.user(ws, name="Bob Seller", role="agent")
    account = factory.account(ws, username="acme.store")
    now = utcnow()

    def conversation(name, minutes_ago, waiting_minutes=None, speaker="customer", **fields):
        contact = factory.contact(account, name=name, username=name.lower())
        return factory.conversation(
            account, contact=contact, last_message_at=now - timedelta(minutes=minutes_ago),
            last_inbound_at=now - timedelta(minutes=minutes_ago), last_message_preview=f"{name}'s last words",
            waiting_since=now - timedelta(minutes=waiting_minutes) if waiting_minutes is not None else None,
            last_speaker=speaker, **fields)

    class Shop:
        pass

    Shop.maya, Shop.bob, Shop.account, Shop.now = maya, bob, account, now
    Shop.ann = conversation("Ann", 1, waiting_minutes=1, unread_count=1)          # waiting a minute
    Shop.carl = conversation("Carl", 5, waiting_minutes=180)                      # waiting 3 h
    Shop.dora = conversation("Dora", 10, waiting_minutes=50, speaker="automation")  # only the bot answered
    Shop.eve = conversation("Eve", 20, speaker="team")                            # answered
    Shop.finn = conversation("Finn", 30, waiting_minutes=600, status="snoozed",
                             snoozed_until=now + timedelta(hours=1))              # put off
    Shop.gus = conversation("Gus", 40, waiting_minutes=300, status="pending", assignee_id=bob.id)
    reply = factory.message(Shop.eve, "Here you go", direction="out", sent_by_id=bob.id,
                            created_at=now - timedelta(minutes=20))
    assert reply.sent_by_id == bob.id
    auth.login(maya)
    return Shop


def test_rows_say_who_spoke_last_and_how_long_the_customer_waits(client, shop):
    html = body(client.get("/"))
    carl = html.split(f'id="conv-{shop.carl.id}"')[1].split("</li>")[0]
    assert 'class="tag tag--waiting"' in carl and "Waiting&nbsp;<span data-waited>3 h</span>" in carl
    assert "data-waiting-since=" in carl and "convrow__speaker" not in carl  # the customer's words stand alone
    dora = html.split(f'id="conv-{shop.dora.id}"')[1].split("</li>")[0]
    assert '<span class="convrow__speaker">Bot:</span>' in dora and "Waiting&nbsp;<span data-waited>50 min" in dora
    eve = html.split(f'id="conv-{shop.eve.id}"')[1].split("</li>")[0]
    assert '<span class="convrow__speaker">Bob Seller:</span>' in eve and "tag--waiting" not in eve
    finn = html.split(f'id="conv-{shop.finn.id}"')[1].split("</li>")[0]
    assert "tag--waiting" not in finn  # snoozed: waits, but needs no reply until it wakes


def test_my_own_replies_read_you(client, shop, factory):
    factory.message(shop.eve, "And one more thing", direction="out", sent_by_id=shop.maya.id,
                    created_at=shop.now - timedelta(minutes=2))
    eve = db.session.get(Conversation, shop.eve.id)
    eve.last_message_at = shop.now - timedelta(minutes=2)
    db.session.commit()
    html = body(client.get("/"))
    assert '<span class="convrow__speaker">You:</span>' in html.split(f'id="conv-{shop.eve.id}"')[1].split("</li>")[0]


def test_the_needs_reply_filter_lists_open_and_pending_waits(client, shop):
    html = body(client.get("/?needs_reply=1", headers=HX))
    assert row_ids(html) == [shop.ann.id, shop.carl.id, shop.dora.id, shop.gus.id]  # newest activity first
    assert 'data-filters="needs_reply=1"' in html


def test_longest_waiting_first_and_with_other_filters(client, shop):
    html = body(client.get("/?sort=waiting", headers=HX))
    # Every conversation someone waits in, the longest wait first (the snoozed one too: it waits).
    assert row_ids(html) == [shop.finn.id, shop.gus.id, shop.carl.id, shop.dora.id, shop.ann.id]
    assert row_ids(body(client.get("/?sort=waiting&needs_reply=1", headers=HX))) == [
        shop.gus.id, shop.carl.id, shop.dora.id, shop.ann.id]
    assert row_ids(body(client.get("/?sort=waiting&needs_reply=1&status=open", headers=HX))) == [
        shop.carl.id, shop.dora.id, shop.ann.id]
    assert row_ids(body(client.get("/?sort=waiting&needs_reply=1&view=unread", headers=HX))) == [shop.ann.id]
    assert row_ids(body(client.get("/?sort=waiting&view=unassigned&q=a", headers=HX))) == [
        shop.carl.id, shop.dora.id, shop.ann.id]  # Gus is Bob's; Finn has no "a"


def test_the_waiting_order_is_keyset_paged(client, shop, factory):
    from app.inbox import routes

    old = routes.LIST_PAGE
    routes.LIST_PAGE = 2
    try:
        first = body(client.get("/?sort=waiting", headers=HX))
        assert row_ids(first) == [shop.finn.id, shop.gus.id]
        more = re.search(r'hx-get="([^"]*cursor=[^"]*)"', first).group(1).replace("&amp;", "&")
        assert "sort=waiting" in more
        second = body(client.get(more, headers=HX))
        assert row_ids(second) == [shop.carl.id, shop.dora.id]
        third = body(client.get(re.search(r'hx-get="([^"]*cursor=[^"]*)"', second).group(1).replace("&amp;", "&"),
                                headers=HX))
        assert row_ids(third) == [shop.ann.id] and "cursor=" not in third
    finally:
        routes.LIST_PAGE = old


def test_a_cursor_of_the_other_order_is_refused(client, shop):
    from app.inbox import routes

    old = routes.LIST_PAGE
    routes.LIST_PAGE = 2
    try:
        first = body(client.get("/", headers=HX))
        cursor = re.search(r"cursor=([^&\"]+)", first).group(1)
    finally:
        routes.LIST_PAGE = old
    assert client.get(f"/?sort=waiting&cursor={cursor}", headers=HX).status_code == 400


def test_row_keys_follow_the_lists_order(shop):
    # The browser places live rows by comparing keys as strings, descending: so must the waiting order.
    ordered = [shop.finn, shop.gus, shop.carl, shop.dora, shop.ann]
    keys = [list_key(c, "waiting") for c in ordered]
    assert keys == sorted(keys, reverse=True)
    assert list_key(shop.eve, "waiting") == ""  # nobody waits: it is leaving that list


def test_unknown_sort_and_needs_reply_values_are_dropped_with_a_notice(client, shop):
    html = body(client.get("/?sort=oldest&needs_reply=maybe", headers=HX))
    assert "Unknown order" in html and "Unknown needs_reply" in html
    assert len(row_ids(html)) == 6


def test_the_thread_header_says_the_customer_waits(client, shop):
    html = body(client.get(f"/conversations/{shop.carl.id}", headers=HX))
    assert re.search(r'id="thread-waiting"[^>]*>Waiting <span data-waited>3 h</span> — customer spoke last', html)
    assert 'id="thread-waiting"' not in body(client.get(f"/conversations/{shop.eve.id}", headers=HX))


def test_the_filter_bar_keeps_needs_reply_and_the_sort(client, shop):
    html = body(client.get("/?needs_reply=1&sort=waiting"))
    assert re.search(r'id="filter-needs-reply" name="needs_reply" value="1" checked', html)
    assert re.search(r'<option value="waiting" selected>Longest waiting</option>', html)


def test_counts_badge_and_unread_filter_are_mine(client, auth, shop, factory):
    factory.unread(shop.carl, shop.bob, count=4)  # only Bob's
    html = body(client.get("/"))
    assert re.search(r'id="unread-badge"[^>]*data-count="1"', html)  # Ann's one message, mine
    assert f'id="conv-{shop.carl.id}"' in html and row_ids(body(client.get("/?view=unread", headers=HX))) == [shop.ann.id]
    carl = html.split(f'id="conv-{shop.carl.id}"')[1].split("</li>")[0]
    assert "convrow__unread" not in carl and "convrow--unread" not in carl
    # Reading Ann clears my count, not Bob's.
    auth.post(f"/conversations/{shop.ann.id}/read", htmx=True)
    assert re.search(r'id="unread-badge"[^>]*data-count="0"', body(client.get("/")))
    client.post("/logout", data={"csrf_token": auth.csrf_token("/settings")})
    auth.login(shop.bob)
    html = body(client.get("/"))
    assert re.search(r'id="unread-badge"[^>]*data-count="5"', html)
    assert row_ids(body(client.get("/?view=unread", headers=HX))) == [shop.ann.id, shop.carl.id]


def test_the_thread_asks_to_be_marked_read_only_when_i_have_unread(client, shop):
    html = body(client.get(f"/conversations/{shop.ann.id}", headers=HX))
    assert re.search(r'id="thread-read"[^>]*\s+hx-trigger="load, mark-read"', html)
    actions.mark_read(db.session.get(Conversation, shop.ann.id), shop.maya)
    html = body(client.get(f"/conversations/{shop.ann.id}", headers=HX))
    assert 'hx-trigger="mark-read"' in html


def test_reading_on_one_device_updates_the_row_and_badge_on_the_other(app, shop, auth, client):
    """Two tabs of the same person: device A opens Ann, device B's next poll re-renders her row."""
    device_b = app.test_client()
    auth_b = type(auth)(device_b, auth.factory)
    auth_b.login(shop.maya)
    page = body(device_b.get("/"))
    since = re.search(r'id="live-since" name="since" value="([^"]+)"', page).group(1)
    assert re.search(r'id="unread-badge"[^>]*data-count="1"', page)
    assert device_b.get(f"/inbox/changes?since={since}", headers=HX).status_code == 204
    auth.post(f"/conversations/{shop.ann.id}/read", htmx=True)  # device A
    update = device_b.get(f"/inbox/changes?since={since}", headers=HX)
    html = body(update)
    assert update.status_code == 200
    ann = html.split(f'id="conv-{shop.ann.id}"')[1].split("</li>")[0]
    assert "convrow--unread" not in ann and "convrow__unread" not in ann
    assert re.search(r'id="unread-badge"[^>]*data-count="0"[^>]*hx-swap-oob="true"', html)
    # Mark unread on device A: device B sees it come back.
    new_since = re.search(r'id="live-since" name="since" value="([^"]+)"', html).group(1)
    auth.post(f"/conversations/{shop.ann.id}/unread", htmx=True)
    html = body(device_b.get(f"/inbox/changes?since={new_since}", headers=HX))
    assert "convrow--unread" in html.split(f'id="conv-{shop.ann.id}"')[1].split("</li>")[0]
    assert re.search(r'id="unread-badge"[^>]*data-count="1"', html)


def test_a_colleague_reading_changes_nothing_of_mine(app, shop, auth, factory, client):
    page = body(client.get("/"))
    since = re.search(r'id="live-since" name="since" value="([^"]+)"', page).group(1)
    actions.mark_read(db.session.get(Conversation, shop.ann.id), shop.bob)
    html = body(client.get(f"/inbox/changes?since={since}", headers=HX))
    # The row may be re-sent (the team's state moved), but it is still unread for me.
    if f'id="conv-{shop.ann.id}"' in html:
        assert "convrow--unread" in html.split(f'id="conv-{shop.ann.id}"')[1].split("</li>")[0]
    assert re.search(r'id="unread-badge"[^>]*data-count="1"', html)
