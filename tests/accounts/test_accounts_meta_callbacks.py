"""Meta's deauthorize and data-deletion callbacks (signed_request) and the status page."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.jobs import resume_pending_deletions
from app.extensions import db
from app.instagram.signature import make_signed_request
from app.jobs.schedule import PERIODIC_JOBS
from app.models import (
    Contact,
    Conversation,
    DataDeletionRequest,
    InstagramAccount,
    Lead,
    Message,
    Note,
    WebhookEvent,
    utcnow,
)
from tests.conftest import TEST_APP_SECRET

DEAUTHORIZE = "/accounts/instagram/deauthorize"
DATA_DELETION = "/accounts/instagram/data-deletion"
TOKEN = "stored-secret-GGG666"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def signed(payload_segment: str, secret: str = TEST_APP_SECRET) -> str:
    signature = hmac.new(secret.encode(), payload_segment.encode(), hashlib.sha256).digest()
    return f"{b64(signature)}.{payload_segment}"


def good(user_id) -> str:
    return make_signed_request(TEST_APP_SECRET, {"user_id": user_id, "issued_at": 1735000000})


BAD_REQUESTS = {
    "missing": None,
    "empty": "",
    "one segment": "abc",
    "three segments": "a.b.c",
    "wrong secret": make_signed_request("not-the-app-secret", {"user_id": "1"}),
    "tampered payload": good("1").split(".")[0] + "." + b64(json.dumps({"user_id": "2"}).encode()),
    "bad base64 signature": "!!!notbase64." + b64(b'{"user_id":"1"}'),
    "bad base64 payload": signed("%%%"),
    "not json": signed(b64(b"user_id=1")),
    "json array": signed(b64(b'["user_id", "1"]')),
    "not utf-8": signed(b64(b"\xff\xfe")),
    "other algorithm": make_signed_request(TEST_APP_SECRET, {"user_id": "1", "algorithm": "HMAC-SHA1"}),
    "no user_id": make_signed_request(TEST_APP_SECRET, {"issued_at": 1}),
    "blank user_id": make_signed_request(TEST_APP_SECRET, {"user_id": " "}),
    "object user_id": make_signed_request(TEST_APP_SECRET, {"user_id": {"id": 1}}),
}


@pytest.fixture
def account(factory):
    return factory.account(ig_user_id="17841400000000077", username="acme.shop", token=TOKEN)


@pytest.mark.parametrize("endpoint", [DEAUTHORIZE, DATA_DELETION])
@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_bad_signed_request_is_400_and_changes_nothing(client, account, endpoint, case):
    data = {} if BAD_REQUESTS[case] is None else {"signed_request": BAD_REQUESTS[case]}
    response = client.post(endpoint, data=data)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_signed_request"
    db.session.expire_all()
    row = db.session.get(InstagramAccount, account.id)
    assert row.status == "active" and row.token_encrypted
    assert db.session.scalar(select(func.count()).select_from(DataDeletionRequest)) == 0


def test_deauthorize_disconnects_the_account(client, account, factory, caplog):
    caplog.set_level(logging.DEBUG)
    conversation = factory.conversation(account=account)
    factory.message(conversation, text="history")
    response = client.post(DEAUTHORIZE, data={"signed_request": good(account.ig_user_id)})  # no CSRF, no login
    assert response.status_code == 200
    db.session.expire_all()
    row = db.session.get(InstagramAccount, account.id)
    assert row.status == "disconnected" and row.token_encrypted is None and row.webhook_subscribed is False
    assert "removed this app's access" in row.last_error
    assert db.session.get(Conversation, conversation.id) is not None  # history stays
    assert TOKEN not in caplog.text


def test_deauthorize_accepts_a_numeric_user_id_and_padded_base64(client, account):
    request = good(int(account.ig_user_id))
    signature, payload = request.split(".")  # the payload is signed as sent, so only the signature is padded
    padded = f"{signature}{'=' * (-len(signature) % 4)}.{payload}"
    assert padded != request
    assert client.post(DEAUTHORIZE, data={"signed_request": padded}).status_code == 200
    db.session.expire_all()
    assert db.session.get(InstagramAccount, account.id).status == "disconnected"


def test_deauthorize_for_an_unknown_account_is_ok(client, account):
    assert client.post(DEAUTHORIZE, data={"signed_request": good("555")}).status_code == 200
    db.session.expire_all()
    assert db.session.get(InstagramAccount, account.id).status == "active"


def populate(factory, account):
    conversation = factory.conversation(account=account)
    factory.message(conversation, text="my phone is 555-0100")
    factory.message(conversation, text="thanks", direction="out")
    factory.lead(conversation, notes="wants 3 units")
    db.session.add(Note(conversation_id=conversation.id, body="VIP customer"))
    db.session.add(WebhookEvent(body=b'{"entry":[{"id":"%s"}]}' % account.ig_user_id.encode(),
                                ig_account_ids=account.ig_user_id, status="applied"))
    db.session.add(WebhookEvent(body=b"mixed", ig_account_ids=f"111,{account.ig_user_id}", status="applied"))
    db.session.commit()
    return conversation


def count(model, **where) -> int:
    statement = select(func.count()).select_from(model)
    for key, value in where.items():
        statement = statement.where(getattr(model, key) == value)
    return db.session.scalar(statement)


def test_data_deletion_erases_the_account_data_and_reports_status(client, account, factory, caplog):
    caplog.set_level(logging.DEBUG)
    populate(factory, account)
    other = factory.account(ig_user_id="17841400000000099", username="other.shop")
    populate(factory, other)
    lookalike = WebhookEvent(body=b"x", ig_account_ids=account.ig_user_id + "5", status="applied")
    db.session.add(lookalike)
    db.session.commit()
    account_id, other_id, lookalike_id = account.id, other.id, lookalike.id

    response = client.post(DATA_DELETION, data={"signed_request": good(account.ig_user_id)})
    assert response.status_code == 200
    body = response.get_json()
    code = body["confirmation_code"]
    assert len(code) >= 24
    assert body["url"] == f"http://inbox.test/accounts/instagram/data-deletion/{code}"

    db.session.expire_all()
    assert db.session.get(InstagramAccount, account_id) is None
    for model in (Contact, Conversation, Message):
        assert count(model, account_id=account_id) == 0, model
    assert count(Lead) == 1 and count(Note) == 1  # the other account's
    assert count(Message, account_id=other_id) == 2
    remaining_events = db.session.scalars(select(WebhookEvent.id)).all()
    assert len(remaining_events) == 3 and lookalike_id in remaining_events  # the other account's two + the lookalike
    deletion = db.session.scalar(select(DataDeletionRequest))
    assert deletion.status == "completed" and deletion.completed_at is not None
    assert "messages: 2" in deletion.summary and "leads: 1" in deletion.summary

    status = client.get(f"/accounts/instagram/data-deletion/{code}")  # no login
    html = status.get_data(as_text=True)
    assert status.status_code == 200 and "Completed" in html and code in html
    for personal in ("acme.shop", "17841400000000077", "my phone is", "VIP customer", "wants 3 units"):
        assert personal not in html
    assert TOKEN not in caplog.text


def test_data_deletion_status_is_truthful_while_the_job_is_pending(client, account, factory, queued):
    populate(factory, account)
    account_id = account.id
    response = client.post(DATA_DELETION, data={"signed_request": good(account.ig_user_id)})
    code = response.get_json()["confirmation_code"]
    db.session.expire_all()
    row = db.session.get(InstagramAccount, account_id)
    assert row.token_encrypted is None and row.status == "disconnected"  # the token goes at once
    html = client.get(f"/accounts/instagram/data-deletion/{code}").get_data(as_text=True)
    assert "In progress" in html and "Completed" not in html
    assert count(Message, account_id=account_id) == 2

    queued.work()
    assert count(Message, account_id=account_id) == 0
    assert "Completed" in client.get(f"/accounts/instagram/data-deletion/{code}").get_data(as_text=True)


def test_data_deletion_for_an_unknown_user_completes_with_nothing_held(client, account):
    code = client.post(DATA_DELETION, data={"signed_request": good("424242")}).get_json()["confirmation_code"]
    deletion = db.session.scalar(select(DataDeletionRequest))
    assert deletion.status == "completed" and deletion.summary == "No data was held for this Instagram account."
    assert client.get(f"/accounts/instagram/data-deletion/{code}").status_code == 200
    db.session.expire_all()
    assert db.session.get(InstagramAccount, account.id).status == "active"


def test_each_request_gets_its_own_code(client, account):
    first = client.post(DATA_DELETION, data={"signed_request": good("1")}).get_json()["confirmation_code"]
    second = client.post(DATA_DELETION, data={"signed_request": good("1")}).get_json()["confirmation_code"]
    assert first != second


def test_unknown_confirmation_code_is_404(client):
    assert client.get("/accounts/instagram/data-deletion/nope").status_code == 404


def test_lost_erasure_jobs_are_resumed(app, account, factory):
    populate(factory, account)
    stale = DataDeletionRequest(confirmation_code="stale-code", ig_user_id=account.ig_user_id,
                                status="received", created_at=utcnow() - timedelta(hours=1))
    fresh = DataDeletionRequest(confirmation_code="fresh-code", ig_user_id="1", status="received")
    db.session.add_all([stale, fresh])
    db.session.commit()
    assert resume_pending_deletions() == 1
    db.session.expire_all()
    assert db.session.get(DataDeletionRequest, stale.id).status == "completed"
    assert db.session.get(DataDeletionRequest, fresh.id).status == "received"
    assert count(Message) == 0
    assert any(j.path == "app.accounts.jobs:resume_pending_deletions" for j in PERIODIC_JOBS)
