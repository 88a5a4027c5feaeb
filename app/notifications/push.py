"""Notifications out over Web Push: to every device a person turned push on for (app/pwa/devices.py),
encrypted for that device (aes128gcm, RFC 8188/8291) and signed with the server's VAPID key
(RFC 8292), through pywebpush / py-vapid. Always from a job (app/notifications/jobs.py), never in a
request.

How a row gets here: app.notifications.create writes it with `push_pending` in the event's own
transaction and asks for `deliver_push` after that transaction commits
(app.jobs.after_commit : enqueue_after_commit; forgotten when it rolls back). Rows whose job was lost (Redis
down, a worker crash before the claim) are found by the minute-by-minute sweep: nothing depends on
Redis.

A batch is claimed first (`push_pending` cleared, `FOR UPDATE SKIP LOCKED` on PostgreSQL, so two
jobs never take the same row) and that claim is committed before anything is sent: no transaction
stays open during the calls, and a crash mid-batch loses those pushes (the notification itself
stays in the bell) rather than sending twice. Per device: 201 → last_sent_at; 404/410 (the browser
unsubscribed or the subscription expired) → the device is deleted; 429, 5xx or no answer →
last_error and a retry job for that device alone, on app.notifications.jobs.PUSH_RETRY; other answers (400, 401,
403, 413) → last_error, no retry, since sending the same again cannot help. The outbound guard is
checked again at send time, and the request goes to the address it checked (app/net/guard.py).

Payload: {"title", "body", "url", "tag"}. The body is the notification's line (which carries the
customer's words) only when the person keeps previews on (users.notification_previews); otherwise
a fixed sentence, so a locked phone shows no customer text. The tag is the conversation: a busy chat
replaces its alert on the device rather than stacking, and the same value as the push's Topic lets
the push service drop an undelivered older one.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import requests
from flask import current_app
from pywebpush import WebPushException, webpush
from sqlalchemy import select, update

from app.extensions import db
from app.models import Notification, PushSubscription, User, utcnow
from app.net.guard import DestinationRefused, check_destination, pinned_session
from app.pwa import vapid

log = logging.getLogger(__name__)

BATCH = 100
# How long a push service keeps a message for a device that is offline; also the age after which a
# pending row is no longer worth a push (the bell still has it).
TTL = timedelta(hours=12)
SEND_TIMEOUT = (5, 10)  # connect, read (seconds)
# The sweep takes only rows older than this, so it leaves the just-committed ones to their own job.
SWEEP_AFTER = timedelta(minutes=1)

TITLES = {
    "new_conversation": "New conversation",
    "new_message": "New message",
    "assigned": "Assigned to you",
    "mention": "You were mentioned in a note",
    "follow_up_due": "Follow-up due",
    "account_attention": "An Instagram account needs attention",
}
# With previews off: what happened, never who or what they wrote.
PRIVATE_BODIES = {
    "new_conversation": "A new customer wrote. Open the inbox to read it.",
    "new_message": "A customer wrote. Open the inbox to read it.",
    "assigned": "Open the inbox to see the conversation.",
    "mention": "Open the inbox to read the note.",
    "follow_up_due": "Open the inbox to see the lead.",
    "account_attention": "Open Accounts to reconnect it.",
}
# Urgency (RFC 8030 §5.3): what a person waits for wakes a sleeping phone; the rest may wait for it.
URGENCY = {"new_conversation": "high", "new_message": "high", "assigned": "high", "mention": "high",
           "follow_up_due": "normal", "account_attention": "normal"}
TEST_MESSAGE = {"title": "Test notification", "body": "Push notifications reach this device.",
                "url": "/settings/profile", "tag": "push-test"}


class PushFailed(RuntimeError):
    """A device could not be reached for now; raised by the retry job so that RQ retries it."""


@dataclass(frozen=True)
class Outcome:
    status: str            # "sent", "gone" (delete the device), "retry" (transient), "failed" (permanent)
    error: str | None = None


@dataclass
class _Device:
    id: int
    endpoint: str
    p256dh: str
    auth: str


@dataclass
class _Pending:
    notification_id: int
    message: dict
    urgency: str
    devices: list[_Device] = field(default_factory=list)


# --- the payload -----------------------------------------------------------------------------------

def message_for(notification: Notification, previews: bool) -> dict:
    title = TITLES[notification.type]
    if notification.type == "new_message" and notification.count > 1:
        title = f"{notification.count} new messages"
    body = (notification.text or "") if previews else PRIVATE_BODIES[notification.type]
    return {"title": title, "body": body or PRIVATE_BODIES[notification.type],
            "url": _path_for(notification), "tag": _tag_for(notification)}


def _path_for(notification: Notification) -> str:
    # Paths, not url_for: a job has no request to build absolute URLs from, and the service
    # worker resolves a path against its own origin.
    if notification.conversation_id is not None:
        return f"/conversations/{notification.conversation_id}"
    if notification.lead_id is not None:
        return "/leads"
    if notification.account_id is not None:
        return "/accounts"
    return "/notifications"


def _tag_for(notification: Notification) -> str:
    if notification.conversation_id is not None:
        return f"conversation-{notification.conversation_id}"
    return f"notification-{notification.id}"


# --- one send --------------------------------------------------------------------------------------

def send(device: _Device | PushSubscription, message: dict, *, urgency: str = "normal") -> Outcome:
    """One encrypted, VAPID-signed push to one device. Never raises for the device's or the push
    service's failures: they come back as an Outcome."""
    config = current_app.config
    try:
        destination = check_destination(device.endpoint, require_https=True)
    except DestinationRefused as exc:
        return Outcome("failed", f"Refused: {exc}"[:300])
    host = destination.host
    subscription = {"endpoint": device.endpoint, "keys": {"p256dh": device.p256dh, "auth": device.auth}}
    headers = {"Urgency": urgency}
    if len(message.get("tag") or "") <= 32:
        headers["Topic"] = message["tag"]  # RFC 8030 §5.4: at most 32 base64url characters
    session = pinned_session(destination)
    try:
        webpush(subscription, json.dumps(message, separators=(",", ":")),
                vapid_private_key=config["VAPID_PRIVATE_KEY"],
                vapid_claims={"sub": config["VAPID_SUBJECT"]},  # aud and exp (12 h) are set by pywebpush
                content_encoding="aes128gcm", ttl=int(TTL.total_seconds()), headers=headers,
                timeout=SEND_TIMEOUT, requests_session=session)
    except WebPushException as exc:
        status = exc.status_code
        if status is None:  # pywebpush's own refusal (a key it cannot use): nothing went out
            return Outcome("failed", f"Could not encrypt for this device: {exc.message}"[:300])
        if status in (404, 410):
            return Outcome("gone")
        error = f"{host} answered {status}"
        if status == 429 or status >= 500:
            return Outcome("retry", error)
        return Outcome("failed", error)
    except DestinationRefused as exc:  # a redirect elsewhere, refused by the pinned session
        return Outcome("failed", f"Refused: {exc}"[:300])
    except requests.RequestException as exc:
        # Never the exception's text: it holds the endpoint, a capability URL.
        return Outcome("retry", f"{host} could not be reached ({type(exc).__name__})")
    finally:
        session.close()
    return Outcome("sent")


