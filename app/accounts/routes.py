"""Accounts pages (status, Connect, admin actions) and Meta's deauthorize / data-deletion callbacks.

Admin-only routes refuse agents with 403 even though the page hides their buttons. Every
outcome a person should read goes through `flash`; no token ever reaches a template.
"""
from __future__ import annotations

import logging

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app import audit
from app.auth import roles
from app.accounts import bp, oauth
from app.accounts.data_deletion import request_data_deletion
from app.accounts.history_import import parse_days, progress_for, progress_of, start_import
from app.accounts.lifecycle import (
    AccountActionFailed,
    AccountConnectError,
    check_connection,
    comments_enabled,
    connect_account,
    deauthorize_ig_user,
    disconnect_account,
    retry_webhook_subscription,
)
from app.errors import ActionRefused
from app.extensions import csrf, db
from app.htmx_responses import is_fragment_request, render_fragment, render_page
from app.instagram.signature import SignedRequestError, parse_signed_request
from app.models import DataDeletionRequest, InstagramAccount, utcnow
from app.scoping import get_or_404, scoped
from app.urls import public_url_for

log = logging.getLogger(__name__)


admin_required = roles.admin_required(why="Only workspace admins can manage Instagram accounts.")


@bp.get("/accounts")
@login_required
def index():
    accounts = db.session.scalars(scoped(InstagramAccount).order_by(InstagramAccount.id)).all()
    return render_page("accounts/index.html", block="account_list", accounts=accounts, now=utcnow(),
                       imports=progress_for([a.id for a in accounts]), comments_enabled=comments_enabled)


# --- connecting ------------------------------------------------------------------------------

@bp.get("/accounts/connect")
@login_required
@admin_required
def connect():
    return redirect(oauth.begin_authorization(), code=302)


@bp.get("/accounts/instagram/callback")
@login_required
@admin_required
def instagram_callback():
    state_ok = oauth.consume_state(request.args.get("state"))
    if request.args.get("error"):
        log.info("connect: Instagram returned error %r", request.args.get("error")[:50])
        flash(oauth.denied_message(request.args, trusted=state_ok), "error")
        return redirect(url_for("accounts.index"))
    if not state_ok:
        abort(400, "This Instagram sign-in is invalid, was already used or has expired (they last 10 minutes). "
                   "Nothing was connected: start again with “Connect Instagram account”.")
    try:
        token = oauth.token_from_code(request.args.get("code") or "")
        result = connect_account(current_user.workspace, token.access_token, token.expires_in,
                                 granted_scopes=token.permissions)
    except AccountConnectError as exc:
        flash(str(exc), "error")
        return redirect(url_for("accounts.index"))
    _flash_connected(result)
    return redirect(url_for("accounts.index"))


@bp.post("/accounts/connect-token")
@login_required
@admin_required
def connect_with_token():
    try:
        result = connect_account(current_user.workspace, request.form.get("token") or "")
    except AccountConnectError as exc:
        flash(str(exc), "error")
        return redirect(url_for("accounts.index"))
    _flash_connected(result)
    return redirect(url_for("accounts.index"))


def _flash_connected(result) -> None:
    account = result.account
    verb = "connected" if result.created else "reconnected"
    audit.record("account.connect", f"{verb.capitalize()} @{account.username}", account_id=account.id)
    db.session.commit()
    if result.subscription_error:
        flash(f"@{account.username} is {verb}, with a problem:", "info")
        flash(result.subscription_error, "error")
    else:
        flash(f"@{account.username} is {verb}; new messages will appear in the inbox.", "info")
    if current_app.config.get("HISTORY_IMPORT_ON_CONNECT"):
        _import_on_connect(account)


def _import_on_connect(account) -> None:
    """A new connection brings its past: the last 30 days of DMs, imported in the background."""
    try:
        audit.record("account.import", f"Started importing the history of @{account.username} on connect",
                     account_id=account.id)
        state = start_import(account)
    except ActionRefused as refused:
        db.session.rollback()  # the audit entry of a start that did not happen
        flash(refused.message, "info")  # already importing (a reconnect during an import), say so
        return
    flash(f"Importing the last {state.days} days of @{account.username}'s conversations; "
          "the progress shows below.", "info")


# --- admin actions on one account ------------------------------------------------------------

@bp.post("/accounts/<int:account_id>/test")
@login_required
@admin_required
def check_account(account_id: int):
    account = get_or_404(InstagramAccount, account_id)
    try:
        flash(check_connection(account), "info")
    except AccountActionFailed as exc:
        flash(str(exc), "error")
    return redirect(url_for("accounts.index"))


