"""The Procfile's worker and clock outlive a Redis or database outage (app/jobs/keep_running.py):
RQ's loops quit on an error outside a job (the worker exited 1 when Redis died under a send,
0 when its database connection died under a job; the clock exited when Redis was down at a
tick), and every sweep depends on the clock. Found by a resilience review; each test failed
before the fix."""
from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from redis import Redis

from app.extensions import db
from app.jobs import QUEUE_DEFAULT, enqueue
from app.models import Conversation, Message, utcnow
from app.outbound.jobs import mark_seen_job
from app.outbound.replies import queue_reply
from tests.faults.conftest import use_meta, use_queue
from tests.faults.scenario import ROOT, worker_env
from tests.faults.services import wait_until

pytestmark = pytest.mark.faults


def sends_to(meta, igsid: str, path: str = r"/messages$") -> list:
    return [r for r in meta.control.requests_to(path, method="POST")
            if (r.json or {}).get("recipient", {}).get("id") == igsid]


def start_worker(app, *args: str) -> subprocess.Popen:
    """`python worker.py`, with what it logs (stdout and stderr) kept for the test to read."""
    return subprocess.Popen([sys.executable, "worker.py", *args], cwd=ROOT, env=worker_env(app),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def stop(process) -> str:
    """Terminate (SIGTERM, as a dyno restart does) and return what the process logged."""
    if process.poll() is None:
        process.terminate()
    output, _ = process.communicate(timeout=30)
    return output.decode()


def test_the_worker_lives_through_redis_dying_under_a_send(queued_app, private_redis, standin_meta, shop, factory):
    conversation = factory.conversation(shop, last_inbound_at=utcnow() - timedelta(hours=1))
    conversation_id, igsid = conversation.id, conversation.contact.igsid
    standin_meta.control.delay(r"/messages$", 2.0)  # Meta is slow to answer the first send
    first_id = queue_reply(conversation, text="first")[-1].id
    db.session.remove()

    worker = start_worker(queued_app)
    try:
        wait_until(lambda: sends_to(standin_meta, igsid), timeout=60, what="the send to reach Meta")
        private_redis.kill()  # while the worker waits for Meta's answer
        wait_until(lambda: db.session.get(Message, first_id, populate_existing=True).status == "sent",
                   timeout=30, what="the first reply settled")
        private_redis.start()  # the same port, empty
        assert worker.poll() is None, "the worker process ended with Redis"
        second_id = queue_reply(db.session.get(Conversation, conversation_id), text="second")[-1].id
        db.session.remove()
        wait_until(lambda: db.session.get(Message, second_id, populate_existing=True).status == "sent",
                   timeout=60, what="the second reply sent by the same worker process")
        assert worker.poll() is None
    finally:
        logged = stop(worker)
    assert [r.json["message"]["text"] for r in sends_to(standin_meta, igsid)] == ["first", "second"]
    assert "The worker ended unasked" in logged and "starting again" in logged
    assert worker.returncode == 0  # SIGTERM is a stop that was asked for


def test_the_worker_lives_through_its_database_connection_dying_under_a_job(
        app, proxied_app, pg_proxy, private_redis, standin_meta, shop, factory):
    """The connection a job holds is cut while the job waits for Meta (a failover): the job's
    clean-up fails on it, and RQ quit its loop (exit 0, which a supervisor does not restart)."""
    use_queue(proxied_app, private_redis.url)
    use_meta(proxied_app, standin_meta)
    conversation = factory.conversation(shop, last_inbound_at=utcnow() - timedelta(hours=1))
    conversation_id, igsid = conversation.id, conversation.contact.igsid
    db.session.commit()
    standin_meta.control.delay(r"/messages$", 2.0)
    with proxied_app.app_context():
        enqueue(mark_seen_job, conversation_id, queue=QUEUE_DEFAULT)

    worker = start_worker(proxied_app)  # its database is reached through the proxy
    try:
        wait_until(lambda: sends_to(standin_meta, igsid), timeout=60, what="mark_seen to reach Meta")
        pg_proxy.down()  # every connection through the proxy is cut...
        pg_proxy.up()  # ...and new ones are taken at once
        with proxied_app.app_context():
            enqueue(mark_seen_job, conversation_id, queue=QUEUE_DEFAULT)  # the next job
        wait_until(lambda: len(sends_to(standin_meta, igsid)) == 2, timeout=60, what="the next job's call")
        assert worker.poll() is None, "the worker process ended"
    finally:
        stop(worker)
    with proxied_app.app_context():
        assert Redis.from_url(private_redis.url).llen("rq:queue:default") == 0


def test_the_clock_waits_for_redis(queued_app, private_redis):
    """The clock started while Redis is down (a deploy during Redis maintenance; the same end as
    Redis failing at one of its ticks: RQ's scheduler loop raises) keeps trying, and registers
    and queues the periodic jobs once Redis is there."""
    private_redis.kill()
    clock = start_worker(queued_app, "--clock")
    try:
        with pytest.raises(Exception):
            clock.wait(3)  # still running, retrying
        private_redis.start()
        conn = Redis.from_url(private_redis.url)
        wait_until(lambda: conn.zrange("rq:cron_schedulers", 0, -1) == [b"igdm-clock"], timeout=60,
                   what="the clock registered with Redis")
        wait_until(lambda: sum(conn.llen(f"rq:queue:{name}") for name in ("high", "default", "low")) > 0,
                   timeout=30, what="a periodic job queued")
        assert clock.poll() is None
    finally:
        logged = stop(clock)
    assert "The clock ended unasked (ConnectionError" in logged
    assert clock.returncode == 0


def test_a_jobs_session_on_a_dead_connection_is_dropped_not_raised(proxied_app, pg_proxy):
    """The clean-up after every job (app.jobs.worker.end_session): rolling back on a connection
    that died in the job's open transaction raised, out of RQ's loop."""
    from sqlalchemy import text

    from app.jobs.worker import end_session

    with proxied_app.app_context():
        db.session.execute(text("SELECT 1"))  # a transaction open on a pooled connection
        pg_proxy.down()
        pg_proxy.up()
        end_session()
        assert db.engine.pool.checkedout() == 0  # the dead connection was not kept out of the pool
        assert db.session.execute(text("SELECT 2")).scalar() == 2  # the next job's session works
        end_session()