def _record(device_id: int, outcome: Outcome, now: datetime) -> None:
    if outcome.status == "gone":
        db.session.execute(PushSubscription.__table__.delete().where(PushSubscription.id == device_id))
        return
    values = {"last_sent_at": now, "last_error": None} if outcome.status == "sent" else {"last_error": outcome.error}
    db.session.execute(update(PushSubscription).where(PushSubscription.id == device_id).values(**values))


# --- claiming and delivering the pending rows -----------------------------------------------------

def _claim(limit: int, created_before: datetime | None) -> list[int]:
    """Take up to `limit` pending rows: their flag is cleared in this transaction (the caller
    commits before sending). On PostgreSQL the rows another job is claiming are skipped, not waited
    for; SQLite has one writer at a time, which serialises claims by itself."""
    candidates = select(Notification.id).where(Notification.push_pending).order_by(Notification.id).limit(limit)
    if created_before is not None:
        candidates = candidates.where(Notification.created_at < created_before)
    if db.session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    claimed = db.session.scalars(
        update(Notification).where(Notification.id.in_(candidates.scalar_subquery()), Notification.push_pending)
        .values(push_pending=False).returning(Notification.id).execution_options(synchronize_session=False))
    return sorted(claimed)


def _prepare(ids: list[int], now: datetime) -> list[_Pending]:
    """What to send for the claimed rows: unread, recent ones, to each recipient's devices."""
    rows = db.session.execute(
        select(Notification, User.notification_previews).join(User, User.id == Notification.user_id)
        .where(Notification.id.in_(ids), Notification.read_at.is_(None), Notification.created_at >= now - TTL)
        .order_by(Notification.id)).all()
    if not rows:
        return []
    user_ids = {n.user_id for n, _ in rows}
    devices: dict[int, list[_Device]] = {}
    for sub in db.session.scalars(select(PushSubscription).where(PushSubscription.user_id.in_(user_ids))
                                  .order_by(PushSubscription.id)):
        devices.setdefault(sub.user_id, []).append(_Device(sub.id, sub.endpoint, sub.p256dh, sub.auth))
    return [_Pending(n.id, message_for(n, previews), URGENCY[n.type], devices.get(n.user_id, []))
            for n, previews in rows if devices.get(n.user_id)]


