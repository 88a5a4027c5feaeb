import secrets

from flask import flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app import audit
from app.auth.api_tokens import create_token, revoke
from app.extensions import db
from app.auth.roles import admin_required
from app.assignment.availability import check_auto_away_minutes
from app.errors import ActionRefused
from app.inbox.localtime import forget_zone
from app.automation.hours import HoursInvalid, timezone_names, valid_timezone
from app.models import ApiToken, Workspace
from app.notifications.email import ALERT_DELAY_MINUTES
from app.scoping import valid_id
from app.settings import bp


def _my_tokens():
    return db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.created_at.desc())
    ).all()


# The forms whose token was created, so that reloading the page that shows it (which re-posts
# the same form) creates no second token. A few ids in the session; never the token itself.
USED_TOKEN_FORMS = "used_token_forms"


def _page(new_token: str | None = None, already_created: bool = False):
    response = make_response(render_template("settings/index.html", tokens=_my_tokens(), new_token=new_token,
                                             already_created=already_created, form_id=secrets.token_urlsafe(16)))
    # The page can show a secret: never keep it in a cache or the back/forward history.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/settings")
@login_required
def index():
    return _page()


@bp.post("/settings/tokens")
@login_required
def create_api_token():
    form_id = (request.form.get("form_id") or "")[:64]
    used = session.get(USED_TOKEN_FORMS) or []
    if form_id and form_id in used:
        return _page(already_created=True)
    name = (request.form.get("name") or "").strip()[:120] or "API token"
    row, plaintext = create_token(current_user, name)
    db.session.flush()
    audit.record("token.created", f"Created the API token “{name}” ({row.prefix}…)", token_id=row.id)
    db.session.commit()
    if form_id:
        session[USED_TOKEN_FORMS] = [*used, form_id][-5:]
    # Shown once, in this response only; it is never stored or shown again.
    return _page(new_token=plaintext)


@bp.post("/settings/tokens/<int:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int):
    token = None
    if valid_id(token_id) is not None:  # a larger number never reaches the query (F-11)
        token = db.session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == current_user.id))
    if token is None:
        return render_template("errors/error.html", status=404, title="Not found", message="No such token."), 404
    revoke(token)
    audit.record("token.revoked", f"Revoked the API token “{token.name}” ({token.prefix}…)", token_id=token.id)
    db.session.commit()
    flash(f"Token “{token.name}” revoked.", "info")
    return redirect(url_for("settings.index"))


# -- Settings → Workspace (admins) -----------------------------------------------------------------

@bp.route("/settings/workspace", methods=["GET", "POST"])
@admin_required
def workspace():
    row = current_user.workspace
    errors: dict[str, str] = {}
    form = {"name": row.name, "timezone": row.timezone, "human_agent": row.human_agent_enabled,
            "alert_email_after_minutes": str(row.alert_email_after_minutes),
            "auto_away_minutes": str(row.auto_away_minutes),
            "mark_seen": row.mark_seen_enabled, "typing_indicator": row.typing_indicator_enabled}
    status = 200
    if request.method == "POST":
        form = {"name": (request.form.get("name") or "").strip(), "timezone": (request.form.get("timezone") or "").strip(),
                "human_agent": request.form.get("human_agent") == "on",
                # Absent (a form from before the field existed): unchanged.
                "alert_email_after_minutes": request.form.get("alert_email_after_minutes",
                                                              str(row.alert_email_after_minutes)).strip(),
                "auto_away_minutes": request.form.get("auto_away_minutes", str(row.auto_away_minutes)).strip(),
                # Checkboxes: absent when unticked, so a form from before they existed sends a
                # `customers_see` marker with them; without it they stay as they were.
                "mark_seen": (request.form.get("mark_seen") == "on") if "customers_see" in request.form
                else row.mark_seen_enabled,
                "typing_indicator": (request.form.get("typing_indicator") == "on") if "customers_see" in request.form
                else row.typing_indicator_enabled}
        errors = _workspace_errors(row, form)
        if not errors:
            minutes = int(form["alert_email_after_minutes"])
            away_after = int(form["auto_away_minutes"])
            changed = [f"{label} {value!r}" for label, key, value in (("name", "name", form["name"]),
                       ("time zone", "timezone", form["timezone"]), ("Human Agent", "human_agent_enabled", form["human_agent"]),
                       ("email alerts after (minutes)", "alert_email_after_minutes", minutes),
                       ("away after (minutes)", "auto_away_minutes", away_after),
                       ("read receipts", "mark_seen_enabled", form["mark_seen"]),
                       ("typing indicator", "typing_indicator_enabled", form["typing_indicator"]))
                       if getattr(row, key) != value]
            row.name, row.timezone, row.human_agent_enabled = form["name"], form["timezone"], form["human_agent"]
            row.mark_seen_enabled, row.typing_indicator_enabled = form["mark_seen"], form["typing_indicator"]
            row.alert_email_after_minutes = minutes
            row.auto_away_minutes = away_after
            if changed:
                audit.record("settings.workspace", "Workspace settings: " + ", ".join(changed))
            db.session.commit()
            forget_zone()
            flash("Workspace settings saved.", "info")
            return redirect(url_for("settings.workspace"))
        status = 422
    return render_template("settings/workspace.html", form=form, errors=errors, zones=timezone_names()), status


