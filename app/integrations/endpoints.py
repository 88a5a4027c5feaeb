"""The webhook endpoints an admin registers: the rules for a URL and its events, the signing secret
(random, encrypted at rest like account tokens, shown once), and listing, pausing and deleting them.
Shared by Settings → Integrations and the JSON API (POST/GET/DELETE /api/v1/webhooks)."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select

from app import audit
from app.errors import ActionRefused
from app.extensions import db
from app.integrations.events import EVENTS
from app.models import User, WebhookDelivery, WebhookEndpoint
from app.net.guard import Destination, DestinationRefused, check_destination
from app.token_crypto import token_cipher

URL_MAX = 2000
MAX_ENDPOINTS = 20  # per workspace: each event is written once per endpoint, in the event's transaction
SECRET_PREFIX = "whsec_"


def require_https(app=None) -> bool:
    return (app or current_app).config.get("APP_ENV") == "production"


def destination(url: str) -> Destination:
    """Where a webhook may go, checked when it is saved and again before every send: the outbound
    guard (public addresses only, unless the host is in OUTBOUND_ALLOW_HOSTS), and in production
    https always — even for an allowed host, which the guard alone would let use http (development
    and tests do, for a receiver on 127.0.0.1). Raises DestinationRefused saying why."""
    if require_https() and urlsplit(url).scheme.lower() != "https":
        raise DestinationRefused("the URL must use https://")
    return check_destination(url, require_https=require_https())


def check_url(raw) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ActionRefused("url", "url is required: the https:// address that receives the events")
    url = raw.strip()
    if len(url) > URL_MAX:
        raise ActionRefused("url", f"url can be at most {URL_MAX} characters")
    if any(ord(c) < 33 or c == "\x7f" for c in url):  # nor a NUL for the resolver to choke on
        raise ActionRefused("url", "url may not contain spaces or control characters")
    try:
        destination(url)
    except DestinationRefused as refused:
        raise ActionRefused("url", str(refused)) from None
    return url


def check_events(raw) -> list[str]:
    if not isinstance(raw, (list, tuple)) or not raw or not all(isinstance(e, str) for e in raw):
        raise ActionRefused("events", f"Choose at least one event to send (events: one or more of {', '.join(EVENTS)}).")
    unknown = sorted({e for e in raw if e not in EVENTS})
    if unknown:
        raise ActionRefused("events", f"unknown events: {', '.join(unknown)} (known: {', '.join(EVENTS)})")
    return [e for e in EVENTS if e in raw]  # in the catalogue's order, no repeats


def host_of(url: str) -> str:
    """What the audit log and lists may say of a URL: its host. Services such as Zapier put the
    hook's credential in the path, and the audit log holds no secret."""
    return (urlsplit(url).hostname or "?")[:200]


def secret_of(endpoint: WebhookEndpoint) -> str:
    return token_cipher().decrypt(endpoint.secret_encrypted.decode())


def create_endpoint(workspace_id: int, url, events, by: User | None) -> tuple[WebhookEndpoint, str]:
    """Check, store and commit; returns the endpoint and its secret (the only time it is readable
    outside the sender)."""
    url, events = check_url(url), check_events(events)
    count = db.session.scalar(select(func.count()).select_from(WebhookEndpoint)
                              .where(WebhookEndpoint.workspace_id == workspace_id))
    if count >= MAX_ENDPOINTS:
        raise ActionRefused("url", f"a workspace can have at most {MAX_ENDPOINTS} webhook endpoints")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(workspace_id=workspace_id, url=url, events=events, active=True,
                               secret_encrypted=token_cipher().encrypt(secret).encode(),
                               created_by_id=by.id if by is not None else None)
    db.session.add(endpoint)
    db.session.flush()
    audit.record("integration.created", f"Added a webhook endpoint on {host_of(url)} ({', '.join(events)})",
                 actor=by, workspace_id=workspace_id, endpoint_id=endpoint.id)
    db.session.commit()
    return endpoint, secret


def set_active(endpoint: WebhookEndpoint, active: bool, by: User | None) -> None:
    """A paused endpoint gets no new events; what was pending waits and goes out when it resumes."""
    if endpoint.active == active:
        return
    endpoint.active = active
    audit.record("integration.resumed" if active else "integration.paused",
                 f"{'Resumed' if active else 'Paused'} the webhook endpoint on {host_of(endpoint.url)}", actor=by,
                 workspace_id=endpoint.workspace_id, endpoint_id=endpoint.id)
    db.session.commit()


def delete_endpoint(endpoint: WebhookEndpoint, by: User | None) -> None:
    """Its deliveries and attempts go with it (ON DELETE CASCADE)."""
    audit.record("integration.deleted", f"Deleted the webhook endpoint on {host_of(endpoint.url)}", actor=by,
                 workspace_id=endpoint.workspace_id, endpoint_id=endpoint.id)
    db.session.delete(endpoint)
    db.session.commit()


def workspace_endpoints(workspace_id: int) -> list[WebhookEndpoint]:
    return list(db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.workspace_id == workspace_id)
                                   .order_by(WebhookEndpoint.id)))


def endpoint_in(workspace_id: int, endpoint_id: int) -> WebhookEndpoint | None:
    """The endpoint when it is this workspace's; another workspace's id is no endpoint at all."""
    return db.session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id,
                                                           WebhookEndpoint.workspace_id == workspace_id))


def delivery_in(workspace_id: int, delivery_id: int) -> WebhookDelivery | None:
    return db.session.scalar(select(WebhookDelivery).join(WebhookEndpoint)
                             .where(WebhookDelivery.id == delivery_id, WebhookEndpoint.workspace_id == workspace_id))
