"""The notification centre's pages: the bell's poll, the list, opening one, "Mark all read", and
Settings → Notifications. Thin: what a person sees is app.notifications.feed, marking read
app.notifications.reading, the preferences app.notifications.preferences.

Every row is looked up with the signed-in person's id and workspace: anyone else's notification
is a 404, exactly like one that does not exist."""
from __future__ import annotations

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.htmx_responses import empty_fragment, hx_trigger, render_fragment
from app.models import Notification
from app.notifications import bp, feed, preferences, reading
from app.notifications.kinds import CHANNEL_LABELS, CHANNELS
from app.mail import mail_enabled
from app.pwa import vapid
from app.pagination import BadCursor
from app.scoping import current_workspace_id, valid_id

PAGE_SIZE = 30


def _own_or_404(notification_id) -> Notification:
    notification_id = valid_id(notification_id)
    row = None
    if notification_id is not None:
        row = db.session.scalar(select(Notification).where(
            Notification.id == notification_id, Notification.user_id == current_user.id,
            Notification.workspace_id == current_workspace_id()))
    if row is None:
        abort(404, description="No such notification.")
    return row


@bp.get("/notifications/bell")
@login_required
def bell():
    """The bell's poll (every few seconds on every page, templates/notifications/_bell.html):
    204 with no body while the person's unread notifications and inbox badge are as the client's
    token says; else the bell, the badge and the new token out of band, and in `HX-Trigger` the new ones that go to the desktop
    (ids, text, URL) for static/js/notify.js."""
    since = feed.BellState.from_token(request.args.get("since"))
    state = feed.bell_state(current_user.id)
    if since == state:
        return empty_fragment(204)
    response = render_fragment("notifications/_bell_update.html", bell=state, bell_changed=feed.bell_changed(since, state))
    news = feed.news_since(current_user.id, since) if since is not None else []
    if news:
        hx_trigger(response, {"notifications:new": {"items": [feed.alert(item) for item in feed.shown(news)]}})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/notifications")
@login_required
def index():
    unread_only = request.args.get("unread") == "1"
    try:
        rows, next_cursor = feed.page(current_user.id, unread_only=unread_only,
                                      cursor=request.args.get("before") or None, limit=PAGE_SIZE)
    except BadCursor:
        abort(400, description="That page link is not valid; start from the newest.")
    response = make_response(render_template("notifications/index.html", items=feed.shown(rows),
                                             next_cursor=next_cursor, unread_only=unread_only,
                                             first_page=not request.args.get("before")))
    # Opening an item marks it read and leaves the page: Back must ask again, not show the list
    # from the cache with that item still unread (the page also reloads when the browser restores
    # it whole from its back/forward cache: data-fresh-on-back, static/js/app.js).
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/notifications/<notification_id>/open")
@login_required
def open_notification(notification_id):
    """Read it and go where it points (its conversation, lead or account)."""
    row = _own_or_404(notification_id)
    reading.mark_read(current_user.id, [row.id])
    db.session.commit()
    return redirect(feed.target_url(row))


@bp.post("/notifications/read-all")
@login_required
def read_all():
    marked = reading.mark_all_read(current_user.id)
    db.session.commit()
    flash("All notifications marked read." if marked else "Nothing was unread.", "info")
    return redirect(url_for("notifications.index"))


@bp.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def preferences_page():
    if request.method == "POST":
        preferences.save(current_user, set(request.form), previews=request.form.get("previews") == "on")
        db.session.commit()
        flash("Notification settings saved.", "info")
        return redirect(url_for("notifications.preferences_page"))
    # Channels this server cannot use yet: the choices are kept, and the page says they wait.
    unavailable = {key: CHANNEL_LABELS[key] for key, on in (("push", vapid.enabled()), ("email", mail_enabled())) if not on}
    return render_template("notifications/preferences.html", choices=preferences.choices(current_user),
                           channels=CHANNELS, channel_labels=CHANNEL_LABELS, field_name=preferences.field_name,
                           unavailable=unavailable, push_keys_command=vapid.KEYS_COMMAND)


def poll_seconds() -> int:
    """The bell's poll interval (templates/notifications/_bell.html)."""
    return int(current_app.config.get("BELL_POLL_SECONDS") or feed.POLL_SECONDS)
