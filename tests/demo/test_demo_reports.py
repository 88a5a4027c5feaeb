"""`flask demo` gives /reports a month of history: conversations on most days, first answers in
minutes by day and the next morning by night, leads from every source moving through the
pipeline, and the same figures after a second run."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import User
from app.reports.figures import build_report
from app.reports.scope import parse_scope
from tests.demo.test_demo_seed import run_demo


def test_the_demo_reports_mean_something(runner, client, auth):
    run_demo(runner)
    admin = db.session.scalar(select(User).where(User.email == "demo@example.com"))
    report = build_report(parse_scope({}, admin))
    assert report.conversations >= 60
    assert sum(1 for d in report.days if d.conversations) >= 25  # most days of the month
    assert 5 * 60 <= report.first_response_median_s <= 60 * 60, report.first_response_median_s
    assert report.first_response_p90_s >= 4 * 60 * 60  # the night's messages wait for the morning
    assert 0.8 <= report.replied_within_window_rate < 1
    assert report.resolution_median_s is not None
    assert {a.name for a in report.agents if a.replies} >= {"Demo Admin", "Sam Rivera"}
    sources = {s.source: s for s in report.sources}
    assert {"dm", "ad", "story", "link"} <= set(sources)
    assert sum(s.won for s in report.sources) >= 5 and sum(s.won_value_cents for s in report.sources) > 0
    assert all(s.leads >= s.contacted >= s.qualified >= s.won for s in report.sources)
    # Why deals were lost: several reasons, with what they were worth.
    assert len(report.lost) >= 3 and sum(r.value_cents for r in report.lost) > 0
    figures = (report.conversations, report.inbound, report.outbound, report.first_response_median_s)

    run_demo(runner)
    again = build_report(parse_scope({}, admin))
    assert (again.conversations, again.inbound, again.outbound, again.first_response_median_s) == figures
    auth.login(admin, password="demo-inbox")
    assert client.get("/reports").status_code == 200
