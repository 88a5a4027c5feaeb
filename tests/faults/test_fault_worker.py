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


def _photo_and_caption(factory, text: str):
    import io

    from werkzeug.datastructures import FileStorage

    from tests.outbound.helpers import PNG

    account = factory.account()
    conversation = factory.conversation(account, last_inbound_at=utcnow() - timedelta(hours=1))
    photo, caption = queue_reply(conversation, text=text, upload=FileStorage(io.BytesIO(PNG), filename="red.png"))
    return photo.id, caption.id


def _meta_in_order(meta, limited: int = 0):
    """Meta's send endpoint answering each send with its kind; the first `limited` photo sends are
    rate limited (Retry-After 300 s). Returns the kinds Meta took, in order."""
    import json
    import re

    import responses

    taken, refused = [], []

    def answer(request):
        kind = "photo" if "attachment" in json.loads(request.body).get("message", {}) else "caption"
        if kind == "photo" and len(refused) < limited:
            refused.append(kind)
            return 400, {"Retry-After": "300"}, json.dumps(
                {"error": {"message": "Application request limit reached", "type": "OAuthException", "code": 4}})
        taken.append(kind)
        return 200, {}, json.dumps({"recipient_id": "r", "message_id": f"mid.{kind}.{len(taken)}"})

    meta.add_callback(responses.POST, re.compile(r"http://graph\.test/.*/messages"), callback=answer)
    return taken


def test_a_caption_waits_for_its_rate_limited_photo(queued_app, private_redis, factory, meta):
    """The photo is rate limited (its retry due in 5 minutes): the caption waited in the job's
    `then` only, and the lost-send sweep took it for lost after 2 minutes and sent it first (found
    by a resilience review). The rows now hold it too."""
    from sqlalchemy import text

    from tests.faults.scenario import make_due, work

    taken = _meta_in_order(meta, limited=1)
    photo_id, caption_id = _photo_and_caption(factory, "The blue one, as promised")
    work(queued_app)
    assert taken == []

    db.session.execute(text("UPDATE messages SET send_after = send_after - interval '3 minutes', "
                            "created_at = created_at - interval '3 minutes' WHERE status = 'pending'"))
    db.session.commit()
    assert sweep_outbound()["requeued"] == 0  # three minutes on, both still wait for the photo's retry
    db.session.execute(text("UPDATE messages SET send_after = send_after - interval '5 minutes' WHERE status = 'pending'"))
    db.session.commit()
    make_due(queued_app)
    work(queued_app)
    assert taken == ["photo", "caption"]


def test_a_database_blip_after_the_claim_sends_the_photo_before_its_caption(queued_app, private_redis, factory, meta,
                                                                            pg_proxy):
    """The worker's database goes away just after a photo's claim: nothing reached Meta, but the
    hand-back needed the database too, so the claim stayed. The RQ retry found the photo "not
    waiting", sent its caption alone, and the sweep marked the photo "may not have been delivered"
    (found by a resilience review). The try remembers its claim in the job's meta; the retry
    hands it back and sends both, in order."""
    from sqlalchemy import event
    from sqlalchemy.engine import make_url

    from app import create_app
    from app.jobs.worker import make_worker
    from tests.conftest import base_config
    from tests.faults.conftest import use_queue
    from tests.faults.scenario import make_due

    taken = _meta_in_order(meta)
    photo_id, caption_id = _photo_and_caption(factory, "Here is the red one")
    url = make_url(queued_app.config["SQLALCHEMY_DATABASE_URI"]).set(host="127.0.0.1", port=pg_proxy.port)
    worker_app = create_app(base_config(url.render_as_string(hide_password=False)))
    use_queue(worker_app, private_redis.url)
    with worker_app.app_context():
        engine = db.engine
    cut = []

    def cut_after_the_claim(conn, cursor, statement, parameters, context, executemany):
        if not cut and statement.startswith("UPDATE messages SET send_attempts") and "send_claimed_at" in statement:
            cut.append(statement)
            pg_proxy.down()  # just after the claim's statement (its own transaction) committed

    event.listen(engine, "after_cursor_execute", cut_after_the_claim)
    try:
        make_worker(worker_app).work(burst=True, with_scheduler=False)
    finally:
        event.remove(engine, "after_cursor_execute", cut_after_the_claim)
    assert cut and taken == []
    pg_proxy.up()
    assert make_due(worker_app) == 1  # RQ's retry of the photo's job
    make_worker(worker_app).work(burst=True, with_scheduler=False)
    with worker_app.app_context():
        db.session.remove()
        engine.dispose()

    assert taken == ["photo", "caption"]
    db.session.expire_all()
    assert [db.session.get(Message, i).status for i in (photo_id, caption_id)] == ["sent", "sent"]
