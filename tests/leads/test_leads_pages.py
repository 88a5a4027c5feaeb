"""The leads page: filters, funnel, inline edits and the CSV export."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.spreadsheet import csv_safe
from app.models import ConversationLabel, Label, Lead, utcnow
from tests.meta_kit import HX


@pytest.fixture
def leads(factory, auth):
    ws = factory.workspace("Shop")
    me = factory.user(ws, name="Maya")
    bob = factory.user(ws, name="Bob", role="agent")
    account = factory.account(ws, username="acme")
    made = []
    specs = [("Ann", "new", "ad", {"ad_title": "Spring sale"}, me), ("=cmd|' /C calc'!A0", "won", "dm", {}, bob),
             ("Carla", "qualified", "dm", {}, None), ("Dan", "new", "link", {}, None)]
    for i, (name, status, source, detail, owner) in enumerate(specs):
        c = factory.conversation(account, contact=factory.contact(account, name=name, username=f"user{i}"))
        made.append(factory.lead(c, status=status, source=source, source_detail=detail,
                                 owner_id=owner.id if owner else None, notes="+1 555" if i == 0 else None,
                                 created_at=utcnow() - timedelta(hours=i)))
    auth.login(me)
    return me, bob, made


def text(response) -> str:
    return response.get_data(as_text=True)


def test_page_lists_leads_with_funnel(client, leads):
    html = text(client.get("/leads"))
    for lead in leads[2]:
        assert f'id="lead-{lead.id}"' in html
    assert "Spring sale" in html
    counts = dict(re.findall(r'data-funnel="(\w+)">.*?funnel__count">(\d+)<', html, re.S))
    assert counts == {"new": "2", "contacted": "0", "qualified": "1", "won": "1", "lost": "0"}


def test_filters(client, leads):
    me, bob, made = leads
    html = text(client.get("/leads?status=new"))
    assert f'id="lead-{made[0].id}"' in html and f'id="lead-{made[1].id}"' not in html
    html = text(client.get("/leads?owner=me"))
    assert f'id="lead-{made[0].id}"' in html and f'id="lead-{made[2].id}"' not in html
    html = text(client.get("/leads?owner=none"))
    assert f'id="lead-{made[2].id}"' in html and f'id="lead-{made[0].id}"' not in html
    html = text(client.get(f"/leads?owner={bob.id}&source=dm"))
    assert f'id="lead-{made[1].id}"' in html and f'id="lead-{made[2].id}"' not in html
    fragment = client.get("/leads?source=link", headers=HX)
    assert "<html" not in text(fragment) and fragment.headers["HX-Push-Url"] == "/leads?source=link"
    assert "Unknown status “bogus” was ignored." in text(client.get("/leads?status=bogus"))
    assert "No leads match these filters" in text(client.get("/leads?source=nothing"))


def test_inline_status_owner_and_notes(auth, leads):
    me, bob, made = leads
    lead = made[2]
    response = auth.post(f"/leads/{lead.id}/status", {"status": "won"}, htmx=True)
    assert response.status_code == 200 and text(response).startswith("Saved")
    assert 'id="funnel" class="funnel" aria-label="Leads per status" hx-swap-oob="true"' in text(response)
    assert db.session.get(Lead, lead.id).status == "won"
    bad = auth.post(f"/leads/{lead.id}/status", {"status": "maybe"}, htmx=True)
    assert bad.status_code == 422 and "status must be one of" in text(bad)
    assert auth.post(f"/leads/{lead.id}/owner", {"owner_id": str(bob.id)}, htmx=True).status_code == 200
    assert db.session.get(Lead, lead.id).owner_id == bob.id
    auth.post(f"/leads/{lead.id}/owner", {"owner_id": ""}, htmx=True)
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).owner_id is None
    assert auth.post(f"/leads/{lead.id}/owner", {"owner_id": "x"}, htmx=True).status_code == 422
    assert auth.post(f"/leads/{lead.id}/notes", {"notes": "  call <Friday>  "}, htmx=True).status_code == 200
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).notes == "call <Friday>"
    too_long = auth.post(f"/leads/{lead.id}/notes", {"notes": "x" * 20001}, htmx=True)
    assert too_long.status_code == 422 and "at most 20000" in text(too_long)
    assert auth.post(f"/leads/{lead.id}/status", {"status": "won"}).status_code == 302


def test_won_from_the_table_confirms_the_deals_value(auth, leads):
    """As on the board and in the lead panel: the row's won step sends the value and its
    currency; the answer carries the value's cell (and the funnel) out of band."""
    carla = leads[2][2]
    page = text(auth.client.get("/leads"))
    assert f'id="lead-won-value-{carla.id}" name="value"' in page and f'id="lead-won-currency-{carla.id}"' in page

    response = auth.post(f"/leads/{carla.id}/status", {"status": "won", "value": "1,250.50", "currency": "EUR"}, htmx=True)
    assert response.status_code == 200 and text(response).startswith("Saved")
    cell = re.search(rf'<td data-label="Value" id="lead-{carla.id}-value" hx-swap-oob="true">(.*?)</td>', text(response))
    assert cell and "1,250.50" in cell.group(1) and "EUR" in cell.group(1).replace("€", "EUR"), text(response)
    db.session.expire_all()
    saved = db.session.get(Lead, carla.id)
    assert (saved.status, saved.value_cents, saved.currency) == ("won", 125050, "EUR")

    bad = auth.post(f"/leads/{leads[2][3].id}/status", {"status": "won", "value": "lots"}, htmx=True)
    assert bad.status_code == 422 and db.session.get(Lead, leads[2][3].id).status == "new"


