"""Every error status of the API answers `{"error": {"code", "message"}}` (never HTML, never a 500)."""
import io
import json
import os

import pytest

from app.auth.api_tokens import revoke
from app.extensions import db
from app.models import ApiToken, Conversation, Lead
from app import create_app
from tests.api.conftest import error_of, make_api
from tests.conftest import _clean_database
from tests.factories import Factory

GET_ENDPOINTS = ("/conversations", "/conversations/{c}", "/conversations/{c}/messages", "/leads", "/accounts")


@pytest.fixture
def conversation(api, factory):
    conversation = factory.conversation(api.account, unread_count=1)
    factory.lead(conversation)
    return conversation


@pytest.mark.parametrize("path", GET_ENDPOINTS + ("POST /conversations/{c}/read", "PATCH /conversations/{c}", "PATCH /leads/{l}"))
def test_every_endpoint_needs_a_live_token(api, conversation, client, path):
    method, _, path = path.rpartition(" ")
    path = "/api/v1" + path.format(c=conversation.id, l=db.session.query(Lead).one().id)
    for headers in ({}, {"Authorization": "Bearer igi_not-a-token"}, {"Authorization": f"Token {api.token}"}):
        response = client.open(path, method=method or "GET", headers=headers, json={} if method == "PATCH" else None)
        assert error_of(response, 401)["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    revoke(db.session.query(ApiToken).one())
    db.session.commit()
    assert error_of(client.open(path, method=method or "GET", headers=api.headers), 401)["code"] == "unauthorized"


def test_token_use_is_recorded(api):
    assert db.session.query(ApiToken).one().last_used_at is None
    api.get("/conversations")
    db.session.expire_all()
    assert db.session.query(ApiToken).one().last_used_at is not None


def test_the_openapi_document_needs_no_token(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.get_json()["openapi"].startswith("3.1")


def test_a_signed_in_browser_cannot_use_the_api(client, auth, factory):
    """The session cookie is ignored: a cross-site form cannot act through the API."""
    user = auth.login()
    conversation = factory.conversation(factory.account(user.workspace), unread_count=2)
    assert error_of(client.get("/api/v1/conversations"), 401)["code"] == "unauthorized"
    assert error_of(client.post(f"/api/v1/conversations/{conversation.id}/read"), 401)["code"] == "unauthorized"
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).unread_count == 2


def test_token_calls_need_no_csrf_token(api, conversation):
    # CSRF protection is on in tests; a bearer call carries no ambient credential to forge.
    assert api.post(f"/conversations/{conversation.id}/read").status_code == 200
    assert api.patch(f"/conversations/{conversation.id}", json={"status": "pending"}).status_code == 200


@pytest.mark.parametrize("query, field", [
    ("status=closed", "status"),
    ("unread=maybe", "unread"),
    ("account_id=abc", "account_id"),
    ("account_id=0", "account_id"),
    ("account_id=-1", "account_id"),
    ("account_id=99999999999999999999", "account_id"),
    ("assignee=someone", "assignee"),
    ("q=" + "x" * 201, "q"),
    ("q=a%00b", "q"),
    ("limit=0", "limit"),
    ("limit=-5", "limit"),
    ("limit=abc", "limit"),
    ("limit=1.5", "limit"),
    ("limit=1e3", "limit"),  # any number of digits is capped, not refused (see test_api_params_doc.py)
    ("cursor=garbage", "cursor"),
    ("cursor=WyIwMDAxLTAxLTAxVDAwOjAwOjAwKzA1OjAwIiwxXQ", "cursor"),  # year 1 at +05:00: before UTC's year 1
    ("cursor=WyIyMDMwLTAxLTAxVDAwOjAwOjAwWiIsOTk5OTk5OTk5OTk5OTld", "cursor"),  # id wider than the column
])
def test_bad_list_parameters_are_400_naming_the_field(api, query, field):
    error = error_of(api.get(f"/conversations?{query}"), 400)
    assert error["field"] == field
    assert error["code"] == ("invalid_cursor" if field == "cursor" else "validation_failed")


def test_bad_message_and_lead_cursors_are_400(api, conversation):
    assert error_of(api.get(f"/conversations/{conversation.id}/messages?before=nope"), 400)["field"] == "before"
    assert error_of(api.get(f"/conversations/{conversation.id}/messages?limit=none"), 400)["field"] == "limit"
    assert error_of(api.get("/leads?cursor=nope"), 400)["field"] == "cursor"
    assert error_of(api.get("/leads?limit=0"), 400)["field"] == "limit"


def test_limit_is_capped_at_100(api, factory):
    for _ in range(101):
        factory.conversation(api.account)
    body = api.get("/conversations?limit=5000").get_json()
    assert len(body["data"]) == 100 and body["next_cursor"]
    assert len(api.get("/conversations").get_json()["data"]) == 50


@pytest.mark.parametrize("raw", [b"", b"{", b"nul", b"[1, 2]", b'"text"', b"3", b"null", b"\xff\xfe",
                                 b'{"status": NaN}', b"[" * 50000, b'{"status": "open"} trailing'])
def test_body_that_is_not_a_json_object_is_400(api, conversation, raw):
    response = api.patch(f"/conversations/{conversation.id}", data=raw, content_type="application/json")
    assert error_of(response, 400)["code"] == "invalid_json"


def test_unknown_body_field_is_400(api, conversation):
    error = error_of(api.patch(f"/conversations/{conversation.id}", json={"status": "open", "statuss": "x"}), 400)
    assert error == {"code": "validation_failed", "field": "statuss",
                     "message": "unknown field (allowed: status, assignee_id, snoozed_until)"}


def test_non_json_body_is_415(api, conversation):
    path = f"/conversations/{conversation.id}"
    assert error_of(api.patch(path, data={"status": "resolved"}), 415)["code"] == "unsupported_media_type"
    assert error_of(api.patch(path, data='{"status": "resolved"}', content_type="text/plain"), 415)
    assert error_of(api.patch(path, data=b""), 415)  # no body at all: still not JSON
    assert error_of(api.post(f"{path}/read", data="x", content_type="text/plain"), 415)
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).status == "open"
    # application/*+json and a charset are JSON too.
    assert api.patch(path, data=json.dumps({"status": "pending"}), content_type="application/merge-patch+json").status_code == 200
    assert api.patch(path, data=json.dumps({"status": "open"}), content_type="application/json; charset=utf-8").status_code == 200


