"""The installable app's addresses and Settings → Profile's Devices section.

- `GET /manifest.webmanifest`, `GET /service-worker.js`, `GET /offline`: public (no sign-in, no
  person's data), so an installed app and its worker work from the sign-in page too;
- `POST /push/subscriptions` (the browser's PushSubscription as JSON, CSRF header) and
  `DELETE /push/subscriptions` ({"endpoint"}): static/js/push.js after the person turned push on or
  off on this device; errors in the one JSON error shape, 422 naming the field;
- `GET /push/devices`, `POST /push/devices/<id>/remove`, `POST /push/test`: the Devices section
  (templates/pwa/_devices.html) as htmx fragments.
"""
from __future__ import annotations

from flask import Response, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.extensions import db
from app.htmx_responses import is_fragment_request, render_fragment
from app.json_errors import json_error
from app.pwa import bp, devices, manifest, vapid
from app.pwa.devices import SubscriptionRefused
from app.scoping import valid_id

NO_CACHE = "no-cache"  # the browser may keep it but must ask first: a deploy is seen at once


@bp.get("/manifest.webmanifest")
def web_manifest():
    response = current_app.json.response(manifest.manifest())
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = NO_CACHE
    return response


@bp.get("/service-worker.js")
def service_worker():
    # Served from the root, so its default scope is "/" (a worker under /static/ could only ever
    # control /static/). Never cached by HTTP: the browser compares its bytes to find updates.
    response = Response(manifest.service_worker_source(), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache, max-age=0"
    return response


@bp.get("/offline")
def offline():
    # The same page for everyone and no one's data: the worker fetches it without cookies and keeps it.
    response = Response(render_template(manifest.OFFLINE_TEMPLATE))
    response.headers["Cache-Control"] = NO_CACHE
    return response


# --- subscriptions from static/js/push.js ---------------------------------------------------------

def _refused(exc: SubscriptionRefused):
    return json_error(422, "invalid_subscription", str(exc), field=exc.field)


@bp.post("/push/subscriptions")
@login_required
def subscribe():
    if not vapid.enabled():
        return json_error(409, "push_off", "Web Push is not set up on this server: " + vapid.HOW_TO_ENABLE + ".")
    data = request.get_json(silent=True)
    try:
        row, created = devices.subscribe(current_user, data, request.user_agent.string)
    except SubscriptionRefused as exc:
        db.session.rollback()
        return _refused(exc)
    db.session.commit()
    body = {"data": {"id": row.id, "device": row.device, "created_at": row.created_at.isoformat()}}
    return current_app.json.response(body), 201 if created else 200


@bp.delete("/push/subscriptions")
@login_required
def unsubscribe():
    data = request.get_json(silent=True)
    try:
        removed = devices.unsubscribe(current_user, data.get("endpoint") if isinstance(data, dict) else None)
    except SubscriptionRefused as exc:
        return _refused(exc)
    db.session.commit()
    if not removed:
        return json_error(404, "not_found", "No device of yours has this endpoint.")
    return Response(status=204)


# --- the Devices section --------------------------------------------------------------------------

def _section(status: int = 200, notice: str | None = None):
    return render_fragment("pwa/_devices.html", status=status, push_notice=notice)


@bp.get("/push/devices")
@login_required
def device_list():
    if not is_fragment_request():
        # The section's own URL, opened as a page (typed, a bookmark): the page it belongs to.
        return redirect(url_for("settings.profile") + "#push-devices")
    return _section()


@bp.post("/push/devices/<device_id>/remove")
@login_required
def remove_device(device_id):
    row = devices.remove(current_user, valid_id(device_id))
    if row is None:
        return _section(404, "That device is not in your list (already removed?).")
    db.session.commit()
    return _section(notice=f"{row.device or 'The device'} will get no more push notifications.")


@bp.post("/push/test")
@login_required
def send_test():
    from app.jobs import QUEUE_DEFAULT, enqueue
    from app.notifications.jobs import send_test_push

    if not vapid.enabled():
        return _section(409, "Web Push is not set up on this server.")
    count = len(devices.devices(current_user.id))
    if not count:
        return _section(422, "Turn on push on a device first.")
    enqueue(send_test_push, current_user.id, queue=QUEUE_DEFAULT)
    return _section(notice=f"A test notification is on its way to {count} device{'s' if count != 1 else ''}. "
                           "Refresh the list to see the result.")


@bp.app_template_global()
def push_devices_panel() -> dict:
    """What templates/pwa/_devices.html shows: the signed-in person's devices and the key."""
    return {"enabled": vapid.enabled(), "public_key": vapid.public_key(), "keys_command": vapid.KEYS_COMMAND,
            "devices": devices.devices(current_user.id)}
