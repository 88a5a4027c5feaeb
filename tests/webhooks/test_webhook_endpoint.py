"""POST /webhooks/instagram as docs/contract.md#meta-facing-routes says: signature, size, JSON, statuses,
database down."""
from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from app import create_app
from app.extensions import db
from app.instagram import payloads as p
from app.instagram.signature import compute_signature
from app.models import Contact, Conversation, Lead, Message, WebhookEvent
from tests.conftest import TEST_APP_SECRET, TEST_VERIFY_TOKEN, base_config
from tests.webhooks.helpers import T0, URL, encode, only, post


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def nothing_applied():
    return all(count(model) == 0 for model in (Contact, Conversation, Message, Lead))


def one_message(account, mid="m1", text="hello", ts=T0):
    return p.delivery(p.entry(account.ig_user_id, [p.text_message(account.ig_user_id, "9001", mid, text, ts)]))


# ------------------------------------------------------------------ verification


def test_verify_echoes_the_challenge(client):
    response = client.get(f"{URL}?hub.mode=subscribe&hub.verify_token={TEST_VERIFY_TOKEN}&hub.challenge=CH4LL3NGE")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "CH4LL3NGE"
    assert response.mimetype == "text/plain"


@pytest.mark.parametrize("query", [
    "hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=x",
    "hub.mode=unsubscribe&hub.verify_token=" + TEST_VERIFY_TOKEN + "&hub.challenge=x",
    "hub.challenge=x",
])
def test_verify_refuses_a_wrong_token(client, query):
    assert client.get(f"{URL}?{query}").status_code == 403


# ------------------------------------------------------------------ signature


def test_a_good_signature_is_applied(client, factory):
    account = factory.account()
    response = post(client, one_message(account))
    assert response.status_code == 200
    assert response.get_json() == {"status": "applied"}
    assert only(Message).text == "hello"


@pytest.mark.parametrize("signature", [
    False,  # header missing
    "",
    "sha256=",
    "sha256=" + "0" * 64,
    "sha1=" + "0" * 40,
    "sha256=not-hex",
    compute_signature("another-secret", b"{}"),
])
def test_bad_or_missing_signature_stores_nothing(client, factory, signature):
    account = factory.account()
    response = post(client, one_message(account), signature=signature)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_signature"
    assert count(WebhookEvent) == 0
    assert nothing_applied()


def test_signature_of_another_body_stores_nothing(client, factory):
    account = factory.account()
    body = encode(one_message(account))
    other = encode(one_message(account, text="something else"))
    response = post(client, body, signature=compute_signature(TEST_APP_SECRET, other))
    assert response.status_code == 401
    assert count(WebhookEvent) == 0 and nothing_applied()


def test_signature_covers_the_raw_bytes_not_reserialised_json(client, factory):
    account = factory.account()
    # Meta's own spacing and key order, and an escaped character: re-serialising would change it.
    body = json.dumps(one_message(account, text="café"), indent=1, ensure_ascii=True).encode()
    assert post(client, body).status_code == 200
    assert only(Message).text == "café"
    assert only(WebhookEvent).body == body


def test_signature_made_with_another_secret_is_refused(client, factory):
    account = factory.account()
    assert post(client, one_message(account), secret="not-the-app-secret").status_code == 401
    assert count(WebhookEvent) == 0


# ------------------------------------------------------------------ body checks


