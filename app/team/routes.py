"""Settings → Team (admins), the invite and reset links (anyone holding one), and anyone's own
password change. Thin: the rules are in app.team.lifecycle."""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app import audit
from app.auth.roles import admin_required
from app.auth.sessions import sign_in
from app.extensions import db
from app.mail import mail_enabled
from app.models import ROLES, Invite, User
from app.scoping import get_or_404, scoped, valid_id
from app.team import bp, lifecycle, notices
from app.team.jobs import queue_mail
from app.urls import public_url_for
from app.team.lifecycle import TeamRefused
from app.team.passwords import MIN_LENGTH
from app.throttle import client_address, limiter


def _no_store(response):
    # Pages that show a link which opens an account: never cached, never in the back history.
    response.headers["Cache-Control"] = "no-store"
    return response


def _team_page(status: int = 200, *, new_link: str | None = None, link_kind: str | None = None,
               link_for: str | None = None, error: TeamRefused | None = None, form: dict | None = None,
               mailed: bool = False):
    members = db.session.scalars(scoped(User).order_by(User.active.desc(), User.role, User.email)).all()
    invites = [i for i in db.session.scalars(scoped(Invite).where(Invite.accepted_at.is_(None),
                                                                  Invite.revoked_at.is_(None))
                                             .order_by(Invite.created_at.desc())).all() if i.pending]
    html = render_template("team/index.html", members=members, invites=invites, roles=ROLES, new_link=new_link,
                           link_kind=link_kind, link_for=link_for, error=error, form=form or {}, mailed=mailed,
                           active_members=[m for m in members if m.active])
    return _no_store(make_response(html, status))


def _refused(exc: TeamRefused, form: dict | None = None):
    return _team_page(exc.status, error=exc, form=form)


@bp.get("/settings/team")
@admin_required
def index():
    return _team_page()


@bp.post("/settings/team/invites")
@admin_required
def create_invite():
    form = {"email": request.form.get("email", ""), "role": request.form.get("role", "agent")}
    try:
        # Only the "Make a new link" button of InviteRepeated replaces an invite made minutes ago,
        # and only the one it names (a reload of that confirmation names an older one).
        row, plaintext = lifecycle.invite(current_user.workspace_id, form["email"], form["role"], current_user,
                                          replace=valid_id(request.form.get("replace")) or False)
    except TeamRefused as exc:
        db.session.rollback()
        return _refused(exc, form)
    audit.record("team.invite", f"Invited {row.email} as {row.role}", invite_id=row.id)
    db.session.commit()
    link = public_url_for("team.accept_invite", token=plaintext)
    mailed = queue_mail(row.email, f"Join {current_user.workspace.name} on Instagram Inbox",
                        notices.invite_mail(current_user, row, link))
    return _team_page(new_link=link, link_kind="invite", link_for=row.email, mailed=mailed)


@bp.post("/settings/team/invites/<int:invite_id>/revoke")
@admin_required
def revoke_invite(invite_id: int):
    row = get_or_404(Invite, invite_id)
    lifecycle.revoke_invite(row)
    audit.record("team.invite_withdrawn", f"Withdrew the invite of {row.email}", invite_id=row.id)
    db.session.commit()
    flash("Invite withdrawn; its link no longer works.", "info")
    return redirect(url_for("team.index"))


def _member(user_id: int) -> User:
    return get_or_404(User, user_id)


def _done(message: str):
    db.session.commit()
    flash(message, "info")
    return redirect(url_for("team.index"))


@bp.post("/settings/team/<int:user_id>/role")
@admin_required
def change_role(user_id: int):
    member = _member(user_id)
    try:
        lifecycle.change_role(member, request.form.get("role", ""))
    except TeamRefused as exc:
        db.session.rollback()
        return _refused(exc)
    audit.record("team.role", f"Made {member.email} {member.role}", user_id=member.id, role=member.role)
    if member.id == current_user.id and member.role != "admin":
        # An agent may not see the team page: back to the inbox, saying so, not to a 403.
        db.session.commit()
        flash("You are now an agent; another admin can make you an admin again.", "info")
        return redirect(url_for("inbox.index"))
    return _done(f"{member.display_name} is now {'an admin' if member.role == 'admin' else 'an agent'}.")


@bp.post("/settings/team/<int:user_id>/deactivate")
@admin_required
def deactivate(user_id: int):
    member = _member(user_id)
    try:
        lifecycle.deactivate(member)
    except TeamRefused as exc:
        db.session.rollback()
        return _refused(exc)
    audit.record("team.deactivate", f"Deactivated {member.email}", user_id=member.id)
    return _done(f"{member.display_name} is deactivated and signed out everywhere. Their conversations and "
                 "leads stay; reassign them below.")


@bp.post("/settings/team/<int:user_id>/reactivate")
@admin_required
def reactivate(user_id: int):
    member = _member(user_id)
    lifecycle.reactivate(member)
    audit.record("team.reactivate", f"Reactivated {member.email}", user_id=member.id)
    return _done(f"{member.display_name} can sign in again.")


