"""The leads page: a filterable table with a funnel, inline status/owner/notes, CSV export.

Inline edits post one field and get back only the small "Saved" (or the refusal) next to the
control, so the select or textarea being used is never replaced under the user's hands; the
funnel counts come along out of band."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from app.errors import ActionRefused
from app.htmx_responses import hx_push_url, is_fragment_request, render_fragment, render_page
from app.inbox.queries import workspace_users
from app.labels.catalog import current_workspace_labels
from app.leads import bp, stages
from app.leads.actions import update_lead
from app.leads.values import COMMON_CURRENCIES, LOST_REASONS, display_value, format_value
from app.leads.queries import LeadFilters, iter_leads, last_activity, lead_page, lead_sources, status_counts
from app.messages.content import Referral
from app.models import LEAD_STATUSES, Lead
from app.pagination import BadCursor
from app.scoping import get_or_404, valid_id
from app.spreadsheet import csv_download
from app.templating import iso

PAGE = 50
SOURCE_LABELS = {"dm": "Direct message", "ad": "Ad", "link": "Link", "story": "Story", "comment": "Comment",
                 "import": "Imported history"}


def _page(filters: LeadFilters, cursor: str | None) -> tuple[list[Lead], str | None]:
    try:
        return lead_page(filters, current_user, cursor, PAGE)
    except BadCursor:
        abort(400, description="This list link is out of date. Reload the leads page.")


@bp.get("/leads")
@login_required
def index():
    filters = LeadFilters.from_args(request.args)
    cursor = request.args.get("cursor") or None
    leads, next_cursor = _page(filters, cursor)
    context = dict(filters=filters, leads=leads, next_cursor=next_cursor, users=workspace_users(),
                   statuses=LEAD_STATUSES, last_activity=last_activity, display_value=display_value,
                   lost_reasons=LOST_REASONS, currencies=COMMON_CURRENCIES, format_value=format_value,
                   workspace_currency=current_user.workspace.currency)
    if is_fragment_request() and cursor:
        return render_page("leads/index.html", block="lead_rows", **context)
    context.update(counts=status_counts(filters, current_user), sources=lead_sources(), labels=current_workspace_labels())
    if is_fragment_request():
        response = render_page("leads/index.html", block="lead_results", oob=True, **context)
        return hx_push_url(response, url_for("leads.index", **filters.params()))
    if cursor:
        return redirect(url_for("leads.index", **filters.params()))
    return render_page("leads/index.html", **context)


def _cell(lead: Lead, field: str, error: ActionRefused | None = None):
    filters = LeadFilters.from_args(request.args)
    status = 422 if error else 200
    if is_fragment_request():
        # A move to won may have set the value: its cell comes along with the funnel.
        return render_fragment("leads/_cell_saved.html", status, lead=lead, field=field, error=error, filters=filters,
                               counts=status_counts(filters, current_user) if field == "status" and not error else None,
                               statuses=LEAD_STATUSES, display_value=display_value)
    if error:
        flash(error.message, "error")
    else:
        flash("Lead saved.", "info")
    return redirect(url_for("leads.index", **filters.params()))


@bp.post("/leads/<int:lead_id>/status")
@login_required
def set_status(lead_id: int):
    """The status select; moving to lost sends the reason picked beside it (`lost_reason`, and the
    optional words `lost_detail`), moving to won the deal's confirmed `value` and `currency`, as
    the lead panel and the board do (app.leads.stages.move_from_form)."""
    lead = get_or_404(Lead, lead_id)
    try:
        update_lead(lead, by=current_user._get_current_object(), **stages.move_from_form(request.form))
    except ActionRefused as exc:
        return _cell(lead, "status", exc)
    return _cell(lead, "status")


@bp.post("/leads/<int:lead_id>/owner")
@login_required
def set_owner(lead_id: int):
    lead = get_or_404(Lead, lead_id)
    raw = (request.form.get("owner_id") or "").strip()
    owner_id = valid_id(raw)
    if raw and owner_id is None:
        return _cell(lead, "owner", ActionRefused("owner_id", "Choose someone from the list."))
    try:
        update_lead(lead, by=current_user._get_current_object(), owner_id=owner_id)
    except ActionRefused as exc:
        return _cell(lead, "owner", exc)
    return _cell(lead, "owner")


@bp.post("/leads/<int:lead_id>/notes")
@login_required
def set_notes(lead_id: int):
    lead = get_or_404(Lead, lead_id)
    notes = (request.form.get("notes") or "").strip() or None
    try:
        update_lead(lead, by=current_user._get_current_object(), notes=notes)
    except ActionRefused as exc:
        return _cell(lead, "notes", exc)
    return _cell(lead, "notes")


# -- CSV export -------------------------------------------------------------------------------

CSV_COLUMNS = ("id", "status", "name", "username", "instagram_account", "source", "ad_name", "owner",
               "created_at", "last_activity_at", "notes", "conversation_url", "value", "currency", "lost_reason",
               "email", "phone", "next_follow_up_at", "follow_up_note", "stage_changed_at")


def _comment_ad(lead: Lead) -> str | None:
    # A comment on an ad names the ad like a click-to-DM lead does.
    detail = lead.source_detail if lead.source == "comment" and isinstance(lead.source_detail, dict) else {}
    title = detail.get("ad_title")
    return title if isinstance(title, str) else None


def lead_csv_row(lead: Lead) -> list[str]:
    """One lead as a row of CSV_COLUMNS (the pipeline's fields last, so older sheets keep their
    columns); app.spreadsheet guards every cell against formulas, the customer's email and phone too."""
    contact = lead.contact
    # The lead's ad is a referral record (app/messages/content.py), read like a message's.
    referral = Referral.from_json(lead.source_detail) if lead.source == "ad" else None
    conversation_url = (url_for("inbox.conversation", conversation_id=lead.conversation_id, _external=True)
                        if lead.conversation_id else "")
    values = (lead.id, lead.status, contact.name, contact.username, contact.account.username, lead.source,
              referral.ad_title if referral else _comment_ad(lead), lead.owner.display_name if lead.owner else "", iso(lead.created_at),
              iso(last_activity(lead)), lead.notes, conversation_url, format_value(lead.value_cents), lead.currency,
              lead.lost_reason, lead.email, lead.phone, iso(lead.next_follow_up_at), lead.follow_up_note,
              iso(lead.stage_changed_at))
    return list(values)


@bp.get("/leads.csv")
@login_required
def export_csv():
    filters = LeadFilters.from_args(request.args)
    user = current_user._get_current_object()

    rows = (lead_csv_row(lead) for lead in iter_leads(filters, user))
    return csv_download(f"leads-{date.today().isoformat()}.csv", CSV_COLUMNS, rows)
