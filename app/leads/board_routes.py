"""The pipeline board's pages: `GET /leads/board` (the columns, a column's "Show more", the
filters), `POST /leads/board/<id>/move` (the Move to… menu and drag and drop both post it) and
`GET /leads/board/changes` (the board's live poll, app.leads.board_live).

A move answers with out-of-band swaps: the card leaves its column and enters the top of the new
one (it is the newest there), every column's head gets its new count and total, and the main
answer is a sentence for the board's live region. A refusal (lost without a reason, a bad value)
is a 422 whose sentence shows on the card; nothing moved. Anyone in the workspace may move a lead,
as on the leads page."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from app.errors import ActionRefused
from app.htmx_responses import empty_fragment, hx_push_url, hx_reswap, is_fragment_request, render_fragment, render_page
from app.inbox.live import BadToken, ListState
from app.inbox.queries import workspace_users
from app.labels.catalog import current_workspace_labels
from app.leads import board_live, bp, stages
from app.leads.actions import update_lead
from app.leads.board import (BoardFilters, cards_by_id, column_page, column_totals, stage_age,
                             workspace_accounts)
from app.leads.queries import lead_sources
from app.leads.values import COMMON_CURRENCIES, LOST_REASONS, display_value, format_value
from app.messages.waiting import needs_reply
from app.models import LEAD_STATUSES, Lead
from app.pagination import BadCursor
from app.scoping import get_or_404

# What a refusal of app.leads.actions says on a card, where the API's wording (naming the field) would puzzle.
_CARD_WORDING = {"lost_reason": "Say why it was lost: pick a reason or type one."}


def _card_context() -> dict:
    """What every card needs, whichever answer renders it."""
    return dict(statuses=LEAD_STATUSES, lost_reasons=LOST_REASONS, currencies=COMMON_CURRENCIES,
                workspace_currency=current_user.workspace.currency, display_value=display_value,
                format_value=format_value, stage_age=stage_age, needs_reply=needs_reply)


def _column(filters: BoardFilters, status: str, cursor: str | None):
    try:
        return column_page(filters, current_user, status, cursor)
    except BadCursor:
        abort(400, description="This board link is out of date. Reload the board.")


@bp.get("/leads/board")
@login_required
def board():
    filters = BoardFilters.from_args(request.args)
    status = request.args.get("status")
    cursor = request.args.get("cursor") or None
    if cursor:
        # "Show more" in one column: its next cards and the next button (a normal request has no
        # use for a lone page of cards: it gets the board).
        if status not in LEAD_STATUSES:
            abort(400, description="Show more needs a column (status).")
        if not is_fragment_request():
            return redirect(url_for("leads.board", **filters.params()))
        cards, next_cursor = _column(filters, status, cursor)
        return render_fragment("leads/_board_cards.html", cards=cards, next_cursor=next_cursor, column=status,
                               filters=filters, **_card_context())
    # The live token first: a lead changing while the columns are read is then sent again by the
    # first poll (the board leaves a card it already has), never missed.
    token = None if is_fragment_request() else board_live.current_state(current_user.workspace_id).token()
    columns = {s: _column(filters, s, None) for s in LEAD_STATUSES}
    context = dict(filters=filters, columns=columns, users=workspace_users(), sources=lead_sources(),
                   accounts=workspace_accounts(current_user), labels=current_workspace_labels(),
                   totals=column_totals(filters, current_user, current_user.workspace.currency), **_card_context())
    if is_fragment_request():
        response = render_page("leads/board.html", block="board_results", fragment=True, **context)
        return hx_push_url(response, url_for("leads.board", **filters.params()))
    return render_page("leads/board.html", board_token=token, **context)


@bp.get("/leads/board/changes")
@login_required
def board_changes():
    """The board's live poll (`since` = the token, and the board's filters): 204 when no lead
    changed; else the changed cards the filters keep, the others as gone, every column's head and
    the new token (templates/leads/_board_changes.html). A token it cannot read starts over from now."""
    filters = BoardFilters.from_args(request.args)
    workspace_id = current_user.workspace_id
    try:
        since = ListState.from_token(request.args.get("since") or "")
    except BadToken:
        return render_fragment("leads/_board_changes.html", token=board_live.current_state(workspace_id).token())
    found, too_many = board_live.changes(workspace_id, since)
    if found is None:
        return empty_fragment(204)
    cards = [] if too_many else cards_by_id(filters, current_user, found.changed_ids)
    kept = {lead.id for lead in cards}
    return render_fragment("leads/_board_changes.html", token=found.state.token(), cards=cards, reload=too_many,
                           gone=[] if too_many else [i for i in found.changed_ids if i not in kept], filters=filters,
                           totals=column_totals(filters, current_user, current_user.workspace.currency),
                           **_card_context())


@bp.post("/leads/board/<int:lead_id>/move")
@login_required
def move(lead_id: int):
    lead = get_or_404(Lead, lead_id)
    filters = BoardFilters.from_args(request.args)
    from_status = lead.status
    try:
        # The won form confirms (or corrects) the deal's value; its currency comes along.
        update_lead(lead, by=current_user._get_current_object(), **stages.move_from_form(request.form))
    except ActionRefused as refusal:
        message = _CARD_WORDING.get(refusal.field, refusal.message)
        if not is_fragment_request():
            flash(message, "error")
            return redirect(url_for("leads.board", **filters.params()))
        # Said on the card whose form asked, not in the board's live region.
        return hx_reswap(render_fragment("leads/_board_refusal.html", 422, message=message), "innerHTML",
                         f"#board-card-{lead.id}-error")
    if not is_fragment_request():
        flash(f"Moved {lead.contact.display_name} to {lead.status.capitalize()}.", "info")
        return redirect(url_for("leads.board", **filters.params()))
    totals = column_totals(filters, current_user, current_user.workspace.currency)
    return render_fragment("leads/_board_moved.html", lead=lead, from_status=from_status, totals=totals,
                           filters=filters, **_card_context())