@bp.post("/settings/team/<int:user_id>/reassign")
@admin_required
def reassign(user_id: int):
    member = _member(user_id)
    target = db.session.scalar(scoped(User).where(User.id == (valid_id(request.form.get("to")) or 0)))
    try:
        if target is None:
            raise TeamRefused("to", "Choose an active member of this workspace.")
        conversations, leads = lifecycle.reassign(member, target)
    except TeamRefused as exc:
        db.session.rollback()
        return _refused(exc)
    audit.record("team.reassign", f"Gave {_count(conversations, 'conversation')} and {_count(leads, 'lead')} of "
                                  f"{member.email} to {target.email}", user_id=member.id, to_user_id=target.id)
    return _done(f"Gave {_count(conversations, 'open conversation')} and {_count(leads, 'open lead')} of "
                 f"{member.display_name} to {target.display_name}.")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


@bp.post("/settings/team/<int:user_id>/reset")
@admin_required
def issue_reset(user_id: int):
    member = _member(user_id)
    if not member.active:
        return _refused(TeamRefused(None, f"{member.display_name} is deactivated; reactivate them first.", 409))
    _, plaintext = lifecycle.issue_reset(member, current_user)
    audit.record("team.password_link", f"Issued a password link for {member.email}", user_id=member.id)
    db.session.commit()
    link = public_url_for("team.reset_password", token=plaintext)
    mailed = queue_mail(member.email, "Set your Instagram Inbox password", notices.reset_mail(member, link))
    return _team_page(new_link=link, link_kind="reset", link_for=member.email, mailed=mailed)


# -- links anyone holding them may open -----------------------------------------------------------

def _gone(title: str, message: str, status: int):
    return _no_store(make_response(render_template("errors/error.html", status=status, title=title,
                                                   message=message), status))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str):
    row = lifecycle.find_invite(token)
    if row is None:
        return _gone("Invite not found", "This invite link is not valid. Check that it was copied whole.", 404)
    if not row.pending:
        return _gone("Invite no longer valid", "This invite has already been used, replaced or has expired. "
                                               "Ask an admin of the workspace for a new one.", 410)
    if current_user.is_authenticated:
        return _no_store(make_response(render_template("team/accept.html", invite=row, signed_in=True), 409))
    error, status = None, 200
    if request.method == "POST":
        try:
            user = lifecycle.accept_invite(row, request.form.get("name", ""), request.form.get("password", ""))
            audit.record("team.joined", f"{user.email} joined as {user.role} (invited)", actor=user, user_id=user.id)
            db.session.commit()
        except TeamRefused as exc:
            db.session.rollback()
            error, status = exc, exc.status
        else:
            sign_in(user, remember=False)
            flash(f"Welcome to {user.workspace.name}, {user.display_name}.", "info")
            return redirect(url_for("inbox.index"))
    html = render_template("team/accept.html", invite=row, error=error, min_length=MIN_LENGTH,
                           name=request.form.get("name", ""))
    return _no_store(make_response(html, status))


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    row = lifecycle.find_reset(token)
    if row is None:
        return _gone("Link not found", "This password link is not valid. Check that it was copied whole.", 404)
    if not lifecycle.reset_usable(row):
        return _gone("Link no longer valid", "This password link has already been used, replaced or has expired. "
                                             "Ask an admin for a new one.", 410)
    error, status = None, 200
    if request.method == "POST":
        try:
            user = lifecycle.use_reset(row, request.form.get("password", ""))
            db.session.commit()
        except TeamRefused as exc:
            db.session.rollback()
            error, status = exc, exc.status
        else:
            sign_in(user, remember=False)
            flash("Your password is set; every other session of yours has been signed out.", "info")
            return redirect(url_for("inbox.index"))
    html = render_template("team/reset.html", reset=row, error=error, min_length=MIN_LENGTH)
    return _no_store(make_response(html, status))


@bp.post("/settings/password")
@login_required
def change_password():
    try:
        lifecycle.change_password(current_user, request.form.get("current_password", ""),
                                  request.form.get("new_password", ""))
    except TeamRefused as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("settings.index") + "#password", code=303)
    audit.record("team.password_changed", f"{current_user.email} changed their password")
    db.session.commit()
    sign_in(current_user._get_current_object(), remember=False)  # this session goes on under the new generation
    flash("Password changed. You were signed out everywhere else.", "info")
    return redirect(url_for("settings.index"))


# -- "Forgot password?" (only with mail: the link must reach the address's owner, nobody else) ------

def _forgot_client_key() -> str:
    return "forgot|" + client_address()


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit("10 per hour", key_func=_forgot_client_key, methods=["POST"])
def forgot_password():
    if not mail_enabled():
        abort(404)
    sent = False
    if request.method == "POST":
        email = (request.form.get("email") or "").strip().lower()[:254]
        user = db.session.scalar(select(User).where(User.email == email)) if email else None
        if user is not None and user.active:
            _, plaintext = lifecycle.issue_reset(user, None)
            db.session.commit()
            queue_mail(user.email, "Set your Instagram Inbox password",
                       notices.reset_mail(user, public_url_for("team.reset_password", token=plaintext)))
        sent = True  # the same answer whether or not the address has an account
    return _no_store(make_response(render_template("team/forgot.html", sent=sent)))
