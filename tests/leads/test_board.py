"""The pipeline board (/leads/board): columns with counts and totals, cards, filters, keyset
"Show more", moving through the Move to… forms (won confirms the value, lost needs a reason) and
workspace isolation."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.leads import board
from app.leads.board import BoardFilters
from app.leads.stages import lost_reason_from_form
from app.models import ConversationLabel, Label, Lead, LeadStageChange, utcnow
from tests.meta_kit import HX


def text(response) -> str:
    return response.get_data(as_text=True)


def column_heads(html: str) -> dict[str, tuple[str, str]]:
    """status -> (count, total line) as the column heads show them."""
    heads = {}
    for status, count, total in re.findall(
            r'id="board-head-(\w+)".*?data-count="(\d+)".*?data-total>(.*?)</p>', html, re.S):
        heads[status] = (count, re.sub(r"<[^>]+>", "", total).strip())
    return heads


def column_ids(html: str, status: str) -> list[int]:
    column = html.split(f'id="board-cards-{status}"', 1)[1].split("</ol>", 1)[0]
    return [int(i) for i in re.findall(r'<li id="board-card-(\d+)"', column)]


@pytest.fixture
def pipeline(factory, auth):
    ws = factory.workspace("Shop")
    ws.currency = "EUR"
    me = factory.user(ws, name="Maya")
    bob = factory.user(ws, name="Bob", role="agent")
    shop, outlet = factory.account(ws, username="acme"), factory.account(ws, username="acme_outlet")
    vip = Label(workspace_id=ws.id, name="vip")
    db.session.add(vip)
    db.session.commit()
    now = utcnow()
    specs = [  # name, status, source, value cents, currency, owner, account, waiting, days in stage
        ("Ann", "new", "ad", 125050, "EUR", me, shop, True, 0),
        ("Ben", "new", "dm", None, None, None, outlet, False, 3),
        ("Cleo", "qualified", "dm", 40000, "EUR", bob, shop, False, 1),
        ("Dora", "qualified", "story", 9900, "USD", me, shop, False, 12),
        ("Eli", "won", "link", 200000, "EUR", bob, outlet, False, 2),
    ]
    leads = {}
    for name, status, source, cents, currency, owner, account, waiting, days in specs:
        conversation = factory.conversation(account, contact=factory.contact(account, name=name, username=name.lower()),
                                            last_message_preview=f"Hi, {name} here <b>", waiting_since=now if waiting else None)
        leads[name] = factory.lead(conversation, status=status, source=source, value_cents=cents, currency=currency,
                                   owner_id=owner.id if owner else None, stage_changed_at=now - timedelta(days=days))
    db.session.add(ConversationLabel(conversation_id=leads["Cleo"].conversation_id, label_id=vip.id))
    db.session.commit()
    auth.login(me)
    return me, bob, shop, outlet, leads


def test_board_shows_each_column_with_count_total_and_cards(client, pipeline):
    me, bob, shop, outlet, leads = pipeline
    html = text(client.get("/leads/board"))
    heads = column_heads(html)
    assert heads["new"] == ("2", "1,250.50 EUR")
    # Another currency is noted beside the workspace's, never added to it.
    assert heads["qualified"] == ("2", "400 EUR + 99 USD")
    assert heads["won"] == ("1", "2,000 EUR")
    assert heads["contacted"] == ("0", "0 EUR") and heads["lost"] == ("0", "0 EUR")
    assert column_ids(html, "new") == [leads["Ann"].id, leads["Ben"].id]  # the newest move first
    assert column_ids(html, "qualified") == [leads["Cleo"].id, leads["Dora"].id]
    card = html.split(f'id="board-card-{leads["Ann"].id}"', 1)[1].split("</li>", 1)[0]
    assert f'href="/conversations/{leads["Ann"].conversation_id}"' in card
    assert "Needs a reply" in card and "Source: </span>Ad</span>" in card
    assert "1,250.50 EUR" in card and "Today" in card and "Owner: Maya" in card
    assert "Hi, Ann here &lt;b&gt;" in card  # the customer's words, escaped
    dora = html.split(f'id="board-card-{leads["Dora"].id}"', 1)[1].split("</li>", 1)[0]
    assert "12 days" in dora and "Needs a reply" not in dora
    # Every card has its Move to… menu with the other columns; won confirms the value, lost asks why.
    assert 'Move to…' in card and 'data-move="contacted"' in card and 'data-move="new"' not in card
    assert 'name="value"' in card and 'value="1250.50"' in card and 'name="lost_reason"' in card


def test_filters_owner_mine_source_account_label(client, pipeline):
    me, bob, shop, outlet, leads = pipeline

    def shown(query: str) -> set[str]:
        html = text(client.get("/leads/board" + query))
        ids = {int(i) for i in re.findall(r'<li id="board-card-(\d+)"', html)}
        return {name for name, lead in leads.items() if lead.id in ids}

    assert shown("") == set(leads)
    assert shown("?owner=me") == {"Ann", "Dora"}
    assert shown(f"?owner={bob.id}") == {"Cleo", "Eli"}
    assert shown("?owner=none") == {"Ben"}
    assert shown("?source=dm") == {"Ben", "Cleo"}
    assert shown(f"?account={outlet.id}") == {"Ben", "Eli"}
    assert shown("?label=VIP") == {"Cleo"}  # normalised as the inbox does
    assert shown("?label=nope") == set()
    assert shown(f"?owner=me&account={shop.id}&source=story") == {"Dora"}
    # The heads count what the filters show.
    assert column_heads(text(client.get("/leads/board?owner=me")))["qualified"] == ("1", "99 USD")  # not a bold "0 EUR" first
    # Unknown values are dropped with a notice, not a failure.
    html = text(client.get("/leads/board?owner=x1&account=zz"))
    assert "Unknown owner “x1” was ignored." in html and "Unknown account “zz” was ignored." in html
    # htmx: the results block only, and the address keeps the filters.
    fragment = client.get("/leads/board?owner=me&source=ad", headers=HX)
    assert "<html" not in text(fragment) and fragment.headers["HX-Push-Url"] == "/leads/board?owner=me&source=ad"
    assert "HX-Request" in fragment.headers["Vary"]
    # The List side of the toggle follows (out of band) with what the leads page understands.
    assert re.search(r'id="leads-view-toggle"[^>]*hx-swap-oob="true"', text(fragment))
    assert 'href="/leads?owner=me&amp;source=ad"' in text(fragment)


def test_another_workspaces_board_is_not_visible_and_its_leads_cannot_be_moved(client, factory, auth, pipeline):
    other_ws = factory.workspace("Other")
    account = factory.account(other_ws)
    theirs = factory.lead(factory.conversation(account, contact=factory.contact(account, name="Zed")), status="new")
    html = text(client.get("/leads/board"))
    assert f'board-card-{theirs.id}"' not in html and "Zed" not in html
    response = auth.post(f"/leads/board/{theirs.id}/move", {"status": "won"}, htmx=True)
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Lead, theirs.id).status == "new"


def test_move_answers_with_the_card_in_its_new_column_and_every_head(auth, pipeline):
    me, bob, shop, outlet, leads = pipeline
    ben = leads["Ben"]
    response = auth.post(f"/leads/board/{ben.id}/move?owner=none", {"status": "contacted"}, htmx=True)
    html = text(response)
    assert response.status_code == 200
    assert f'data-moved-card="board-card-{ben.id}">Moved Ben to Contacted.' in html
    assert f'<li id="board-card-{ben.id}" hx-swap-oob="delete"></li>' in html
    assert re.search(r'<ol hx-swap-oob="afterbegin:#board-cards-contacted">\s*<li id="board-card-%d"' % ben.id, html)
    # Every column's head (a teammate's moves may be waiting on this board too), out of band, under
    # the board's filters (owner=none).
    heads = column_heads(html)
    assert heads == {"new": ("0", "0 EUR"), "contacted": ("1", "0 EUR"), "qualified": ("0", "0 EUR"),
                     "won": ("0", "0 EUR"), "lost": ("0", "0 EUR")}
    assert 'id="board-head-new" class="board-col__head" hx-swap-oob="true"' in html
    db.session.expire_all()
    lead = db.session.get(Lead, ben.id)
    assert lead.status == "contacted" and lead.stage_changed_at > utcnow() - timedelta(minutes=1)
    change = db.session.scalars(db.select(LeadStageChange).where(LeadStageChange.lead_id == ben.id)).one()
    assert (change.from_status, change.to_status, change.user_id) == ("new", "contacted", me.id)


def test_an_agent_moves_leads_too(client, auth, pipeline):
    me, bob, shop, outlet, leads = pipeline
    client.post("/logout", data={"csrf_token": auth.csrf_token("/settings")})
    auth.login(bob)
    assert client.get("/leads/board").status_code == 200
    response = auth.post(f"/leads/board/{leads['Ann'].id}/move", {"status": "qualified"}, htmx=True)
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Lead, leads["Ann"].id).status == "qualified"


def test_lost_needs_a_reason(auth, pipeline):
    me, bob, shop, outlet, leads = pipeline
    cleo = leads["Cleo"]
    refused = auth.post(f"/leads/board/{cleo.id}/move", {"status": "lost", "lost_reason": "", "lost_detail": " "},
                        htmx=True)
    assert refused.status_code == 422
    assert "Say why it was lost: pick a reason or type one." in text(refused)
    assert refused.headers["HX-Retarget"] == f"#board-card-{cleo.id}-error"  # said on the card
    db.session.expire_all()
    assert db.session.get(Lead, cleo.id).status == "qualified"
    # Without htmx the board says it in a flash.
    plain = auth.post(f"/leads/board/{cleo.id}/move", {"status": "lost"}, follow_redirects=True)
    assert "Say why it was lost" in text(plain)
    moved = auth.post(f"/leads/board/{cleo.id}/move",
                      {"status": "lost", "lost_reason": "Price", "lost_detail": "went  cheaper"}, htmx=True)
    assert moved.status_code == 200
    db.session.expire_all()
    lead = db.session.get(Lead, cleo.id)
    assert (lead.status, lead.lost_reason) == ("lost", "Price: went cheaper")


def test_won_confirms_the_value(auth, pipeline):
    me, bob, shop, outlet, leads = pipeline
    cleo = leads["Cleo"]
    bad = auth.post(f"/leads/board/{cleo.id}/move", {"status": "won", "value": "12,5.5.5", "currency": "EUR"}, htmx=True)
    assert bad.status_code == 422 and "value must be a number" in text(bad)
    db.session.expire_all()
    assert db.session.get(Lead, cleo.id).status == "qualified"
    response = auth.post(f"/leads/board/{cleo.id}/move", {"status": "won", "value": "450.75", "currency": "EUR"}, htmx=True)
    assert response.status_code == 200
    assert column_heads(text(response))["won"] == ("2", "2,450.75 EUR")
    db.session.expire_all()
    lead = db.session.get(Lead, cleo.id)
    assert (lead.status, lead.value_cents, lead.currency) == ("won", 45075, "EUR")


def test_show_more_pages_a_column_by_keyset(client, factory, pipeline, monkeypatch):
    me, bob, shop, outlet, leads = pipeline
    now = utcnow()
    extra = []
    for i in range(5):
        conversation = factory.conversation(shop, contact=factory.contact(shop, name=f"Lost {i}"))
        # Two share a moment: the id breaks the tie, so neither is skipped nor repeated.
        extra.append(factory.lead(conversation, status="lost", lost_reason="Price",
                                  stage_changed_at=now - timedelta(hours=min(i, 3))))
    monkeypatch.setattr(board, "COLUMN_SIZE", 2)
    html = text(client.get("/leads/board"))
    expected = sorted(extra, key=lambda lead: (lead.stage_changed_at, lead.id), reverse=True)
    seen = column_ids(html, "lost")
    assert seen == [lead.id for lead in expected[:2]]
    more = re.search(r'hx-get="(/leads/board\?status=lost&amp;cursor=[^"]+)"', html).group(1).replace("&amp;", "&")
    while more:
        page = text(client.get(more, headers=HX))
        seen += [int(i) for i in re.findall(r'<li id="board-card-(\d+)"', page)]
        found = re.search(r'hx-get="(/leads/board\?status=lost&amp;cursor=[^"]+)"', page)
        more = found.group(1).replace("&amp;", "&") if found else None
    assert seen == [lead.id for lead in expected]
    # A cursor we did not make is a 400 with a sentence; a lone page without htmx is the board.
    assert client.get("/leads/board?status=lost&cursor=bogus", headers=HX).status_code == 400
    assert client.get("/leads/board?status=nope&cursor=x", headers=HX).status_code == 400
    assert client.get(more or "/leads/board?status=lost&cursor=x").status_code in (302, 200)


def test_the_board_is_linked_from_the_leads_page(client, pipeline):
    fragment = text(client.get("/leads?owner=me&status=new", headers=HX))
    assert re.search(r'id="leads-view-toggle"[^>]*hx-swap-oob="true"', fragment) and 'href="/leads/board?owner=me"' in fragment
    html = text(client.get("/leads?owner=me&status=new"))
    assert 'href="/leads/board?owner=me" aria-current' not in html and 'href="/leads/board?owner=me"' in html
    board_html = text(client.get("/leads/board?owner=me&label=vip"))
    # The list filters by label too now: the toggle keeps it (account is the board's alone).
    assert 'href="/leads?owner=me&amp;label=vip"' in board_html and 'aria-current="page">' in board_html


def test_lost_reason_from_the_form():
    assert lost_reason_from_form("Price", "") == "Price"
    assert lost_reason_from_form("", "  too   late ") == "too late"
    assert lost_reason_from_form("Other", "moved away") == "Other: moved away"
    assert lost_reason_from_form(None, None) is None


def test_filters_round_trip():
    filters = BoardFilters.from_args({"owner": "me", "source": "ad", "account": "3", "label": "Hot Lead"})
    assert filters.params() == {"owner": "me", "source": "ad", "account": "3", "label": "hot-lead"}
    assert filters.list_params() == {"owner": "me", "source": "ad", "label": "hot-lead"}


def test_a_column_head_leads_with_a_currency_it_holds():
    """The workspace's currency first; when only other currencies have values the largest leads,
    not a bold "0 EUR" that reads as a column worth nothing."""
    from app.leads.board import ColumnTotal

    empty = ColumnTotal(count=3)
    assert (empty.main_value("EUR"), empty.other_values("EUR")) == ("0 EUR", [])
    mixed = ColumnTotal(count=4, cents={"EUR": 50_000, "GBP": 140_000, "USD": 3_500})
    assert (mixed.main_value("EUR"), mixed.other_values("EUR")) == ("500 EUR", ["1,400 GBP", "35 USD"])
    foreign = ColumnTotal(count=2, cents={"GBP": 140_000, "USD": 3_500})
    assert (foreign.main_value("EUR"), foreign.other_values("EUR")) == ("1,400 GBP", ["35 USD"])
