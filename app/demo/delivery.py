"""Delivering a webhook to our own /webhooks/instagram exactly as Meta would: the body encoded
the way Meta encodes it, signed over those raw bytes with INSTAGRAM_APP_SECRET, POSTed to the
real route, so the signature check, the raw log, parsing and ingestion all run as in production.

The POST goes through the app's WSGI stack in-process (Flask's test client) rather than over a
socket to PUBLIC_URL or the request host: the bytes, headers and every line of the webhook view
are the same, but it works whatever the network looks like (a proxy in front, a port mapping,
a single-threaded server that would deadlock calling itself). It runs in a fresh app context,
so the delivery has its own database session and its own inline jobs, like a separate request.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import select

from app.extensions import db
from app.models import WebhookEvent
from app.standin import encode_payload, signature_256

WEBHOOK_PATH = "/webhooks/instagram"
USER_AGENT = "facebookexternalua"  # what Meta's deliveries say they are


@dataclass(frozen=True)
class WebhookDelivery:
    """What was sent and what the webhook endpoint answered."""

    body: bytes
    signature: str
    status: int
    response_text: str
    webhook_event_id: int | None  # the raw-log row ingestion stored for these bytes, if any
    webhook_event_status: str | None
    webhook_event_error: str | None

    @property
    def accepted(self) -> bool:
        return self.status == 200

    def problem(self, what: str) -> str | None:
        """What went wrong delivering `what` (a story's step, a comment), or None when it was applied."""
        if self.accepted and self.webhook_event_status == "applied":
            return None
        return (f"{what}: webhook answered {self.status}, event {self.webhook_event_status or 'not stored'} "
                f"{self.webhook_event_error or ''}").strip()

    @property
    def pretty_body(self) -> str:
        return json.dumps(json.loads(self.body), indent=2, ensure_ascii=False)


def deliver_webhook(payload: dict, app: Flask | None = None) -> WebhookDelivery:
    """Sign `payload` like Meta and POST it to our webhook endpoint; report what happened."""
    app = app or current_app._get_current_object()
    body = encode_payload(payload)
    signature = signature_256(body, app.config["INSTAGRAM_APP_SECRET"])
    # The delivery writes in its own session: commit what the caller has pending first, so the
    # two never wait on each other's locks (SQLite has a single writer).
    db.session.commit()
    with app.app_context():
        # buffered: the answer is read and closed as a server would, which is when inline mode
        # runs the delivery's follow-up jobs (profile lookups, automation).
        response = app.test_client().post(
            WEBHOOK_PATH,
            data=body,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature,
                     "User-Agent": USER_AGENT},
            buffered=True,
        )
        status, text = response.status_code, response.get_data(as_text=True)
    db.session.expire_all()
    event = db.session.scalar(
        select(WebhookEvent).where(WebhookEvent.body == body).order_by(WebhookEvent.id.desc()).limit(1)
    )
    return WebhookDelivery(
        body=body,
        signature=signature,
        status=status,
        response_text=text[:500],
        webhook_event_id=event.id if event else None,
        webhook_event_status=event.status if event else None,
        webhook_event_error=event.error if event else None,
    )


def already_delivered(payload: dict) -> bool:
    """Whether exactly these bytes were delivered before (the demo data's idempotency check)."""
    body = encode_payload(payload)
    return db.session.scalar(select(WebhookEvent.id).where(WebhookEvent.body == body).limit(1)) is not None
