"""GET /api/v1/reports/summary: the /reports page's figures as JSON (docs/contract.md, CONTRACT.md
"Pipeline, reports and integrations"). Same scope parser and same figures as the page
(app.reports), so the two always agree; an agent's token sees their own conversations only."""
from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from app.api import bp
from app.api.errors import ApiError
from app.errors import ActionRefused
from app.leads.values import format_value
from app.reports.figures import Report, build_report
from app.reports.scope import ReportNotFound, parse_scope


def summary_json(report: Report) -> dict:
    scope = report.scope
    return {
        "from": scope.start.isoformat(),
        "to": scope.end.isoformat(),
        "timezone": scope.timezone,
        "currency": report.currency,
        "conversations": report.conversations,
        "inbound": report.inbound,
        "outbound": report.outbound,
        "first_response_median_s": report.first_response_median_s,
        "first_response_p90_s": report.first_response_p90_s,
        "business_hours_first_response_median_s": report.business_first_response_median_s,
        "business_hours_first_response_p90_s": report.business_first_response_p90_s,
        "replied_within_window_rate": report.replied_within_window_rate,
        "resolution_median_s": report.resolution_median_s,
        "days": [{"date": d.day.isoformat(), "conversations": d.conversations, "inbound": d.inbound,
                  "outbound": d.outbound} for d in report.days],
        "by_agent": [{"user_id": a.user_id, "conversations": a.conversations, "replies": a.replies,
                      "first_response_median_s": a.first_response_median_s} for a in report.agents],
        "leads_by_source": [{"source": s.source, "leads": s.leads, "contacted": s.contacted, "qualified": s.qualified,
                             "won": s.won, "won_value": format_value(s.won_value_cents)} for s in report.sources],
        "lost_by_reason": [{"reason": r.reason, "leads": r.leads, "value": format_value(r.value_cents)}
                           for r in report.lost],
    }


@bp.get("/reports/summary")
def report_summary():
    try:
        scope = parse_scope(request.args, current_user)
    except ActionRefused as exc:
        raise ApiError(422, "validation_failed", exc.message, field=exc.field) from None
    except ReportNotFound:
        raise ApiError(404, "not_found", "No such account.", field="account_id") from None
    return jsonify(data=summary_json(build_report(scope)))
