"""Every figure of the report against the numbers worked out by hand in conftest.py's docstring,
through the functions, the page, its CSV files and the API, on whichever database the suite runs
(SQLite and PostgreSQL give the same numbers: the PostgreSQL forms and the SQLite fallbacks of
app.reports.sql are both checked against the same hand-made figures)."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timezone

from app.reports.figures import build_report, open_intervals
from app.reports.scope import parse_scope
from tests.api.conftest import make_api
from tests.reports.conftest import PERIOD, at

HAND = {
    "conversations": 5, "inbound": 8, "outbound": 5,
    "first_response_median_s": 28500.0, "first_response_p90_s": 82260.0,
    "business_first_response_median_s": 1500.0, "business_first_response_p90_s": 20700.0,
    "replied_within_window_rate": 0.6, "resolution_median_s": 55800.0,
}
DAYS = [(date(2026, 1, 5), 2, 5, 3), (date(2026, 1, 6), 2, 2, 2), (date(2026, 1, 7), 1, 1, 0)]


def _report(user, **args):
    return build_report(parse_scope({**PERIOD, **args}, user))


def test_every_figure_by_hand(dataset):
    report = _report(dataset.ada)
    assert {name: getattr(report, name) for name in HAND} == HAND
    assert [(d.day, d.conversations, d.inbound, d.outbound) for d in report.days] == DAYS
    assert (report.with_customer_message, report.answered, report.replied_within_window, report.resolved) == (5, 4, 3, 1)
    agents = {a.user_id: (a.conversations, a.replies, a.first_response_median_s) for a in report.agents}
    assert agents == {dataset.ada.id: (0, 1, None), dataset.sam.id: (3, 3, 28200.0), dataset.tia.id: (1, 1, 93600.0)}
    sources = {s.source: (s.leads, s.contacted, s.qualified, s.won, s.won_value_cents, s.other_currencies)
               for s in report.sources}
    assert sources == {"ad": (2, 2, 1, 1, 10000, 0), "dm": (1, 1, 1, 0, 0, 0), "story": (1, 1, 1, 1, 0, 1)}


def test_an_agent_sees_their_own_conversations(dataset):
    report = _report(dataset.sam)
    # C1, C2, C5: inbound C1 x2, C2, C5; Sam's replies in C1 x2, C2; first responses 600 and 55800.
    assert (report.conversations, report.inbound, report.outbound) == (3, 4, 3)
    assert (report.first_response_median_s, report.first_response_p90_s) == (28200.0, 50280.0)
    assert report.replied_within_window_rate == round(2 / 3, 4)
    assert [(a.user_id, a.conversations, a.replies) for a in report.agents] == [(dataset.sam.id, 3, 3)]
    assert {s.source: s.leads for s in report.sources} == {"ad": 2}  # L1, L2: their conversations


def test_account_and_label_filters(dataset):
    outlet = _report(dataset.ada, account_id=str(dataset.outlet.id))
    assert (outlet.conversations, outlet.inbound, outlet.outbound, outlet.first_response_median_s) == (1, 1, 0, 93600.0)
    assert [(d.day, d.conversations) for d in outlet.days if d.conversations] == [(date(2026, 1, 6), 1)]
    vip = _report(dataset.ada, label="vip")
    assert (vip.conversations, vip.inbound, vip.outbound, vip.resolution_median_s) == (1, 1, 1, 55800.0)
    nothing = _report(dataset.ada, label="no-such-label")
    assert (nothing.conversations, nothing.inbound, nothing.first_response_median_s) == (0, 0, None)


def _page(client, auth, user) -> str:
    auth.login(user)
    response = client.get("/reports?from=2026-01-05&to=2026-01-07")
    assert response.status_code == 200
    return " ".join(response.get_data(as_text=True).split())


def test_without_saved_settings_the_default_schedule_counts(dataset, client, auth):
    # Automation answers by the default schedule until an admin saves one (app.automation.settings),
    # so the report counts the same hours: Monday to Friday 9 to 5 in the workspace's zone, which is
    # what the dataset had saved, so the figures are the saved schedule's.
    from app.extensions import db
    from app.models import AutomationSettings

    db.session.delete(db.session.get(AutomationSettings, dataset.workspace.id))
    db.session.commit()
    report = _report(dataset.ada)
    assert report.business_hours == {str(d): [["09:00", "17:00"]] for d in range(5)}
    assert (report.hours_timezone, report.hours_saved) == ("America/New_York", False)
    assert (report.business_first_response_median_s, report.business_first_response_p90_s) == (1500.0, 20700.0)
    assert "still the default (Monday to Friday, 9 to 5)" in _page(client, auth, dataset.ada)


def test_a_schedule_with_no_opening_counts_every_hour(dataset, client, auth):
    from app.extensions import db
    from app.models import AutomationSettings

    db.session.get(AutomationSettings, dataset.workspace.id).business_hours = {}
    db.session.commit()
    report = _report(dataset.ada)
    assert (report.business_hours, report.hours_saved) == (None, True)
    assert (report.business_first_response_median_s, report.business_first_response_p90_s) == (28500.0, 82260.0)
    assert "has no opening hours, so every hour counts" in _page(client, auth, dataset.ada)


def test_open_intervals_follow_daylight_saving():
    # Berlin springs forward on Sunday 29 March 2026: 09:00-17:00 is 08:00Z-16:00Z on Friday, 07:00Z-15:00Z Monday.
    hours = {str(d): [["09:00", "17:00"]] for d in range(5)}
    start, end = datetime(2026, 3, 27, tzinfo=timezone.utc), datetime(2026, 3, 31, tzinfo=timezone.utc)
    got = [(a.isoformat(), b.isoformat()) for a, b in open_intervals(hours, "Europe/Berlin", start, end)]
    assert got == [("2026-03-27T08:00:00+00:00", "2026-03-27T16:00:00+00:00"),
                   ("2026-03-30T07:00:00+00:00", "2026-03-30T15:00:00+00:00")]
    assert open_intervals({"0": [["22:00", "24:00"]]}, "UTC", start, end) == [
        (datetime(2026, 3, 30, 22, tzinfo=timezone.utc), datetime(2026, 3, 31, tzinfo=timezone.utc))]


def _figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">([^<]*)<', html)
    assert match, name
    return match.group(1)


def test_the_page_shows_the_same_figures(dataset, client, auth):
    auth.login(dataset.ada)
    response = client.get("/reports?from=2026-01-05&to=2026-01-07")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert [_figure(html, n) for n in ("conversations", "inbound", "outbound")] == ["5", "8", "5"]
    assert _figure(html, "first_response_median") == "7 h 55 min"  # 28500 s
    assert _figure(html, "first_response_p90") == "22 h 51 min"  # 82260 s
    assert _figure(html, "business_first_response_median") == "25 min"  # 1500 s
    assert _figure(html, "business_first_response_p90") == "5 h 45 min"  # 20700 s
    assert _figure(html, "replied_within_window") == "60%"
    assert _figure(html, "resolution_median") == "15 h 30 min"
    assert _figure(html, "won_value") == "100 USD"
    assert "<title id=\"chart-conversations-title\">New conversations per day</title>" in html
    assert re.search(r'<tr data-user="%d"><th scope="row">Sam Rivera</th>\s*<td data-label="Conversations">3</td>'
                     r'<td data-label="Replies">3</td>\s*<td data-label="First response">7 h 50 min</td>' % dataset.sam.id, html)
    assert "+ 1 in other currencies" in html
    assert "America/New_York" in html


def test_replies_from_the_instagram_app_are_a_row_of_their_own(dataset, client, auth, factory):
    """A reply typed in the Instagram app has nobody of ours to name: the team's figure counts it,
    and the per-agent table shows it on its own row, so that its rows add up to that figure (a
    manager saw 152 replies above and 128 in the agents' rows)."""
    factory.message(dataset.conversations["C5"], direction="out", source="app", created_at=at(7, 21), text="From the phone")
    report = _report(dataset.ada)
    assert (report.outbound, report.outbound_from_app) == (6, 1)
    assert sum(a.replies for a in report.agents) + report.outbound_from_app == report.outbound

    auth.login(dataset.ada)
    html = client.get("/reports?from=2026-01-05&to=2026-01-07").get_data(as_text=True)
    assert re.search(r'<tr data-user="instagram-app"><th scope="row">From the Instagram app .*?</th>.*?'
                     r'<td data-label="Replies">1</td>', html, re.S)
    assert "with those sent from the Instagram app itself, they add up to the team's 6" in html
    rows = list(csv.reader(io.StringIO(client.get("/reports/agents.csv?from=2026-01-05&to=2026-01-07")
                                       .get_data(as_text=True))))
    assert rows[-1] == ["", "From the Instagram app", "", "1", ""]
    assert sum(int(row[3]) for row in rows[1:]) == 6
    # An agent's own report is theirs alone: no such row.
    assert _report(dataset.sam).scope.agent_id == dataset.sam.id
    with client.session_transaction() as session:
        session.clear()
    auth.login(dataset.sam)
    assert 'data-user="instagram-app"' not in client.get("/reports?from=2026-01-05&to=2026-01-07").get_data(as_text=True)


def _csv(client, path):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_csv_files_hold_the_tables(dataset, client, auth):
    auth.login(dataset.ada)
    query = "?from=2026-01-05&to=2026-01-07"
    assert _csv(client, "/reports/days.csv" + query) == [
        ["date", "conversations", "inbound", "outbound"],
        ["2026-01-05", "2", "5", "3"], ["2026-01-06", "2", "2", "2"], ["2026-01-07", "1", "1", "0"]]
    agents = _csv(client, "/reports/agents.csv" + query)
    assert agents[0] == ["user_id", "name", "conversations", "replies", "first_response_median_s"]
    assert [str(dataset.sam.id), "Sam Rivera", "3", "3", "28200.0"] in agents
    sources = _csv(client, "/reports/sources.csv" + query)
    assert ["ad", "2", "2", "1", "1", "100.00", "USD", "0"] in sources


def test_csv_cells_cannot_be_formulas(dataset, client, auth):
    from app.extensions import db

    dataset.tia.name = "=HYPERLINK(\"http://evil\")"
    db.session.commit()
    auth.login(dataset.ada)
    rows = _csv(client, "/reports/agents.csv?from=2026-01-05&to=2026-01-07")
    assert ["'=HYPERLINK(\"http://evil\")"] == [r[1] for r in rows if r[0] == str(dataset.tia.id)]


def test_page_refuses_bad_ranges_and_foreign_accounts(dataset, client, auth, factory):
    auth.login(dataset.ada)
    for query in ("from=2026-02-30", "from=2026-01-08&to=2026-01-07", "from=2025-01-01&to=2026-01-07"):
        response = client.get("/reports?" + query)
        assert response.status_code == 422, query
        assert 'role="alert"' in response.get_data(as_text=True)
    assert client.get("/reports/days.csv?from=2026-01-08&to=2026-01-07").status_code == 422
    foreign = factory.account(factory.workspace())
    assert client.get(f"/reports?account_id={foreign.id}").status_code == 404
    assert client.get("/reports?account_id=99999999999").status_code == 404


def test_reports_need_a_sign_in(client):
    assert client.get("/reports").status_code in (302, 401)


def test_the_api_gives_the_same_numbers(dataset, app, client):
    api = make_api(app, client, dataset.ada)
    response = api.get("/reports/summary?from=2026-01-05&to=2026-01-07")
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    for name in ("conversations", "inbound", "outbound", "first_response_median_s", "first_response_p90_s",
                 "replied_within_window_rate", "resolution_median_s"):
        assert data[name] == HAND[name], name
    assert (data["business_hours_first_response_median_s"], data["business_hours_first_response_p90_s"]) == (1500, 20700)
    assert data["timezone"] == "America/New_York" and data["currency"] == "USD"
    assert [(d["date"], d["conversations"], d["inbound"], d["outbound"]) for d in data["days"]] == [
        (d.isoformat(), c, i, o) for d, c, i, o in DAYS]
    by_agent = {row["user_id"]: row for row in data["by_agent"]}
    assert by_agent[dataset.sam.id] == {"user_id": dataset.sam.id, "conversations": 3, "replies": 3,
                                        "first_response_median_s": 28200}
    by_source = {row["source"]: row for row in data["leads_by_source"]}
    assert by_source["ad"] == {"source": "ad", "leads": 2, "contacted": 2, "qualified": 1, "won": 1, "won_value": "100.00"}
    assert by_source["story"]["won_value"] == "0.00"


def test_why_deals_were_lost(dataset, app, client, auth, factory):
    """Lost reasons were on each lead's timeline only, so a manager could not see where deals go
    (found by a walk-through). Leads moved to lost in the period and lost still, each once, by the
    reason picked; words alone, or no reason (the dataset's C2), count as Other."""
    from app.extensions import db
    from app.models import LeadStageChange

    ws = dataset.workspace

    def lost(reason, moved_day, status="lost", value=None, currency=None, workspace=ws, account=None):
        conversation = factory.conversation(account or dataset.shop, created_at=at(4, 9))
        lead = factory.lead(conversation, status=status, lost_reason=reason, value_cents=value, currency=currency,
                            created_at=at(4, 9))
        db.session.add(LeadStageChange(workspace_id=workspace.id, lead_id=lead.id, from_status="new",
                                       to_status="lost", lost_reason=reason, created_at=at(moved_day, 12)))
        db.session.commit()
        return lead

    lost("Price: found it cheaper elsewhere", 5, value=2000)
    lost("Price", 6)
    lost("Chose a competitor", 7, value=3000, currency="EUR")
    lost("went quiet after the quote", 6)
    lost("price: typed, not picked", 6)  # Other on both databases (SQLite's LIKE would say Price)
    lost("Price", 6, status="contacted")  # reopened since: not lost now
    lost("Timing", 2)  # lost before the period
    elsewhere = factory.workspace("Elsewhere")
    lost("Price", 6, workspace=elsewhere, account=factory.account(elsewhere))
    report = _report(dataset.ada)
    assert [(r.reason, r.leads, r.value_cents, r.other_currencies) for r in report.lost] == [
        ("Price", 2, 2000, 0), ("Chose a competitor", 1, 0, 1), ("Other", 3, 0, 0)]
    assert [r.reason for r in _report(dataset.ada, account_id=str(dataset.outlet.id)).lost] == []
    api = make_api(app, client, dataset.ada)
    data = api.get("/reports/summary?from=2026-01-05&to=2026-01-07").get_json()["data"]
    assert data["lost_by_reason"][0] == {"reason": "Price", "leads": 2, "value": "20.00"}
    page = _page(client, auth, dataset.ada)
    assert 'data-table="lost"' in page and 'data-reason="Chose a competitor"' in page


def test_the_api_for_an_agent_and_its_refusals(dataset, app, client, factory):
    api = make_api(app, client, dataset.tia)
    data = api.get("/reports/summary?from=2026-01-05&to=2026-01-07").get_json()["data"]
    assert (data["conversations"], [r["user_id"] for r in data["by_agent"]]) == (1, [dataset.tia.id])
    for query, field in (("from=2026-1-5", "from"), ("to=tomorrow", "to"), ("from=2026-01-08&to=2026-01-07", "from"),
                         ("from=2025-01-01&to=2026-01-07", "to")):
        response = api.get("/reports/summary?" + query)
        assert response.status_code == 422, query
        assert response.get_json()["error"]["field"] == field
    foreign = factory.account(factory.workspace())
    response = api.get(f"/reports/summary?account_id={foreign.id}")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert api.get("/reports/summary").status_code == 200  # the last 30 days by default


def test_the_partial_indexes_hold_what_the_figures_ask_for(app):
    """ix_messages_first_customer / _first_answer are only used if their predicates are the
    figures' own conditions, as constants."""
    from app.models import Message
    from app.models.conversations import FIRST_ANSWER, FIRST_CUSTOMER
    from app.messages.first_times import customer_message, person_reply

    def sql(clause) -> str:
        return str(clause.compile(compile_kwargs={"literal_binds": True})).replace("messages.", "").replace("!=", "<>")

    assert sql(customer_message(Message)) == FIRST_CUSTOMER
    assert sql(person_reply(Message)) == FIRST_ANSWER


def test_quick_periods_keep_the_filters_and_mark_the_one_shown(dataset, client, auth, monkeypatch):
    """A manager picks today, the last week or last month in one tap (a walk-through found only two
    date boxes), in the workspace's days (New York here), the account and label kept."""
    import app.reports.scope as scope_module

    # 02:30 UTC on 1 Feb is still 31 January in New York.
    monkeypatch.setattr(scope_module, "utcnow", lambda: datetime(2026, 2, 1, 2, 30, tzinfo=timezone.utc))
    scope = parse_scope({"from": "2026-01-01", "to": "2026-01-31", "label": "vip"}, dataset.ada)
    ranges = {label: (params["from"], params["to"], params.get("label"), shown)
              for label, params, shown in scope.quick_ranges()}
    assert ranges == {
        "Today": ("2026-01-31", "2026-01-31", "vip", False),
        "Last 7 days": ("2026-01-25", "2026-01-31", "vip", False),
        "Last 30 days": ("2026-01-02", "2026-01-31", "vip", False),
        "This month": ("2026-01-01", "2026-01-31", "vip", True),
        "Last month": ("2025-12-01", "2025-12-31", "vip", False),
    }
    page = _page(client, auth, dataset.ada)
    assert 'aria-label="Periods"' in page and ">Last 7 days</a>" in page
