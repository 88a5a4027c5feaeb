"""Sending a webhook delivery: claiming what is due, one attempt, the backoff, redelivery, pruning.

A delivery is sent at least once and, for each attempt number, by exactly one job:
1. `claim_due` (the job queued after the event's commit, and the clock's sweep) takes the pending
   deliveries whose time has come, `FOR UPDATE SKIP LOCKED` on PostgreSQL so two claimers never
   take the same row, moves their `next_attempt_at` a lease ahead so nobody claims them again
   meanwhile, and commits before anything is sent.
2. `attempt(delivery_id, expected)` wins the attempt with a compare-and-set on `attempts` (a second
   job for the same claim, or a stale one after the lease ran out, finds the number moved and does
   nothing), commits, and only then calls the receiver: no transaction stays open during the call.
3. The answer: 2xx → `succeeded`; anything else, a timeout or a refused address → the next try
   after BACKOFF[n], and `failed` once they are used up. Each try is a WebhookAttempt row.

A worker that dies mid-call leaves the lease to run out: the sweep claims the delivery again and the
receiver may see that id twice (receivers dedupe on the body's `id`, as with any webhook sender).

The request: `POST url` with the stored body, `Content-Type: application/json`,
`X-Inbox-Signature: sha256=<hex HMAC-SHA256 of the body with the endpoint's secret>`,
`X-Inbox-Event`, `X-Inbox-Delivery` (the body's id); at most TIMEOUT, no redirects, through the
outbound guard checked again now (app/net/guard.py: the address is pinned to the one checked)."""
from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from sqlalchemy import delete, func, or_, select, update

from app.extensions import db
from app.integrations.endpoints import destination as checked_destination, secret_of
from app.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, utcnow
from app.net.guard import DestinationRefused, pinned_session
from app.token_crypto import TokenDecryptError

log = logging.getLogger(__name__)

# After the first try: 1 min, 5 min, 30 min, 2 h, 6 h, 12 h — six retries over about 21 hours.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=6), timedelta(hours=12))
MAX_ATTEMPTS = 1 + len(BACKOFF)
TIMEOUT = (5, 10)  # connect, read (seconds)
# A claimed delivery is not claimed again for this long: far beyond one attempt (TIMEOUT) even
# when the queue is busy, short enough that a crashed worker's delivery goes out again soon.
LEASE = timedelta(minutes=5)
CLAIM_BATCH = 200
KEEP_FOR = timedelta(days=30)
USER_AGENT = "InstagramInbox-Webhooks/1"
ERROR_MAX = 300
KEPT_HEADERS = ("content-type", "content-length", "server", "date", "retry-after", "location")


def signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def claim_due(now: datetime | None = None, limit: int = CLAIM_BATCH) -> list[tuple[int, int]]:
    """Claim pending deliveries of active endpoints due by `now`; returns (id, attempts) for each,
    the claim committed. Oldest due first."""
    now = now or utcnow()
    query = (select(WebhookDelivery.id)
             .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
             .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now,
                    WebhookEndpoint.active.is_(True))
             .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit)
             .with_for_update(of=WebhookDelivery, skip_locked=True))
    candidates = [row.id for row in db.session.execute(query)]
    claimed: list[tuple[int, int]] = []
    if candidates:
        # Still due, checked again by the UPDATE itself: without row locks (SQLite) another claimer
        # may have taken some of these since the SELECT, and then they are not ours.
        claimed = sorted(db.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(candidates), WebhookDelivery.status == "pending",
                   WebhookDelivery.next_attempt_at <= now)
            .values(next_attempt_at=now + LEASE)
            .returning(WebhookDelivery.id, WebhookDelivery.attempts)
            .execution_options(synchronize_session=False)).all())
    db.session.commit()
    return [(delivery_id, attempts) for delivery_id, attempts in claimed]


