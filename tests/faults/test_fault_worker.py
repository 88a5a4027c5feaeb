"""The worker killed mid-send: the reply reaches Meta at most once and ends `sent` or visibly
`failed` ("may not have been delivered"), never silently pending and never sent twice
(docs/architecture.md#invariants)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.jobs import QUEUE_HIGH, enqueue
from app.models import Message, utcnow
from app.outbound.jobs import deliver_message_job, sweep_outbound
from app.outbound.replies import queue_reply
from app.outbound.rules import MAY_NOT_HAVE_BEEN_DELIVERED
from app.outbound.sending import JOB_RETRY, STALE_CLAIM_AFTER
from tests.faults.scenario import age_claims, start_worker
from tests.faults.services import kill_tree, wait_until

pytestmark = pytest.mark.faults


def sends_to(meta, igsid: str) -> list:
    return [r for r in meta.control.requests_to(r"/messages$", method="POST")
            if (r.json or {}).get("recipient", {}).get("id") == igsid and "message" in (r.json or {})]


def test_worker_killed_during_the_graph_call(queued_app, private_redis, standin_meta, shop, factory):
    conversation = factory.conversation(shop, last_inbound_at=utcnow() - timedelta(hours=1))
    igsid = conversation.contact.igsid
    standin_meta.control.delay(r"/messages$", 3.0)  # Meta is slow to answer this one
    message = queue_reply(conversation, text="Yes, we ship tomorrow!")[-1]
    message_id = message.id

    worker = start_worker(queued_app)
    try:
        wait_until(lambda: sends_to(standin_meta, igsid), timeout=60, what="the worker's send to reach the stand-in")
    finally:
        kill_tree(worker.pid)  # the worker and its work horse, mid-request
        worker.wait(10)

    db.session.expire_all()
    killed = db.session.get(Message, message_id)
    assert killed.status == "pending" and killed.send_claimed_at is not None  # claimed, outcome unknown

    # RQ runs the abandoned job again (or a duplicate enqueue does): it must not send again.
    enqueue(deliver_message_job, message_id, queue=QUEUE_HIGH, retry=JOB_RETRY)
    again = start_worker(queued_app, "--burst")
    assert again.wait(120) == 0, again.stderr.read().decode()
    assert len(sends_to(standin_meta, igsid)) == 1

    # Time passes beyond any job's run time; the sweep settles the message, visibly.
    age_claims(int(STALE_CLAIM_AFTER.total_seconds() // 60) + 1)
    assert sweep_outbound()["failed_stale"] == 1
    db.session.expire_all()
    settled = db.session.get(Message, message_id)
    assert settled.status == "failed"
    assert settled.error == MAY_NOT_HAVE_BEEN_DELIVERED
    assert "may not have been delivered" in settled.error
    assert len(sends_to(standin_meta, igsid)) == 1

    # Nothing re-sends it by itself afterwards either.
    assert sweep_outbound() == {"failed_stale": 0, "requeued": 0, "states_requeued": 0}
    assert len(sends_to(standin_meta, igsid)) == 1


def test_worker_killed_after_meta_took_the_message_is_settled_by_the_echo(queued_app, private_redis, standin_meta, shop,
                                                                          factory, app_server):
    """Meta delivered it (its echo webhook arrives) but the worker died before storing Meta's
    answer: the echo settles the message as `sent` with Meta's mid, the sweep leaves it alone."""
    standin_meta.webhook_url = app_server.webhook_url
    standin_meta.control.set_echo("after")
    conversation = factory.conversation(shop, last_inbound_at=utcnow() - timedelta(hours=1))
    igsid = conversation.contact.igsid
    standin_meta.control.delay(r"/messages$", 3.0)
    message_id = queue_reply(conversation, text="Your order is on its way.")[-1].id

    worker = start_worker(queued_app)
    try:
        wait_until(lambda: sends_to(standin_meta, igsid), timeout=60, what="the worker's send to reach the stand-in")
    finally:
        kill_tree(worker.pid)
        worker.wait(10)
    echo = standin_meta.control.wait_for_echoes(1, timeout=30)[0]
    assert echo.ok, echo

    age_claims(int(STALE_CLAIM_AFTER.total_seconds() // 60) + 1)
    assert sweep_outbound()["failed_stale"] == 0
    db.session.expire_all()
    settled = db.session.get(Message, message_id)
    assert settled.status == "sent" and settled.mid and settled.error is None
    assert len(sends_to(standin_meta, igsid)) == 1
    # Shown once: the echo did not add a second outbound row for the same text.
    assert db.session.scalar(select(func.count()).select_from(Message).where(
        Message.conversation_id == conversation.id, Message.direction == "out")) == 1
