"""The board follows what teammates do (app/leads/board_live.py): its poll answers 204 while no
lead changed, and otherwise the changed cards its filters keep (the others as gone), every
column's head and a new token; a lead of another workspace never shows; a token it cannot read
starts over; a late commit inside the overlap window is not missed."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.labels.catalog import create_label
from app.labels.tagging import add_label, label_conversations, remove_label
from app.leads.actions import update_lead
from app.models import Lead, utcnow
from tests.meta_kit import HX


@pytest.fixture
def pipeline(factory, auth):
    ws = factory.workspace("Live Board")
    ws.currency = "EUR"
    maya = factory.user(ws, name="Maya")
    bob = factory.user(ws, name="Bob", role="agent")
    account = factory.account(ws, username="live.board")
    now = utcnow()
    leads = {}
    for n, (name, status, owner) in enumerate((("Ann", "new", maya), ("Ben", "new", bob), ("Cleo", "qualified", bob))):
        conversation = factory.conversation(account, contact=factory.contact(account, name=name, username=name.lower()),
                                            last_message_preview=f"Hi, {name} here")
        leads[name] = factory.lead(conversation, status=status, owner_id=owner.id, value_cents=10000 * (n + 1),
                                   currency="EUR", stage_changed_at=now - timedelta(days=n + 1))
    # Made minutes ago, a minute apart: older than anything the tests change, and apart by more
    # than the poll's overlap window (whose rows it re-sends whole, app.inbox.live).
    for n, lead in enumerate(leads.values()):
        lead.updated_at = now - timedelta(minutes=n + 1)
    db.session.commit()
    auth.login(maya)
    return ws, maya, bob, leads


def board_token(client, query: str = "") -> str:
    html = client.get("/leads/board" + query).get_data(as_text=True)
    match = re.search(r'id="board-since" name="since" value="([^"]+)"', html)
    assert match, "no live token on the board"
    return match.group(1)


def poll(client, token: str, **filters):
    return client.get("/leads/board/changes", query_string={"since": token, **filters}, headers=HX)


def new_token(html: str) -> str:
    return re.search(r'id="board-since" name="since" value="([^"]+)" hx-swap-oob="true"', html).group(1)


def placed(html: str) -> list[tuple[int, str]]:
    """(lead id, status) of every card the answer brings."""
    return [(int(i), s) for i, s in re.findall(
        r'<template data-board-card="board-card-(\d+)">\s*<li id="board-card-\d+"[^>]*data-status="(\w+)"', html)]


def gone(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<template data-board-gone="board-card-(\d+)">', html)]


def heads(html: str) -> dict[str, str]:
    return dict(re.findall(r'<template data-board-head="board-head-(\w+)">.*?data-count="(\d+)"', html, re.S))


def test_nothing_changed_is_a_204(client, pipeline):
    token = board_token(client)
    response = poll(client, token)
    assert response.status_code == 204 and response.get_data() == b""


def test_a_teammates_move_comes_with_the_heads_and_a_new_token(client, pipeline):
    _, _, bob, leads = pipeline
    token = board_token(client)

    update_lead(db.session.get(Lead, leads["Ben"].id), by=bob, status="contacted")
    response = poll(client, token)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    # Ann, the newest change the board had seen, is in the overlap window: re-sent as she is
    # (static/js/board.js leaves a card whose data-changed it already has).
    assert sorted(placed(html)) == sorted([(leads["Ben"].id, "contacted"), (leads["Ann"].id, "new")])
    assert heads(html) == {"new": "1", "contacted": "1", "qualified": "1", "won": "0", "lost": "0"}
    # The card carries what static/js/board.js orders and compares by.
    card = html.split('<template data-board-card', 1)[1]
    assert re.search(r'data-moved="\d{13}" data-changed="\d{13}"', card)
    # Seen: the next poll is quiet again.
    assert poll(client, new_token(html)).status_code == 204


def test_a_new_lead_from_a_dm_shows_up(client, factory, pipeline):
    ws, _, _, leads = pipeline
    token = board_token(client)
    conversation = factory.conversation(leads["Ann"].contact.account, contact=None)
    lead = factory.lead(conversation, status="new", stage_changed_at=utcnow())

    html = poll(client, token).get_data(as_text=True)

    assert (lead.id, "new") in placed(html)
    assert heads(html)["new"] == "3"


def test_what_the_filters_no_longer_keep_goes(client, pipeline):
    _, maya, bob, leads = pipeline
    token = board_token(client, "?owner=me")

    update_lead(db.session.get(Lead, leads["Ann"].id), by=maya, owner_id=bob.id)  # not mine any more
    html = poll(client, token, owner="me").get_data(as_text=True)

    assert placed(html) == [] and gone(html) == [leads["Ann"].id]  # the only one in the window
    assert heads(html)["new"] == "0"  # the heads count what the filters keep
    # Marked with the filters it was made for (the board drops an answer made for others).
    assert '<div data-board-filters="owner=me">' in html


def test_a_board_filtered_by_label_follows_the_label(client, pipeline):
    """A teammate labelling a customer's conversation (the thread's menu, the list's bulk action)
    puts the card on a board filtered by that label; taking the label off takes it away."""
    ws, maya, bob, leads = pipeline
    vip = create_label(ws.id, "VIP", by=maya)
    token = board_token(client, "?label=vip")

    add_label(leads["Ben"].conversation, vip, by=bob)
    html = poll(client, token, label="vip").get_data(as_text=True)
    assert placed(html) == [(leads["Ben"].id, "new")] and heads(html)["new"] == "1"
    token = new_token(html)

    label_conversations([leads["Cleo"].conversation_id], add=["VIP"], by=bob)
    html = poll(client, token, label="vip").get_data(as_text=True)
    assert (leads["Cleo"].id, "qualified") in placed(html)
    token = new_token(html)

    remove_label(leads["Ben"].conversation, vip.id)
    html = poll(client, token, label="vip").get_data(as_text=True)
    assert gone(html) == [leads["Ben"].id] and heads(html)["new"] == "0"


def test_another_workspaces_leads_never_show(client, factory, pipeline):
    token = board_token(client)
    elsewhere = factory.workspace("Elsewhere")
    other = factory.lead(factory.conversation(factory.account(elsewhere)), status="new")
    update_lead(other, status="won")

    assert poll(client, token).status_code == 204


def test_a_late_commit_inside_the_overlap_is_not_missed(client, pipeline):
    _, _, bob, leads = pipeline
    update_lead(db.session.get(Lead, leads["Ann"].id), by=bob, value="150")
    token = board_token(client)  # the board saw Ann's change
    # A transaction that took its timestamp before Ann's but committed after the board loaded.
    cleo = db.session.get(Lead, leads["Cleo"].id)
    cleo.value_cents = 99900
    db.session.flush()
    cleo.updated_at = db.session.get(Lead, leads["Ann"].id).updated_at - timedelta(seconds=2)
    db.session.commit()

    html = poll(client, token).get_data(as_text=True)

    assert (leads["Cleo"].id, "qualified") in placed(html)


def test_a_token_it_cannot_read_starts_over(client, pipeline):
    response = poll(client, "not-a-token")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="board-since"' in html and "board-live" not in html
    assert poll(client, new_token(html)).status_code == 204


def test_signed_out_gets_no_board(client, pipeline):
    token = board_token(client)
    client.post("/logout", data={"csrf_token": ""})  # may be refused; a fresh client is certain
    fresh = client.application.test_client()
    response = fresh.get("/leads/board/changes", query_string={"since": token}, headers=HX)
    assert response.status_code in (302, 401)


def test_a_bulk_change_asks_for_the_columns_again(client, monkeypatch, pipeline):
    _, _, bob, leads = pipeline
    token = board_token(client)
    monkeypatch.setattr("app.leads.board_live.MAX_LIVE_ROWS", 1)
    for name in ("Ann", "Ben"):
        update_lead(db.session.get(Lead, leads[name].id), by=bob, status="lost", lost_reason="Too expensive")

    html = poll(client, token).get_data(as_text=True)

    assert "data-board-reload" in html and placed(html) == [] and gone(html) == []
    assert poll(client, new_token(html)).status_code == 204


def test_the_board_carries_its_filters_for_the_poll_to_match(client, pipeline):
    html = client.get("/leads/board?owner=me&source=dm").get_data(as_text=True)
    assert 'data-board data-board-filters="owner=me&amp;source=dm"' in html
