"""Meta-facing endpoints (verify, deliveries) and the admin's webhook log page.

Only Meta's POST is exempt from CSRF (it is signed instead); the log page's replay button is a
normal form post of a signed-in admin and carries the CSRF token like every other."""
import hmac

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from app import audit
from app.auth.roles import admin_required
from app.extensions import csrf, db
from app.instagram.signature import verify_signature
from app.json_errors import json_error
from app.models import InstagramAccount, WebhookEvent
from app.scoping import current_workspace_id, id_or_404, valid_id
from app.webhooks import bp
from app.webhooks.ingest import ingest_delivery, replay
from app.webhooks.log_page import LOG_STATUSES, pretty_body, workspace_deliveries

SIGNATURE_HEADER = "X-Hub-Signature-256"


@bp.get("/webhooks/instagram")
def verify():
    """Meta's subscription check: echo the challenge when the verify token matches."""
    mode = request.args.get("hub.mode")
    token = request.args.get("hub.verify_token", "")
    challenge = request.args.get("hub.challenge", "")
    expected = current_app.config["INSTAGRAM_VERIFY_TOKEN"]
    if mode == "subscribe" and hmac.compare_digest(token.encode(), expected.encode()):
        return challenge, 200, {"Content-Type": "text/plain; charset=utf-8"}
    return "verification failed", 403, {"Content-Type": "text/plain; charset=utf-8"}


def _read_body(limit: int) -> bytes | None:
    """The raw body, or None when it is larger than `limit` (also without a Content-Length)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks, size = [], 0
    while True:
        chunk = request.stream.read(min(65536, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return None


@bp.post("/webhooks/instagram")
@csrf.exempt
def receive():
    """A delivery: signature on the raw bytes, then `ingest_delivery` stores and applies it and queues
    its follow-ups (docs/contract.md#meta-facing-routes)."""
    limit = current_app.config["WEBHOOK_MAX_BYTES"]
    body = _read_body(limit)
    if body is None:
        return json_error(413, "too_large", f"Webhook bodies are limited to {limit} bytes; nothing was stored.")
    if not verify_signature(current_app.config["INSTAGRAM_APP_SECRET"], body, request.headers.get(SIGNATURE_HEADER)):
        return json_error(401, "invalid_signature", f"Missing or wrong {SIGNATURE_HEADER}; nothing was stored.")
    # A database error from here on is answered 503 by the app's handler, so Meta retries.
    outcome = ingest_delivery(body)
    if outcome.status == "rejected":
        return json_error(400, "not_json", "The body is not JSON; it was kept for audit and not applied.")
    # Applied (perhaps with warnings), ignored or failed: all stored and visible, none a reason for
    # Meta to retry.
    return jsonify(status=outcome.status)


# --------------------------------------------------------------------- the log page


@bp.get("/webhooks/log")
@admin_required
def event_log():
    workspace_id = current_workspace_id()
    status = request.args.get("status") or None
    if status not in (None, *LOG_STATUSES):
        abort(400, description=f"status must be one of {', '.join(LOG_STATUSES)}")
    before = request.args.get("before")
    if before:
        before = valid_id(before)  # ids beyond the column's range never reach the query (F-11)
        if before is None:
            abort(400, description="before must be a delivery number")
    rows, next_before = workspace_deliveries(workspace_id, status=status, before=before)
    usernames = dict(db.session.execute(
        select(InstagramAccount.ig_user_id, InstagramAccount.username).where(InstagramAccount.workspace_id == workspace_id)
    ).all())
    return render_template("webhooks/log.html", rows=rows, status=status, statuses=LOG_STATUSES,
                           next_before=next_before, usernames=usernames, pretty_body=pretty_body)


@bp.post("/webhooks/log/<int:event_id>/replay")
@admin_required
def replay_event(event_id: int):
    workspace_id = current_workspace_id()
    event_id = id_or_404(event_id)
    found = db.session.scalar(
        select(WebhookEvent.id).where(WebhookEvent.id == event_id, WebhookEvent.workspace_id == workspace_id)
    )
    if found is None:
        abort(404)
    outcome = replay(event_id)
    audit.record("webhook.replay", f"Replayed delivery #{event_id}: {outcome.status}", event_id=event_id)
    db.session.commit()
    if outcome.status == "applied":
        note = f" Warnings: {outcome.warnings}" if outcome.warnings else ""
        flash(f"Delivery #{event_id} was applied.{note}", "success")
    else:
        flash(f"Delivery #{event_id} is {outcome.status}: {outcome.error or 'nothing to apply'}", "error")
    return redirect(url_for("webhooks.event_log", status=request.args.get("status") or None))