def test_body_over_64kb_is_413(api, conversation):
    path = f"/conversations/{conversation.id}"
    big = json.dumps({"status": "resolved", "x": "a" * 70_000})
    assert error_of(api.patch(path, data=big, content_type="application/json"), 413)["code"] == "too_large"
    lead_id = db.session.query(Lead).one().id
    assert error_of(api.patch(f"/leads/{lead_id}", data=big, content_type="application/json"), 413)
    # A chunked body (no Content-Length) is cut off at the limit while read, and refused the same way.
    response = api.patch(path, input_stream=io.BytesIO(big.encode()), content_type="application/json",
                         headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})
    assert error_of(response, 413)["code"] == "too_large"
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).status == "open"
    # Right at the limit is fine (the unknown field is what gets refused, not the size).
    exact = json.dumps({"x": ""})
    exact = json.dumps({"x": "a" * (64 * 1024 - len(exact))})
    assert len(exact) == 64 * 1024
    assert error_of(api.patch(path, data=exact, content_type="application/json"), 400)["field"] == "x"


def test_wrong_method_is_405_with_allow(api, conversation):
    response = api.request("DELETE", f"/conversations/{conversation.id}")
    assert error_of(response, 405)["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "PATCH"}
    assert error_of(api.request("PUT", "/leads/1", json={}), 405)
    assert error_of(api.request("POST", "/accounts"), 405)


def test_unknown_paths_are_json_404(api):
    for path in ("/", "/nope", "/conversations/", "/conversations/1/nope", "/leads/abc"):
        assert error_of(api.get(path), 404)["code"] == "not_found"


def test_rate_limit_per_token_is_429_with_retry_after(app, api, client, factory):
    app.config["API_RATE_LIMIT"] = 3
    for _ in range(3):
        assert api.get("/accounts").status_code == 200
    response = api.get("/accounts")
    assert error_of(response, 429)["code"] == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    # One budget across endpoints, not one per route.
    assert error_of(api.get("/conversations"), 429)["code"] == "rate_limited"
    # Another token, even of the same user, has its own budget.
    other = make_api(app, client, api.user)
    assert other.get("/accounts").status_code == 200


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="sharing a count between processes needs real Redis")
def test_rate_limit_is_shared_through_redis(database_url):
    """Two apps on one Redis (two web processes): the second sees the first one's count."""
    from redis import Redis

    from tests.conftest import base_config

    redis_url = os.environ["REDIS_URL"]
    Redis.from_url(redis_url).flushdb()
    config = dict(base_config(database_url), REDIS_URL=redis_url, JOBS_INLINE=True, API_RATE_LIMIT=2)
    first = create_app(config)
    with first.app_context():
        api = make_api(first, first.test_client(), Factory().user())
        assert api.get("/accounts").status_code == 200
        assert api.get("/accounts").status_code == 200
        keys = [k.decode() for k in Redis.from_url(redis_url).scan_iter("*igdm:rl*")]
        assert keys and all(api.token not in key for key in keys)  # keyed without the token itself
    second = create_app(config)  # a new limiter storage: nothing but Redis remembers the count
    with second.app_context():
        api.app, api.client = second, second.test_client()
        assert error_of(api.get("/accounts"), 429)["code"] == "rate_limited"
        db.session.remove()
        _clean_database()
    Redis.from_url(redis_url).flushdb()