def deliver_pending(*, created_before: datetime | None = None) -> int:
    """Send every pending row (or those created before `created_before`, for the sweep), batch by
    batch; returns how many rows were claimed. Transient failures queue a retry per device."""
    from app.jobs import QUEUE_DEFAULT, enqueue
    from app.notifications.jobs import PUSH_RETRY, retry_push_job  # the job module imports this one

    handled = 0
    while True:
        ids = _claim(BATCH, created_before)
        now = utcnow()
        batch = _prepare(ids, now) if ids and vapid.enabled() else []  # push off: the claim just clears them
        db.session.commit()  # the claim, before anything is sent
        retries = []
        for pending in batch:
            for device in pending.devices:
                outcome = send(device, pending.message, urgency=pending.urgency)
                _record(device.id, outcome, utcnow())
                if outcome.status == "retry":
                    retries.append((pending.notification_id, device.id))
        db.session.commit()
        for notification_id, device_id in retries:
            enqueue(retry_push_job, notification_id, device_id, queue=QUEUE_DEFAULT, retry=PUSH_RETRY)
        handled += len(ids)
        if len(ids) < BATCH:
            return handled


def retry_one(notification_id: int, device_id: int) -> None:
    """One device's push again (the retry job). Raises PushFailed while the failure is transient,
    so the job's retry policy decides how often and how long."""
    notification = db.session.get(Notification, notification_id)
    device = db.session.get(PushSubscription, device_id)
    now = utcnow()
    if (notification is None or device is None or device.user_id != notification.user_id
            or notification.read_at is not None or notification.created_at < now - TTL or not vapid.enabled()):
        return  # read, gone, too old or push turned off since: nothing left to do
    user = db.session.get(User, notification.user_id)
    message = message_for(notification, user.notification_previews)
    urgency = URGENCY[notification.type]
    db.session.commit()  # no transaction open during the call
    outcome = send(device, message, urgency=urgency)
    _record(device_id, outcome, utcnow())
    db.session.commit()
    if outcome.status == "retry":
        raise PushFailed(outcome.error)


def send_test(user_id: int) -> dict[str, int]:
    """The "Send a test notification" button: every device of the person, once, no retry; the
    devices list shows each result (last sent, last error)."""
    if not vapid.enabled():
        return {}
    devices = [_Device(d.id, d.endpoint, d.p256dh, d.auth) for d in db.session.scalars(
        select(PushSubscription).where(PushSubscription.user_id == user_id).order_by(PushSubscription.id))]
    db.session.commit()
    counts: dict[str, int] = {}
    for device in devices:
        outcome = send(device, TEST_MESSAGE, urgency="normal")
        _record(device.id, outcome, utcnow())
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    db.session.commit()
    return counts