@dataclass
class Outcome:
    status_code: int | None
    duration_ms: int
    error: str | None
    detail: dict | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def attempt(delivery_id: int, expected_attempts: int) -> Outcome | None:
    """One try at a claimed delivery; None when another job had it already (or it is gone)."""
    won = db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending",
               WebhookDelivery.attempts == expected_attempts)
        .values(attempts=expected_attempts + 1).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    if not won:
        return None
    delivery = db.session.get(WebhookDelivery, delivery_id)
    endpoint = delivery.endpoint
    # Made in an earlier round than this one (before a Redeliver reset the count): a redelivery.
    earlier = db.session.scalar(select(func.count()).select_from(WebhookAttempt)
                                .where(WebhookAttempt.delivery_id == delivery_id))
    redelivery = earlier >= delivery.attempts
    url, body, event, event_id = endpoint.url, delivery.body.encode(), delivery.event, delivery.event_id
    try:
        secret = secret_of(endpoint)
    except TokenDecryptError as exc:
        secret, refusal = None, Outcome(None, 0, str(exc)[:ERROR_MAX], None)
    started = utcnow()
    db.session.commit()  # nothing open during the call
    outcome = refusal if secret is None else send(url, body, secret, event=event, event_id=event_id)
    _record(delivery_id, outcome, started, redelivery)
    return outcome


def send(url: str, body: bytes, secret: str, *, event: str, event_id: str) -> Outcome:
    began = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - began) * 1000)

    try:
        destination = checked_destination(url)
    except DestinationRefused as refused:
        return Outcome(None, took(), f"Refused: {refused}"[:ERROR_MAX], None)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               "X-Inbox-Signature": signature(body, secret), "X-Inbox-Event": event, "X-Inbox-Delivery": event_id}
    try:
        with pinned_session(destination) as session:
            response = session.post(url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False)
            response.close()
    except DestinationRefused as refused:
        return Outcome(None, took(), f"Refused: {refused}"[:ERROR_MAX], None)
    except requests.Timeout:
        return Outcome(None, took(), f"No answer within {TIMEOUT[1]} s", None)
    except requests.RequestException as exc:
        return Outcome(None, took(), f"Could not connect: {type(exc).__name__}", None)
    detail = {name: response.headers[name][:200] for name in KEPT_HEADERS if name in response.headers}
    error = None
    if not 200 <= response.status_code < 300:
        error = f"HTTP {response.status_code}" + (" (redirects are not followed)" if 300 <= response.status_code < 400 else "")
    return Outcome(response.status_code, took(), error, detail or None)


def _record(delivery_id: int, outcome: Outcome, started: datetime, redelivery: bool) -> None:
    delivery = db.session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None:
        return  # its endpoint was deleted meanwhile
    db.session.add(WebhookAttempt(delivery_id=delivery_id, started_at=started, status_code=outcome.status_code,
                                  duration_ms=outcome.duration_ms, error=outcome.error, redelivery=redelivery,
                                  detail=outcome.detail))
    if outcome.ok:
        delivery.status, delivery.next_attempt_at = "succeeded", None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = "failed", None
    else:
        delivery.next_attempt_at = utcnow() + BACKOFF[delivery.attempts - 1]
    # The endpoint's health, from its newest attempt (two sends may finish out of order).
    endpoint = WebhookEndpoint.__table__.c
    db.session.execute(
        update(WebhookEndpoint)
        .where(endpoint.id == delivery.endpoint_id, or_(endpoint.last_attempt_at.is_(None), endpoint.last_attempt_at <= started))
        .values(last_attempt_at=started, last_error=None if outcome.ok else (outcome.error or "failed")[:300])
        .execution_options(synchronize_session=False))
    db.session.commit()
    if not outcome.ok:
        log.info("webhook delivery %s attempt %s: %s", delivery_id, delivery.attempts, outcome.error)


def redeliver(delivery: WebhookDelivery) -> None:
    """Send the same body (same id) again, with a fresh round of retries; its attempts are marked
    as a redelivery. The caller commits (the job is queued after that commit)."""
    from app.integrations.events import send_after_commit

    delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, utcnow()
    send_after_commit()


def prune(now: datetime | None = None, batch: int = 2000) -> int:
    """Deliveries (with their attempts) older than KEEP_FOR, whatever their state. Walks the primary
    key from the oldest (ids grow with time), so no index on created_at is needed."""
    cutoff = (now or utcnow()) - KEEP_FOR
    removed = 0
    while True:
        rows = db.session.execute(select(WebhookDelivery.id, WebhookDelivery.created_at)
                                  .order_by(WebhookDelivery.id).limit(batch)).all()
        ids = [row.id for row in rows if row.created_at < cutoff]
        if ids:
            db.session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(ids)))
            db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(ids)))
        db.session.commit()
        removed += len(ids)
        if len(ids) < batch:
            return removed
