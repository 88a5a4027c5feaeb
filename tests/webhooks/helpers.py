"""Shared helpers for the webhook tests: signing like Meta, posting, and table snapshots."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.instagram.signature import compute_signature
from app.models import Contact, Conversation, DeferredEvent, Lead, Message
from tests.conftest import TEST_APP_SECRET

URL = "/webhooks/instagram"
T0 = 1_700_000_000_000  # ms, a fixed base time for payloads


def encode(payload: Any) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


def post(client, payload: Any, *, secret: str = TEST_APP_SECRET, signature: str | None = None, headers=None):
    """POST a body signed as Meta signs it (or with the given signature header)."""
    body = encode(payload)
    sent = {"Content-Type": "application/json", **(headers or {})}
    if signature is None:
        signature = compute_signature(secret, body)
    if signature is not False:
        sent["X-Hub-Signature-256"] = signature
    return client.post(URL, data=body, headers=sent)


SNAPSHOT_MODELS = (Contact, Conversation, Message, Lead, DeferredEvent)


def snapshot() -> dict[str, list[tuple]]:
    """Every column of every row of the tables a delivery writes (bar the log and the account)."""
    db.session.expire_all()
    result = {}
    for model in SNAPSHOT_MODELS:
        columns = [c for c in model.__table__.columns]
        rows = db.session.execute(select(*columns).order_by(model.id)).all()
        result[model.__tablename__] = [tuple(row) for row in rows]
    return result


def only(model):
    rows = db.session.scalars(select(model)).all()
    assert len(rows) == 1, rows
    return rows[0]


def rows(model, *where, order=None):
    query = select(model).where(*where).order_by(order if order is not None else model.id)
    return db.session.scalars(query).all()
