"""/reports: the figures, two SVG charts with their tables, the per-agent and per-source tables,
and each table as CSV. The filters live in the URL (a plain GET form), so a report can be
bookmarked and sent to a colleague. Admins see everyone; agents see their own conversations."""
from __future__ import annotations

from flask import abort, request
from flask_login import current_user, login_required
from sqlalchemy import select

from app.errors import ActionRefused
from app.extensions import db
from app.htmx_responses import render_page
from app.leads.values import display_value, format_value
from app.models import InstagramAccount
from app.reports import bp
from app.reports.charts import bar_chart, line_chart
from app.reports.figures import Report, build_report, total_won_cents
from app.reports.scope import ReportNotFound, parse_scope
from app.spreadsheet import csv_download


def duration(seconds: float | None) -> str:
    """45 s, 12 min, 3 h 20 min, 2 d 4 h; an em dash when there is nothing to measure."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "—"


def _report() -> Report:
    """The report the URL asks for; ActionRefused for filters the page explains (a 422)."""
    try:
        scope = parse_scope(request.args, current_user)
    except ReportNotFound:
        abort(404)
    return build_report(scope)


def _table_report() -> Report:
    try:
        return _report()
    except ActionRefused as exc:
        abort(422, description=exc.message)


def _accounts():
    return db.session.scalars(select(InstagramAccount).where(InstagramAccount.workspace_id == current_user.workspace_id)
                              .order_by(InstagramAccount.username, InstagramAccount.id)).all()


@bp.get("/reports")
@login_required
def index():
    try:
        report = _report()
    except ActionRefused as exc:
        return render_page("reports/index.html", status=422, report=None, error=exc, args=request.args,
                           accounts=_accounts())
    days = [d.day for d in report.days]
    charts = [
        bar_chart("conversations", "New conversations per day", "new conversations", days,
                  [d.conversations for d in report.days], "series-conversations"),
        line_chart("messages", "Messages per day", days, [
            ("messages from customers", "series-inbound", [d.inbound for d in report.days]),
            ("replies by the team", "series-outbound", [d.outbound for d in report.days]),
        ]),
    ]
    return render_page("reports/index.html", report=report, error=None, args=request.args, charts=charts,
                       accounts=_accounts(), duration=duration, percent=percent,
                       money=display_value, won_total=total_won_cents(report))


def _filename(report: Report, table: str) -> str:
    return f"report-{table}-{report.scope.start.isoformat()}-to-{report.scope.end.isoformat()}.csv"


@bp.get("/reports/days.csv")
@login_required
def days_csv():
    report = _table_report()
    rows = ([d.day.isoformat(), d.conversations, d.inbound, d.outbound] for d in report.days)
    return csv_download(_filename(report, "days"), ("date", "conversations", "inbound", "outbound"), rows)


@bp.get("/reports/agents.csv")
@login_required
def agents_csv():
    report = _table_report()
    rows = [[a.user_id, a.name, a.conversations, a.replies, a.first_response_median_s] for a in report.agents]
    if report.outbound_from_app and not report.scope.agent_id:
        # As on the page: with this row the replies add up to the team's (no user id: nobody of ours).
        rows.append(["", "From the Instagram app", "", report.outbound_from_app, ""])
    return csv_download(_filename(report, "agents"),
                        ("user_id", "name", "conversations", "replies", "first_response_median_s"), rows)


@bp.get("/reports/sources.csv")
@login_required
def sources_csv():
    report = _table_report()
    rows = ([s.source, s.leads, s.contacted, s.qualified, s.won, format_value(s.won_value_cents), report.currency,
             s.other_currencies] for s in report.sources)
    return csv_download(_filename(report, "sources"), ("source", "leads", "contacted", "qualified", "won", "won_value",
                                                       "currency", "won_in_other_currencies"), rows)