@bp.post("/accounts/<int:account_id>/subscribe")
@login_required
@admin_required
def subscribe(account_id: int):
    account = get_or_404(InstagramAccount, account_id)
    try:
        retry_webhook_subscription(account)
        audit.record("account.subscribe", f"Subscribed @{account.username} to webhooks again", account_id=account.id)
        db.session.commit()
        flash(f"@{account.username} is subscribed to webhooks again; new messages will arrive.", "info")
    except AccountActionFailed as exc:
        flash(str(exc), "error")
    return redirect(url_for("accounts.index"))


@bp.post("/accounts/<int:account_id>/disconnect")
@login_required
@admin_required
def disconnect(account_id: int):
    account = get_or_404(InstagramAccount, account_id)
    warning = disconnect_account(account)
    audit.record("account.disconnect", f"Disconnected @{account.username}", account_id=account.id)
    db.session.commit()
    flash(f"@{account.username} is disconnected. Its conversations stay readable.", "info")
    if warning:
        flash(warning, "error")
    return redirect(url_for("accounts.index"))


# --- history import --------------------------------------------------------------------------

@bp.get("/accounts/<int:account_id>/import")
@login_required
def history_import_status(account_id: int):
    """The import's section of the account's card: what the page polls every 2 s while it runs
    (opened as a page, its URL leads to the card)."""
    account = get_or_404(InstagramAccount, account_id)
    if not is_fragment_request():
        return redirect(url_for("accounts.index") + f"#account-{account.id}")
    return render_fragment("accounts/_history_import.html", a=account, progress=progress_of(account.id))


@bp.post("/accounts/<int:account_id>/import")
@login_required
@admin_required
def start_history_import(account_id: int):
    account = get_or_404(InstagramAccount, account_id)
    refusal = None
    try:
        days = parse_days(request.form.get("days"))
        audit.record("account.import", f"Started importing {days} days of history of @{account.username}",
                     account_id=account.id, days=days)
        start_import(account, days)
    except ActionRefused as refused:
        db.session.rollback()  # the audit entry of a start that did not happen
        refusal = refused.message
    if is_fragment_request():
        return render_fragment("accounts/_history_import.html", a=account, progress=progress_of(account.id),
                               refusal=refusal, status=422 if refusal else 200)
    if refusal:
        flash(refusal, "error")
    else:
        flash(f"Importing the history of @{account.username}; the progress shows on its card.", "info")
    return redirect(url_for("accounts.index"))


# --- Meta's callbacks (signed_request, no session, no CSRF) ---------------------------------

def _signed_payload():
    """The verified payload and its Instagram user id, or a 400 response for Meta."""
    try:
        payload = parse_signed_request(current_app.config["INSTAGRAM_APP_SECRET"], request.form.get("signed_request"))
    except SignedRequestError as exc:
        log.warning("rejected signed_request on %s: %s", request.path, exc)
        return None, (jsonify(error={"code": "bad_signed_request", "message": str(exc)}), 400)
    user_id = payload.get("user_id")
    if isinstance(user_id, bool) or not isinstance(user_id, (str, int)) or not str(user_id).strip():
        return None, (jsonify(error={"code": "bad_signed_request", "message": "signed_request has no user_id"}), 400)
    return str(user_id).strip(), None


@bp.post("/accounts/instagram/deauthorize")
@csrf.exempt
def instagram_deauthorize():
    ig_user_id, error = _signed_payload()
    if error:
        return error
    account = deauthorize_ig_user(ig_user_id)
    if account is None:
        log.info("deauthorize for an Instagram account that is not connected here")
    return jsonify(status="ok")


@bp.post("/accounts/instagram/data-deletion")
@csrf.exempt
def instagram_data_deletion():
    ig_user_id, error = _signed_payload()
    if error:
        return error
    deletion = request_data_deletion(ig_user_id)
    code = deletion.confirmation_code
    return jsonify(url=public_url_for("accounts.data_deletion_status", code=code), confirmation_code=code)


@bp.get("/accounts/instagram/data-deletion/<code>")
def data_deletion_status(code: str):
    deletion = db.session.scalar(select(DataDeletionRequest).where(DataDeletionRequest.confirmation_code == code[:64]))
    if deletion is None:
        abort(404, "There is no data deletion request with this confirmation code.")
    return render_template("accounts/data_deletion_status.html", deletion=deletion)