def test_a_filter_change_brings_the_funnel_in_place(auth, leads):
    """The filters' answer replaces the funnel's parent: an out-of-band funnel in it was swapped
    in, then replaced with the rest, and the counts were gone until a reload."""
    fragment = text(auth.client.get("/leads?source=dm", headers=HX))
    assert '<ol id="funnel" class="funnel" aria-label="Leads per status">' in fragment
    counts = dict(re.findall(r'data-funnel="(\w+)">.*?funnel__count">(\d+)<', fragment, re.S))
    assert counts == {"new": "0", "contacted": "0", "qualified": "1", "won": "1", "lost": "0"}
    # Nor is anything in the rows out of band: every row's Value cell was once taken out of the
    # table (the block renders with `oob` set), and the columns after it moved left.
    rows = fragment[fragment.index('<tbody id="lead-rows">'):fragment.index("</tbody>")]
    assert "hx-swap-oob" not in rows and rows.count('<td data-label="Value"') == 2


def test_the_label_filter_as_on_the_board(auth, leads, factory):
    """Leads whose conversation carries the label: the list, its funnel, its CSV and the toggle
    to the board keep it; a label that does not exist is an empty list, with a notice for a
    name no label could have."""
    me, _, made = leads
    other_shop = factory.workspace("Other shop")
    theirs = Label(workspace_id=other_shop.id, name="vip", color="red")  # first: the lower id
    db.session.add(theirs)
    db.session.flush()
    vip = Label(workspace_id=me.workspace_id, name="vip", color="purple")
    db.session.add(vip)
    db.session.flush()
    db.session.add(ConversationLabel(conversation_id=made[2].conversation_id, label_id=vip.id))
    # Their "vip" on one of our conversations (no page could do it): our filter must not find it.
    db.session.add(ConversationLabel(conversation_id=made[0].conversation_id, label_id=theirs.id))
    db.session.commit()

    page = text(auth.client.get("/leads?label=VIP"))
    assert f'id="lead-{made[2].id}"' in page and f'id="lead-{made[0].id}"' not in page
    assert '<option value="vip" selected>vip</option>' in page
    counts = dict(re.findall(r'data-funnel="(\w+)">.*?funnel__count">(\d+)<', page, re.S))
    assert counts == {"new": "0", "contacted": "0", "qualified": "1", "won": "0", "lost": "0"}
    assert 'href="/leads.csv?label=vip"' in page and "/leads/board?label=vip" in page
    rows = list(csv.reader(io.StringIO(text(auth.client.get("/leads.csv?label=vip")))))
    assert len(rows) == 2 and "Carla" in rows[1]

    assert "No leads match these filters" in text(auth.client.get("/leads?label=nothing-like-it"))
    assert "Unknown label" in text(auth.client.get("/leads?label=" + "x" * 200))


