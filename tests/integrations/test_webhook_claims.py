"""Claiming webhook deliveries when several clocks and workers run at once, for real (threads with
their own sessions, released together; on PostgreSQL `FOR UPDATE SKIP LOCKED` is what keeps them
apart, on SQLite writers are serialised and the same outcomes hold): every due delivery is claimed
by exactly one claimer, and one claim is sent by exactly one job."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.integrations import sending
from app.integrations.endpoints import create_endpoint
from app.integrations.events import body_for
from app.models import WebhookAttempt, WebhookDelivery, utcnow
from tests.outbound.test_outbound_concurrency import run_together

DELIVERIES = 60


def _due(endpoint_id: int, count: int) -> None:
    now = utcnow()
    for n in range(count):
        event_id, body = body_for("lead.updated", {"n": n}, now)
        db.session.add(WebhookDelivery(endpoint_id=endpoint_id, event_id=event_id, event="lead.updated", body=body,
                                       status="pending", attempts=0, next_attempt_at=now, created_at=now))
    db.session.commit()


def test_three_clocks_claim_every_due_delivery_exactly_once(app, factory, receiver):
    workspace = factory.workspace()
    endpoint, _ = create_endpoint(workspace.id, receiver.url, ["lead.updated"], None)
    _due(endpoint.id, DELIVERIES)
    claims = run_together(app, *[lambda: sending.claim_due(limit=25)] * 3)
    ids = [delivery_id for claimed in claims for delivery_id, _ in claimed]
    assert len(ids) == len(set(ids))  # nobody claimed a row another claimer had
    rest = sending.claim_due()  # whatever the three left (each took at most 25)
    assert sorted(ids + [i for i, _ in rest]) == sorted(db.session.scalars(select(WebhookDelivery.id)))
    assert sending.claim_due() == []  # claimed rows wait for their lease to run out


def test_two_jobs_for_one_claim_send_it_once(app, factory, receiver):
    workspace = factory.workspace()
    endpoint, _ = create_endpoint(workspace.id, receiver.url, ["lead.updated"], None)
    _due(endpoint.id, 1)
    [(delivery_id, attempts)] = sending.claim_due()
    outcomes = run_together(app, lambda: sending.attempt(delivery_id, attempts),
                            lambda: sending.attempt(delivery_id, attempts))
    assert sorted(o is None for o in outcomes) == [False, True]
    assert len(receiver.received) == 1
    assert db.session.scalar(select(WebhookAttempt.status_code)) == 200