@pytest.mark.parametrize("body", [b"", b"not json", b"{\"object\": ", b"\xff\xfe{}", b"{\"a\": NaN}", b"[1, Infinity]"])
def test_signed_non_json_is_400_and_kept_for_audit(client, factory, body):
    factory.account()
    response = post(client, body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "not_json"
    row = only(WebhookEvent)
    assert row.body == body
    assert row.status == "rejected"
    assert "not JSON" in row.error
    assert nothing_applied()


@pytest.mark.parametrize("payload, reason", [
    ([], "body is a list, expected an object"),
    ("instagram", "body is a string"),
    (42, "body is a number"),
    (None, "body is null"),
    ({"object": "instagram"}, "entry is missing"),
    ({"object": "instagram", "entry": {"id": "1"}}, "entry is an object, expected a list"),
    ({"object": "instagram", "entry": ["x"]}, "entry[0] is a string"),
])
def test_json_of_the_wrong_shape_is_stored_as_failed_and_answered_200(client, factory, payload, reason):
    factory.account()
    response = post(client, payload)
    assert response.status_code == 200
    row = only(WebhookEvent)
    assert row.status == "failed"
    assert reason in row.error
    assert nothing_applied()


@pytest.mark.parametrize("object_type", ["page", None, 7])
def test_a_body_for_another_object_is_kept_and_not_applied(client, factory, object_type):
    account = factory.account()
    body = one_message(account)
    body["object"] = object_type
    assert post(client, body).get_json() == {"status": "failed"}
    row = only(WebhookEvent)
    assert "expected 'instagram'" in row.error
    assert nothing_applied()


def test_deeply_nested_json_is_handled(client, factory):
    factory.account()
    body = b"[" * 100_000 + b"]" * 100_000
    response = post(client, body)
    assert response.status_code == 400
    assert only(WebhookEvent).status == "rejected"


def test_a_malformed_item_is_reported_and_the_rest_applied(client, factory):
    account = factory.account()
    good = p.text_message(account.ig_user_id, "9001", "m-good", "fine", T0)
    bad = p.text_message(account.ig_user_id, "9001", "m-bad", "x", T0 + 1)
    bad["message"]["text"] = 12345
    response = post(client, p.delivery(p.entry(account.ig_user_id, [good, bad])))
    assert response.status_code == 200
    row = only(WebhookEvent)
    assert row.status == "applied" and row.error is None  # a skipped item is a warning, not a failure
    assert "skipped: " in row.warnings and "message.text is a number" in row.warnings
    assert only(Message).mid == "m-good"


def test_an_overlong_id_is_refused_per_item(client, factory):
    account = factory.account()
    items = [p.text_message(account.ig_user_id, "9001", "m" * 300, "too long", T0),
             p.text_message(account.ig_user_id, "9" * 80, "m2", "long sender", T0),
             p.text_message(account.ig_user_id, "9001", "m3", "fine", T0)]
    assert post(client, p.delivery(p.entry(account.ig_user_id, items))).status_code == 200
    row = only(WebhookEvent)
    assert row.status == "applied"
    assert "mid longer than 255" in row.warnings and "customer id longer than 64" in row.warnings
    assert only(Message).mid == "m3"


# ------------------------------------------------------------------ size limit


def test_body_over_the_limit_is_413_and_not_stored(app, client, factory):
    account = factory.account()
    app.config["WEBHOOK_MAX_BYTES"] = 200
    body = encode(one_message(account, text="x" * 300))
    response = post(client, body)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert count(WebhookEvent) == 0


def test_body_at_the_limit_is_accepted(app, client, factory):
    account = factory.account()
    body = encode(one_message(account))
    app.config["WEBHOOK_MAX_BYTES"] = len(body)
    assert post(client, body).status_code == 200
    assert only(WebhookEvent).status == "applied" and only(Message).text == "hello"


def test_body_without_content_length_is_measured_while_read(app, client, factory):
    account = factory.account()
    app.config["WEBHOOK_MAX_BYTES"] = 200
    body = encode(one_message(account, text="y" * 500))
    response = client.post(URL, input_stream=io.BytesIO(body), environ_overrides={"wsgi.input_terminated": True},
                           headers={"X-Hub-Signature-256": compute_signature(TEST_APP_SECRET, body),
                                    "Content-Type": "application/json"})
    assert response.status_code == 413
    assert count(WebhookEvent) == 0


def test_chunked_body_under_the_limit_is_accepted(app, client, factory):
    account = factory.account()
    body = encode(one_message(account))
    response = client.post(URL, input_stream=io.BytesIO(body), environ_overrides={"wsgi.input_terminated": True},
                           headers={"X-Hub-Signature-256": compute_signature(TEST_APP_SECRET, body)})
    assert response.status_code == 200
    assert only(Message).text == "hello"


# ------------------------------------------------------------------ accounts


def test_dashboard_test_event_for_an_unknown_account_is_ignored(client, factory):
    factory.account()
    response = post(client, p.dashboard_test())
    assert response.status_code == 200
    row = only(WebhookEvent)
    assert row.status == "ignored"
    assert row.ig_account_ids == "0"
    assert "not connected here" in row.error
    assert row.workspace_id is None
    assert nothing_applied()


def test_disconnected_account_is_ignored_and_reauth_required_still_applied(client, factory):
    gone = factory.account(status="disconnected")
    stale = factory.account(status="reauth_required")
    assert post(client, one_message(gone)).get_json() == {"status": "ignored"}
    assert post(client, one_message(stale)).get_json() == {"status": "applied"}
    assert only(Message).account_id == stale.id
    ignored = db.session.scalar(select(WebhookEvent).where(WebhookEvent.status == "ignored"))
    assert "is disconnected" in ignored.error
    assert ignored.workspace_id == gone.workspace_id


def test_delivery_mixing_known_and_unknown_accounts(client, factory):
    account = factory.account()
    body = p.delivery(
        p.entry(account.ig_user_id, [p.text_message(account.ig_user_id, "9001", "m1", "hi", T0)]),
        p.entry("555", [p.text_message("555", "9001", "m2", "not ours", T0)]),
    )
    assert post(client, body).status_code == 200
    row = only(WebhookEvent)
    assert row.status == "applied"
    assert row.ig_account_ids == f"{account.ig_user_id},555"
    assert row.workspace_id is None  # its raw body holds another party's messages
    assert only(Message).mid == "m1"


def test_unhandled_event_kinds_are_stored_and_ignored(client, factory):
    account = factory.account()
    optin = {"sender": {"id": "9001"}, "recipient": {"id": account.ig_user_id}, "timestamp": T0,
             "optin": {"ref": "x"}}
    mention = {"field": "mentions", "value": {"media_id": "17900000000000001", "comment_id": "c1"}}
    body = {"object": "instagram", "entry": [{"id": account.ig_user_id, "time": T0, "messaging": [optin],
                                                  "changes": [mention]}]}
    assert post(client, body).status_code == 200
    row = only(WebhookEvent)
    assert row.status == "ignored"
    assert "optin not handled" in row.error and "change:mentions not handled" in row.error
    assert row.event_count == 2
    assert nothing_applied()


# ------------------------------------------------------------------ database down


def test_database_unreachable_is_503(database_url):
    app = create_app({**base_config("postgresql+psycopg://postgres@127.0.0.1:1/unreachable")})
    body = encode(p.dashboard_test())
    with app.app_context():
        response = app.test_client().post(URL, data=body, headers={
            "X-Hub-Signature-256": compute_signature(TEST_APP_SECRET, body)})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_unavailable"


def _fail_statements(starting_with: str):
    def listener(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(starting_with):
            raise OperationalError(statement, parameters, ConnectionError("server closed the connection unexpectedly"))
    return listener


def test_database_failing_on_the_raw_insert_is_503_and_nothing_written(app, client, factory):
    account = factory.account()
    listener = _fail_statements("INSERT INTO WEBHOOK_EVENTS")
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = post(client, one_message(account))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 503
    assert count(WebhookEvent) == 0 and nothing_applied()


def test_database_failing_mid_apply_is_503_writes_nothing_and_the_redelivery_applies_it_once(app, client, factory):
    account = factory.account()
    listener = _fail_statements("INSERT INTO CONTACTS")
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = post(client, one_message(account))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 503  # Meta delivers again
    assert count(WebhookEvent) == 0 and nothing_applied()  # the raw row went with the apply: nothing half-written
    assert post(client, one_message(account)).status_code == 200  # Meta's redelivery
    assert post(client, one_message(account)).status_code == 200  # and a duplicate of it
    db.session.expire_all()
    assert [row.status for row in db.session.scalars(select(WebhookEvent).order_by(WebhookEvent.id))] == ["applied"] * 2
    assert only(Message).text == "hello"


def test_an_exception_while_applying_keeps_the_delivery_failed_and_answers_200(app, client, factory):
    """Any bug or data error: stored as failed with class and message, Meta gets its 200."""
    account = factory.account()

    def data_error(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO LEADS"):
            raise ValueError("simulated failure while creating the lead")
    event.listen(db.engine, "before_cursor_execute", data_error)
    try:
        response = post(client, one_message(account))
    finally:
        event.remove(db.engine, "before_cursor_execute", data_error)
    assert response.status_code == 200
    assert response.get_json() == {"status": "failed"}
    row = only(WebhookEvent)
    assert row.status == "failed"
    assert row.error.startswith("ValueError: simulated failure")
    assert row.attempts == 1
    assert row.workspace_id == account.workspace_id  # visible to its admins
    assert nothing_applied()  # one transaction: the message did not stay without its lead