def test_other_workspaces_leads_are_404(auth, leads, factory):
    other = factory.lead(factory.conversation(factory.account(factory.workspace("Other"))))
    for path, data in (("status", {"status": "won"}), ("owner", {"owner_id": ""}), ("notes", {"notes": "x"})):
        assert auth.post(f"/leads/{other.id}/{path}", data, htmx=True).status_code == 404
    stranger = factory.user(factory.workspace("Third"))
    refused = auth.post(f"/leads/{leads[2][0].id}/owner", {"owner_id": str(stranger.id)}, htmx=True)
    assert refused.status_code == 422 and "no such user in this workspace" in text(refused)


def test_a_former_member_is_given_no_lead(auth, leads):
    me, bob, made = leads
    bob.active = False
    db.session.commit()
    for lead in (made[2], made[1]):  # nobody's lead, and the one Bob still owns
        refused = auth.post(f"/leads/{lead.id}/owner", {"owner_id": str(bob.id)}, htmx=True)
        assert refused.status_code == 422 and "Bob is a former member; choose an active one" in text(refused)
    db.session.expire_all()
    assert db.session.get(Lead, made[2].id).owner_id is None
    assert db.session.get(Lead, made[1].id).owner_id == bob.id  # the work he had stays his


def test_csv_export_with_filters_and_formula_guard(client, leads):
    response = client.get("/leads.csv?source=dm")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(text(response).lstrip("\ufeff"))))
    assert {r["name"] for r in rows} == {"'=cmd|' /C calc'!A0", "Carla"}
    everything = list(csv.DictReader(io.StringIO(text(client.get("/leads.csv")).lstrip("\ufeff"))))
    ann = next(r for r in everything if r["name"] == "Ann")
    assert ann["ad_name"] == "Spring sale" and ann["notes"] == "'+1 555" and ann["owner"] == "Maya"
    assert ann["conversation_url"].endswith(f"/conversations/{leads[2][0].conversation_id}")


@pytest.mark.parametrize("value,expected", [("=1+1", "'=1+1"), ("+1", "'+1"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
                                            ("\tx", "'\tx"), ("plain", "plain"), (None, ""), (5, "5")])
def test_csv_safe(value, expected):
    assert csv_safe(value) == expected


def test_leads_load_more(client, leads, factory):
    account = factory.account(leads[0].workspace)
    for i in range(55):
        factory.lead(factory.conversation(account), created_at=utcnow() - timedelta(days=1, minutes=i))
    html = text(client.get("/leads"))
    assert html.count('<tr id="lead-') == 50
    cursor = re.search(r'hx-get="/leads\?cursor=([^"&]+)', html).group(1)
    more = text(client.get(f"/leads?cursor={cursor}", headers=HX))
    assert more.count('<tr id="lead-') == 9
    assert client.get("/leads?cursor=bad", headers=HX).status_code == 400


def test_filtered_fragment_updates_the_export_link(client, leads):
    html = text(client.get("/leads?status=won", headers=HX))
    assert 'id="leads-csv" href="/leads.csv?status=won" download hx-swap-oob="true"' in html
    page = text(client.get("/leads?status=won"))
    assert 'id="leads-csv" href="/leads.csv?status=won" download>' in page and page.count('id="leads-csv"') == 1
