"""The person's availability toggle (user menu, Settings → Profile), an account's auto-assignment
form (Accounts page, admins), and the template globals that show both (avatars' presence dots,
the assignment reason)."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app import audit
from app.assignment import bp
from app.assignment.availability import LABELS, effective_availability, set_availability
from app.assignment.settings import MODE_LABELS, REASON_LABELS, chosen_assignee_ids, set_assignment
from app.auth.roles import admin_required
from app.errors import ActionRefused
from app.extensions import db
from app.htmx_responses import is_fragment_request, render_fragment
from app.models import InstagramAccount, User
from app.scoping import get_or_404

TOGGLE_PLACES = ("menu", "profile")  # where a toggle is drawn: its ids differ per place


@bp.post("/availability")
@login_required
def availability():
    user = current_user._get_current_object()
    try:
        set_availability(user, request.form.get("availability", ""))
    except ActionRefused as refused:
        abort(422, refused.message)
    db.session.commit()
    place = request.form.get("place")
    if is_fragment_request() and place in TOGGLE_PLACES:
        return render_fragment("assignment/_availability.html", place=place, oob_dot=True)
    flash(f"You are {LABELS[user.availability].lower()}.", "info")
    return redirect(url_for("settings.profile"))


@bp.post("/accounts/<int:account_id>/assignment")
@admin_required(why="Only workspace admins can set how conversations are assigned.")
def account_assignment(account_id: int):
    account = get_or_404(InstagramAccount, account_id)
    chosen = request.form.getlist("assignees") if request.form.get("restrict") == "on" else []
    error = None
    try:
        before = account.assignment
        set_assignment(account, request.form.get("assignment", ""), chosen)
        if before != account.assignment:
            audit.record("account.assignment", f"Auto-assignment of @{account.username or account.ig_user_id}: "
                         f"{MODE_LABELS[account.assignment].lower()}")
        db.session.commit()
    except ActionRefused as refused:
        db.session.rollback()
        error = refused.message
    if is_fragment_request():
        return render_fragment("assignment/_account_assignment.html", a=account, saved=error is None,
                               error=error, status=422 if error else 200)
    if error:
        flash(error, "error")
    else:
        flash("Assignment settings saved.", "info")
    return redirect(url_for("accounts.index") + f"#account-{account.id}")


# -- template globals ------------------------------------------------------------------------------

@bp.app_template_global()
def availability_of(user: User | None) -> str:
    """"available" or "away" as the avatars show it (app.assignment.availability)."""
    return effective_availability(user) if user is not None else "away"


@bp.app_template_global()
def availability_label(state: str) -> str:
    return LABELS[state]


@bp.app_template_global()
def assignment_reason_label(reason: str | None) -> str | None:
    return REASON_LABELS.get(reason or "")


@bp.app_template_global()
def assignment_modes() -> dict[str, str]:
    return MODE_LABELS


@bp.app_template_global()
def assignable_members() -> list[User]:
    """The signed-in admin's workspace's active agents and admins (the Accounts page's checkboxes)."""
    return list(db.session.scalars(select(User).where(User.workspace_id == current_user.workspace_id, User.active)
                                   .order_by(User.id)))


@bp.app_template_global()
def account_assignee_ids(account_id: int) -> list[int]:
    return chosen_assignee_ids(account_id)