def _workspace_errors(row: Workspace, form: dict) -> dict[str, str]:
    errors = {}
    if not form["name"] or len(form["name"]) > 120:
        errors["name"] = "Enter a name of at most 120 characters."
    elif db.session.scalar(select(Workspace.id).where(Workspace.name == form["name"], Workspace.id != row.id)):
        errors["name"] = "Another workspace already has this name."
    try:
        valid_timezone(form["timezone"])
    except HoursInvalid as exc:
        errors["timezone"] = str(exc)
    minutes = form["alert_email_after_minutes"]
    if not (len(minutes) <= 4 and minutes.isascii() and minutes.isdigit() and int(minutes) in ALERT_DELAY_MINUTES):
        errors["alert_email_after_minutes"] = (f"Enter a whole number of minutes from {ALERT_DELAY_MINUTES[0]} "
                                               f"to {ALERT_DELAY_MINUTES[-1]} (a day).")
    try:
        check_auto_away_minutes(form["auto_away_minutes"])
    except ActionRefused as refused:
        errors["auto_away_minutes"] = refused.message
    return errors


# -- Settings → Profile (anyone, their own) --------------------------------------------------------

AVATAR_HUES = range(36)  # the hue-N classes of app.css
# The colour scheme: the device's (prefers-color-scheme), or always light or dark. base.html puts
# it on <html data-theme>, so the page is drawn in it from the first paint.
THEME_CHOICES = {"system": "Same as this device", "light": "Light", "dark": "Dark"}


@bp.route("/settings/profile", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user._get_current_object()
    form = {"name": user.name or "", "timezone": user.timezone or "",
            "avatar_hue": "" if user.avatar_hue is None else str(user.avatar_hue), "theme": user.theme or "system"}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = {key: (request.form.get(key) or "").strip() for key in form}
        if len(form["name"]) > 120:
            errors["name"] = "Use at most 120 characters."
        if form["timezone"]:
            try:
                valid_timezone(form["timezone"])
            except HoursInvalid as exc:
                errors["timezone"] = str(exc)
        hue = valid_hue(form["avatar_hue"])
        if form["avatar_hue"] and hue is None:
            errors["avatar_hue"] = "Choose one of the colours."
        form["theme"] = form["theme"] or user.theme or "system"  # a form without the field keeps it
        if form["theme"] not in THEME_CHOICES:
            errors["theme"] = "Choose system, light or dark."
        if not errors:
            user.name, user.timezone, user.avatar_hue = form["name"] or None, form["timezone"] or None, hue
            user.theme = form["theme"]
            db.session.commit()
            forget_zone()
            flash("Profile saved.", "info")
            return redirect(url_for("settings.profile"))
        status = 422
    return render_template("settings/profile.html", form=form, errors=errors, zones=timezone_names(),
                           hues=AVATAR_HUES, themes=THEME_CHOICES), status


def valid_hue(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and int(raw) in AVATAR_HUES else None


@bp.post("/settings/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    from flask_login import logout_user

    from app.auth.sessions import end_all_sessions

    from app.pwa import devices

    end_all_sessions(current_user)
    devices.forget_all(current_user.id)  # a lost phone must not keep showing customers' messages
    db.session.commit()
    logout_user()
    flash("You are signed out on every device, this one included, and push notifications stop on all of them.",
          "info")
    return redirect(url_for("auth.login"))
