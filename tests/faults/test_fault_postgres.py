"""PostgreSQL unreachable: webhooks answer 503 so Meta retries, nothing is half-written, and the
same process recovers by itself when the database is back (docs/contract.md#meta-facing-routes;
docs/architecture.md#invariants).

The app under test reaches the shared cluster through a TCP proxy; "down" is the proxy cutting
every connection and refusing new ones."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.models import Message, WebhookEvent, utcnow
from app.webhooks.jobs import sweep_ingest
from tests.faults.scenario import SWEEP_LATER, counts, inbound
from tests.webhooks.helpers import post

pytestmark = pytest.mark.faults

NOTHING = {"webhook_events": 0, "contacts": 0, "conversations": 0, "messages": 0, "leads": 0}
ONE_MESSAGE = {"contacts": 1, "conversations": 1, "messages": 1, "leads": 1}


def test_database_down_answers_503_and_stores_nothing(proxied_app, pg_proxy, factory):
    shop = factory.account()
    client = proxied_app.test_client()
    assert client.get("/health").status_code == 200  # the pool holds live connections now

    pg_proxy.down()
    response = post(client, inbound(shop))
    health = client.get("/health")
    pg_proxy.up()

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_unavailable"
    assert health.status_code == 503 and health.get_json()["services"]["db"]["ok"] is False
    assert counts() == NOTHING

    # Meta retries; the same process serves it without a restart.
    retry = post(client, inbound(shop))
    assert retry.status_code == 200, retry.get_data(as_text=True)
    assert counts() == {"webhook_events": 1, **ONE_MESSAGE}
    assert client.get("/health").status_code == 200


def test_connection_lost_mid_delivery_leaves_nothing_half_applied(proxied_app, pg_proxy, factory):
    """The connection dies while a delivery's rows are being inserted. Its transaction (the raw
    row included) goes as a whole, Meta gets 503 and retries, and the retry applies it once."""
    shop = factory.account()
    client = proxied_app.test_client()
    with proxied_app.app_context():
        engine = db.engine

    def cut_before_messages(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO MESSAGES"):
            pg_proxy.down()

    event.listen(engine, "before_cursor_execute", cut_before_messages)
    try:
        response = post(client, inbound(shop))
    finally:
        event.remove(engine, "before_cursor_execute", cut_before_messages)
        pg_proxy.up()

    assert response.status_code == 503
    # The contact and conversation inserted before the cut went with the transaction.
    assert counts() == NOTHING

    assert post(client, inbound(shop)).status_code == 200  # Meta's retry
    assert counts() == {"webhook_events": 1, **ONE_MESSAGE}
    assert sweep_ingest(now=utcnow() + SWEEP_LATER)["deliveries"] == 0  # nothing was left half-done
    assert db.session.scalars(select(WebhookEvent)).one().status == "applied"
    assert db.session.scalars(select(Message)).one().mid == "m.fault.1"


def test_pages_answer_503_while_down_and_work_after(proxied_app, pg_proxy, factory):
    """Staff see a readable 'temporarily unavailable' page, not a crash, and the next request
    after the database is back works in the same process."""
    user = factory.user(password="correct-horse-battery")
    client = proxied_app.test_client()
    login = client.get("/login")
    assert login.status_code == 200
    from tests.conftest import csrf_token_from

    token = csrf_token_from(login.get_data(as_text=True))
    assert client.post("/login", data={"email": user.email, "password": "correct-horse-battery",
                                       "csrf_token": token}).status_code == 302

    pg_proxy.down()
    down = client.get("/")
    pg_proxy.up()

    assert down.status_code == 503
    assert "Temporarily unavailable" in down.get_data(as_text=True)
    assert client.get("/").status_code == 200
