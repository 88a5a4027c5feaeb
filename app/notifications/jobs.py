"""The notification jobs the worker runs (app/jobs/schedule.py lists the periodic ones).

Pruning (`prune_notifications`, daily): a notification is a prompt, not a record, so read ones go
after READ_KEPT and every one after KEPT; the bell and the list stay small, and the unread part
the bell's poll reads (app.notifications.feed) stays bounded. Idempotent; deletes in batches so
no statement holds locks on a big table for long.
(Other helpers' delivery jobs live here too; keep each job's functions together.)"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, delete, or_, select

from app.extensions import db
from app.jobs import RetryPolicy
from app.models import Notification, utcnow
from app.notifications import email, push

READ_KEPT = timedelta(days=30)
KEPT = timedelta(days=90)
PRUNE_BATCH = 5000


def prune_notifications() -> int:
    """Delete read notifications older than READ_KEPT and any older than KEPT; returns how many."""
    now = utcnow()
    stale = or_(and_(Notification.read_at.is_not(None), Notification.created_at < now - READ_KEPT),
                Notification.created_at < now - KEPT)
    total = 0
    while True:
        ids = list(db.session.scalars(select(Notification.id).where(stale).order_by(Notification.id).limit(PRUNE_BATCH)))
        if not ids:
            return total
        db.session.execute(delete(Notification).where(Notification.id.in_(ids)).execution_options(synchronize_session=False))
        db.session.commit()
        total += len(ids)


# --- Web Push (app.notifications.push) ------------------------------------------------------------
# `deliver_push` runs after a commit that wrote rows wanting a push (app.jobs.after_commit);
# `sweep_push` (every minute) takes the rows still pending after a minute, whose job was lost;
# `retry_push_job` is one device's transient failure, retried on PUSH_RETRY; `send_test_push` is
# the Devices section's test button.

# A push service's 429 or 5xx: again after 30 s, 2 min and 10 min, then the device keeps last_error.
PUSH_RETRY = RetryPolicy((30, 120, 600))


def deliver_push() -> int:
    return push.deliver_pending()


def sweep_push() -> int:
    return push.deliver_pending(created_before=utcnow() - push.SWEEP_AFTER)


def retry_push_job(notification_id: int, device_id: int) -> None:
    push.retry_one(notification_id, device_id)


def send_test_push(user_id: int) -> dict[str, int]:
    return push.send_test(user_id)


# --- Email alerts (app.notifications.email) -------------------------------------------------------
# Every minute: each person away for their workspace's delay gets one mail with their pending
# assignment and mention alerts; a failed send leaves them pending and raises after the run.

def send_email_alerts() -> dict[str, int]:
    run = email.send_email_alerts()
    return {"mailed": run.mailed, "alerts": run.alerts, "dropped": run.dropped}
