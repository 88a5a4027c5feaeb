"""Settings → Integrations (admins only): add a webhook endpoint (its secret shown once), pause,
resume or delete it, send it a test event, and per endpoint its deliveries with every attempt and a
Redeliver button. Thin: the rules are in app.integrations.endpoints, .events and .sending."""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask import abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select

from app.auth.roles import admin_required
from app.errors import ActionRefused
from app.extensions import db
from app.integrations import bp, events as webhook_events
from app.integrations.endpoints import (
    create_endpoint,
    delete_endpoint,
    delivery_in,
    endpoint_in,
    host_of,
    require_https,
    set_active,
    workspace_endpoints,
)
from app.integrations.events import EVENTS
from app.integrations.sending import BACKOFF, LEASE, MAX_ATTEMPTS, redeliver
from app.models import WebhookAttempt, WebhookDelivery, utcnow
from app.scoping import current_workspace_id, valid_id

WHY = "Only workspace admins can manage integrations."
DELIVERIES_PER_PAGE = 25
# Forms whose endpoint was created, so reloading the page that shows the secret (which re-posts the
# form) adds no second endpoint. A few ids in the session; never the secret.
USED_FORMS = "used_webhook_forms"

EVENT_HELP = {
    "lead.created": "A new customer wrote for the first time and became a lead",
    "lead.updated": "A lead's stage, owner, value, contact details, follow-up or notes changed",
    "conversation.assigned": "A conversation was given to someone (or unassigned)",
    "message.created": "A message arrived from a customer, or a reply was queued",
}


def _page(status: int = 200, *, error: ActionRefused | None = None, form: dict | None = None,
          created=None, secret: str | None = None, already_created: bool = False):
    response = make_response(render_template(
        "integrations/index.html", endpoints=workspace_endpoints(current_workspace_id()), events=EVENTS,
        event_help=EVENT_HELP, error=error, form=form or {"events": list(EVENTS)}, created=created, secret=secret,
        already_created=already_created, form_id=secrets.token_urlsafe(16), https_only=require_https(),
        host_of=host_of), status)
    response.headers["Cache-Control"] = "no-store"  # it can show a secret
    return response


def _endpoint_or_404(endpoint_id: int):
    endpoint = endpoint_in(current_workspace_id(), endpoint_id) if valid_id(endpoint_id) else None
    if endpoint is None:
        abort(404, description="This endpoint does not exist (any more), or it belongs to another workspace.")
    return endpoint


@bp.get("/settings/integrations")
@admin_required(why=WHY)
def index():
    return _page()


@bp.post("/settings/integrations")
@admin_required(why=WHY)
def create():
    form_id = (request.form.get("form_id") or "")[:64]
    used = session.get(USED_FORMS) or []
    if form_id and form_id in used:
        return _page(already_created=True)
    form = {"url": request.form.get("url", ""), "events": request.form.getlist("events")}
    try:
        endpoint, secret = create_endpoint(current_workspace_id(), form["url"], form["events"],
                                           current_user._get_current_object())
    except ActionRefused as refused:
        db.session.rollback()
        return _page(422, error=refused, form=form)
    if form_id:
        session[USED_FORMS] = [*used, form_id][-5:]
    return _page(201, created=endpoint, secret=secret)


@bp.post("/settings/integrations/<int:endpoint_id>/active")
@admin_required(why=WHY)
def change_active(endpoint_id: int):
    endpoint = _endpoint_or_404(endpoint_id)
    active = request.form.get("active") == "on"
    set_active(endpoint, active, current_user._get_current_object())
    flash(f"Endpoint on {host_of(endpoint.url)} {'resumed' if active else 'paused'}.", "info")
    if request.form.get("next") == "endpoint":  # the button on the endpoint's own page
        return redirect(url_for("integrations.endpoint_page", endpoint_id=endpoint.id))
    return redirect(url_for("integrations.index"))


@bp.post("/settings/integrations/<int:endpoint_id>/delete")
@admin_required(why=WHY)
def delete(endpoint_id: int):
    endpoint = _endpoint_or_404(endpoint_id)
    host = host_of(endpoint.url)
    delete_endpoint(endpoint, current_user._get_current_object())
    flash(f"Endpoint on {host} deleted, with its deliveries.", "info")
    return redirect(url_for("integrations.index"))


@bp.post("/settings/integrations/<int:endpoint_id>/test")
@admin_required(why=WHY)
def send_test(endpoint_id: int):
    endpoint = _endpoint_or_404(endpoint_id)
    if not endpoint.active:
        flash("Resume the endpoint first: a paused endpoint sends nothing.", "error")
    else:
        webhook_events.ping(endpoint)
        db.session.commit()
        flash("Test event queued; its attempts show below in a moment.", "info")
    return redirect(url_for("integrations.endpoint_page", endpoint_id=endpoint.id))


@bp.get("/settings/integrations/<int:endpoint_id>")
@admin_required(why=WHY)
def endpoint_page(endpoint_id: int):
    endpoint = _endpoint_or_404(endpoint_id)
    before = valid_id(request.args.get("before") or "")
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if before:
        query = query.where(WebhookDelivery.id < before)
    deliveries = list(db.session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(DELIVERIES_PER_PAGE + 1)))
    older = deliveries[DELIVERIES_PER_PAGE - 1].id if len(deliveries) > DELIVERIES_PER_PAGE else None
    deliveries = deliveries[:DELIVERIES_PER_PAGE]
    attempts: dict[int, list[WebhookAttempt]] = {d.id: [] for d in deliveries}
    if deliveries:
        for row in db.session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(list(attempts)))
                                      .order_by(WebhookAttempt.delivery_id, WebhookAttempt.id)):
            attempts[row.delivery_id].append(row)
    # A try due soon, or one under way (claimed: its lease pushed next_attempt_at ahead).
    soon = utcnow() + LEASE + timedelta(minutes=1)
    refresh = endpoint.active and any(d.status == "pending" and d.next_attempt_at and d.next_attempt_at <= soon
                                      for d in deliveries)
    return render_template("integrations/endpoint.html", hook=endpoint, deliveries=deliveries, refresh=refresh,
                           attempts=attempts, older=older, max_attempts=MAX_ATTEMPTS,
                           backoff=[_span(step) for step in BACKOFF])


def _span(step: timedelta) -> str:
    minutes = int(step.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes >= 60 and minutes % 60 == 0 else f"{minutes} min"


@bp.post("/settings/integrations/deliveries/<int:delivery_id>/redeliver")
@admin_required(why=WHY)
def redeliver_delivery(delivery_id: int):
    delivery = delivery_in(current_workspace_id(), delivery_id) if valid_id(delivery_id) else None
    if delivery is None:
        abort(404, description="No such delivery in this workspace.")
    redeliver(delivery)
    db.session.commit()
    # Queued either way (a paused endpoint keeps its deliveries for when it is resumed), but only an
    # active one sends now: saying "queued" alone read as sent while nothing went out.
    later = "" if delivery.endpoint.active else " It goes out when you resume the endpoint: a paused endpoint sends nothing."
    flash(f"Delivery {delivery.event_id} queued again, with the same body and id.{later}", "info")
    return redirect(url_for("integrations.endpoint_page", endpoint_id=delivery.endpoint_id))
