"""Regression tests for the robustness findings of the security review (docs/security.md, F-08 to F-16,
I-1, I-8): each input below used to answer 500 (or worse); each test names its finding.

SQLite does not refuse ids above int32 the way PostgreSQL does (F-11), so those tests also check
that no statement is sent with an out-of-range id; the file passes on PostgreSQL too."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta, timezone

import pytest
import responses
from sqlalchemy import select

from app.extensions import db
from app.instagram import payloads as p
from app.instagram.signature import SignedRequestError, parse_signed_request
from app.models import MAX_ID, Contact, Conversation, Message, User
from tests.api.conftest import make_api
from tests.conftest import TEST_APP_SECRET
from tests.meta_kit import HX, graph_url
from tests.sql_log import sql_sent
from tests.webhooks.helpers import post

UTC = timezone.utc
YEAR_9999_MS = 253402300799999  # 9999-12-31T23:59:59.999Z
EAST = "Etc/GMT-14"  # UTC+14, the easternmost zone
WEST = "Etc/GMT+12"  # UTC-12


def b64(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def world(factory, auth):
    """A logged-in admin with one account and one conversation that has a message."""
    user = factory.user()
    account = factory.account(user.workspace)
    conversation = factory.conversation(account, last_inbound_at=datetime.now(UTC))
    factory.message(conversation, "hello")
    auth.login(user)
    return user, account, conversation


@pytest.fixture
def statements(app):
    """Every statement sent to the database while the test runs."""
    with sql_sent() as seen:
        yield seen


def no_huge_ids(seen) -> bool:
    def values(params):
        if isinstance(params, dict):
            return list(params.values())
        if isinstance(params, (list, tuple)):
            return [v for item in params for v in (values(item) if isinstance(item, (list, tuple, dict)) else [item])]
        return [params]

    return not any(isinstance(v, int) and not isinstance(v, bool) and v > MAX_ID for sent in seen for v in values(sent.parameters))


# ------------------------------------------------------------------ F-08


def test_f08_webhook_log_renders_a_delivery_with_a_lone_surrogate(client, auth, factory):
    """F-08: a JSON-escaped lone surrogate in a stored body made GET /webhooks/log 500."""
    user = factory.user()
    account = factory.account(user.workspace)
    body = json.dumps(p.delivery(p.entry(account.ig_user_id, [
        p.text_message(account.ig_user_id, "9001", "m-surrogate", "bad \ud800 text")])))
    assert "\\ud800" in body
    assert post(client, body.encode()).status_code == 200
    auth.login(user)

    response = client.get("/webhooks/log")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "m-surrogate" in page
    assert "\ud800" not in page


# ------------------------------------------------------------------ F-09


def test_f09_year_9999_timestamp_does_not_poison_the_inbox(app, client, auth, factory):
    """F-09: a Meta-signed message dated 9999-12-31 made the API list, the thread and (east of
    UTC) every inbox page 500. The time is now clamped at ingestion to when it was received."""
    user = factory.user()
    account = factory.account(user.workspace)
    before = datetime.now(UTC)
    delivery = p.delivery(p.entry(account.ig_user_id, [
        p.text_message(account.ig_user_id, "9001", "m-future", "from the future", YEAR_9999_MS)]))
    assert post(client, delivery).status_code == 200
    message = db.session.scalar(select(Message).where(Message.mid == "m-future"))
    assert message is not None
    assert before - timedelta(seconds=5) <= message.created_at <= datetime.now(UTC) + timedelta(seconds=5)
    conversation = db.session.scalar(select(Conversation))
    assert conversation.last_inbound_at.year < 9999

    auth.login(user)
    assert client.get(f"/conversations/{conversation.id}").status_code == 200
    client.set_cookie("tz", EAST)
    assert client.get("/").status_code == 200
    assert client.get(f"/conversations/{conversation.id}").status_code == 200
    api = make_api(app, client, user)
    assert client.get("/api/v1/conversations", headers=api.headers).status_code == 200


def test_f09_entry_time_and_read_watermark_far_in_the_future_are_clamped():
    """F-09: the entry time and a read watermark are bounded the same way."""
    from app.instagram.events import parse_delivery

    received = datetime(2024, 1, 2, tzinfo=UTC)
    item = {"sender": {"id": "9001"}, "recipient": {"id": "1784"}, "read": {"watermark": YEAR_9999_MS}}
    parsed = parse_delivery({"object": "instagram", "entry": [{"id": "1784", "time": YEAR_9999_MS, "messaging": [item]}]},
                            received_at=received)
    (read,) = parsed.events
    assert read.timestamp == received
    assert read.watermark == received
    # Within a day of the receive time (clock skew) a time is kept as sent.
    skewed = received + timedelta(hours=2)
    item = {"sender": {"id": "9001"}, "recipient": {"id": "1784"}, "timestamp": int(skewed.timestamp() * 1000),
            "message": {"mid": "m1", "text": "x"}}
    parsed = parse_delivery({"object": "instagram", "entry": [{"id": "1784", "messaging": [item]}]}, received_at=received)
    assert parsed.events[0].timestamp == skewed


def test_f09_rows_already_dated_near_the_end_of_time_still_render(app, client, auth, factory):
    """F-09: rows stored before the fix (dated 9999-12-31) must not 500 the reply window or the
    local-time filters, for viewers east and west of UTC."""
    user = factory.user()
    account = factory.account(user.workspace)
    end = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    conversation = factory.conversation(account, last_inbound_at=end, last_message_at=end)
    factory.message(conversation, "old poison", created_at=end)
    auth.login(user)
    for zone in (EAST, WEST, "UTC"):
        client.set_cookie("tz", zone)
        assert client.get("/").status_code == 200, zone
        assert client.get(f"/conversations/{conversation.id}").status_code == 200, zone
    api = make_api(app, client, user)
    assert client.get("/api/v1/conversations", headers=api.headers).status_code == 200


def test_f09_reply_window_and_to_local_guard_the_edges(app):
    """F-09: the window arithmetic and to_local never overflow."""
    from app.inbox import localtime
    from app.outbound.windows import OPEN, reply_window

    conversation = Conversation(workspace_id=1, last_inbound_at=datetime.max.replace(tzinfo=UTC))
    window = reply_window(conversation, now=datetime(2025, 1, 1, tzinfo=UTC))
    assert window.state == OPEN and window.can_reply
    with app.test_request_context("/", headers={"Cookie": f"tz={EAST}"}):
        assert localtime.to_local(datetime.max.replace(tzinfo=UTC)) is not None
        assert localtime.clock(datetime.max.replace(tzinfo=UTC))
    with app.test_request_context("/", headers={"Cookie": f"tz={WEST}"}):
        assert localtime.full_datetime(datetime.min.replace(tzinfo=UTC))


# ------------------------------------------------------------------ F-10


@pytest.mark.parametrize("until", ["0001-01-01T00:00+05:00", "9999-12-31T23:59-05:00", "0001-01-01T00:00",
                                   "9999-12-31T23:59"])
@pytest.mark.parametrize("zone", [None, EAST, WEST])
def test_f10_snooze_with_a_date_at_the_edge_of_time_is_refused(client, auth, factory, until, zone):
    """F-10: snooze `until` overflowing on conversion to UTC answered 500; now 422."""
    _, _, conversation = world(factory, auth)
    if zone:
        client.set_cookie("tz", zone)
    response = auth.post(f"/conversations/{conversation.id}/snooze", {"until": until}, htmx=True)
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).status != "snoozed"


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "0001-01-01T00:00:00+00:00",
                                    "9999-12-31T23:59:59-05:00", "9999-12-31T23:59:59+00:00"])
def test_f10_live_poll_tokens_with_extreme_dates(client, auth, factory, moment):
    """F-10: live-poll tokens with extreme dates (list and thread) answered 500; now they are
    treated as unreadable tokens (the poll starts over)."""
    _, _, conversation = world(factory, auth)
    since = b64(json.dumps({"t": moment, "f": "x"}))
    thread = b64(json.dumps({"c": conversation.id, "m": None, "u": moment, "t": moment}))
    for query in (f"since={since}", f"thread={thread}", f"since={since}&thread={thread}"):
        response = client.get(f"/inbox/changes?{query}&open={conversation.id}", headers=HX)
        assert response.status_code in (200, 204), (query, response.status_code)


@pytest.mark.parametrize("at", ["9999-12-31T23:59-05:00", "0001-01-01T00:00+05:00", "9999-12-31T23:59",
                                "0001-01-01T00:00"])
def test_f10_automation_preview_with_an_extreme_date_is_a_400(client, auth, factory, at):
    """F-10: the automation preview's `at` overflowing answered 500; now a 400 with a message."""
    world(factory, auth)
    response = client.get(f"/settings/automation/preview?text=hi&at={at}")
    assert response.status_code == 400
    assert "date" in response.get_data(as_text=True).lower()


# ------------------------------------------------------------------ F-11


HUGE = "99999999999999999999"


def test_f11_draft_id_above_int32_is_a_404(client, auth, factory, statements):
    """F-11: GET /conversations/<id>/suggest-reply/<huge> reached PostgreSQL (500)."""
    _, _, conversation = world(factory, auth)
    statements.clear()
    assert client.get(f"/conversations/{conversation.id}/suggest-reply/99999999999").status_code == 404
    assert client.get(f"/conversations/{conversation.id}/suggest-reply/{HUGE}").status_code == 404
    assert no_huge_ids(statements)


def test_f11_token_revoke_above_int32_is_a_404(client, auth, factory, statements):
    """F-11: POST /settings/tokens/<huge>/revoke reached PostgreSQL (500)."""
    world(factory, auth)
    token = auth.csrf_token("/settings")
    statements.clear()
    assert client.post(f"/settings/tokens/{HUGE}/revoke", data={"csrf_token": token}).status_code == 404
    assert no_huge_ids(statements)


def test_f11_webhook_replay_above_int32_is_a_404(client, auth, factory, statements):
    """F-11: POST /webhooks/log/<huge>/replay reached PostgreSQL (500); so did ?before=<huge>."""
    world(factory, auth)
    token = auth.csrf_token("/settings")
    statements.clear()
    assert client.post(f"/webhooks/log/{HUGE}/replay", data={"csrf_token": token}).status_code == 404
    assert client.get(f"/webhooks/log?before={HUGE}").status_code in (200, 400)
    assert no_huge_ids(statements)


@pytest.mark.parametrize("field", ["account_id", "assign_to_id"])
@pytest.mark.parametrize("value", ["99999999999", "99999999999999999999999", "0", "-3"])
def test_f11_rule_form_ids_above_int32_are_a_400(client, auth, factory, statements, field, value):
    """F-11: the rule form's account_id / assign_to_id above int32 reached the database (500); the
    form answers 400 with the field named, as for any other invalid field."""
    world(factory, auth)
    form = {"kind": "greeting", "reply_text": "Hi!", "enabled": "on", field: value}
    statements.clear()
    response = auth.post("/settings/automation/rules/new", form)
    assert response.status_code == 400
    assert "listed options" in response.get_data(as_text=True) or "workspace" in response.get_data(as_text=True)
    assert no_huge_ids(statements)


# ------------------------------------------------------------------ F-12


DEEP = base64.urlsafe_b64encode(("[" * 1200 + "]" * 1200).encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", ["/?cursor={}", "/conversations/{cid}/older?before={}", "/leads?cursor={}",
                                  "/inbox/changes?since={}", "/inbox/changes?thread={}"])
def test_f12_deeply_nested_cursors_and_tokens_are_not_a_500(client, auth, factory, path):
    """F-12: a cursor or live token that is base64 of deeply nested JSON raised RecursionError."""
    _, _, conversation = world(factory, auth)
    response = client.get(path.format(DEEP, cid=conversation.id))
    assert response.status_code < 500


def test_f12_api_deeply_nested_cursor_is_invalid_cursor(app, client, factory):
    """F-12: the API must answer its documented 400 invalid_cursor."""
    user = factory.user()
    factory.account(user.workspace)
    api = make_api(app, client, user)
    response = client.get(f"/api/v1/conversations?cursor={DEEP}", headers=api.headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_cursor"


def test_f12_decoders_refuse_nested_or_long_input():
    from app.inbox.live import BadToken, ListState
    from app.pagination import BadCursor, decode_cursor

    for cursor in (DEEP, b64(json.dumps([["2024-01-01T00:00:00+00:00"], 1])), "A" * 5000):
        with pytest.raises(BadCursor):
            decode_cursor(cursor)
    for token in (DEEP, b64(json.dumps({"t": "2024-01-01T00:00:00+00:00", "f": [[["x"]]]})), "A" * 5000):
        with pytest.raises(BadToken):
            ListState.from_token(token)


# ------------------------------------------------------------------ F-14


@pytest.mark.parametrize("path", ["/accounts/instagram/data-deletion/%00", "/accounts/instagram/data-deletion/a%00b"])
def test_f14_nul_in_a_path_segment_is_a_400(client, path):
    """F-14: a NUL in a path segment reached PostgreSQL (DataError, 500); refused like NUL in forms."""
    response = client.get(path)
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)


# ------------------------------------------------------------------ F-15


def test_f15_error_page_after_a_database_error_is_the_apps_own(app, client, auth, factory):
    """F-15: after a failed statement the 500 handler rendered base.html, whose unread badge
    queried the broken session again, so Werkzeug's bare 500 was served instead of ours."""

    @app.get("/_test/broken-insert")
    def broken_insert():
        db.session.add(User(workspace_id=None, email=None, role="admin"))  # NOT NULL columns
        db.session.flush()
        return "unreachable"

    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the 500 handler answers
    world(factory, auth)
    response = client.get("/_test/broken-insert")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "The error has been logged" in body
    assert "Internal Server Error" not in body
    # The session works again afterwards.
    assert client.get("/").status_code == 200


def test_f15_error_page_survives_a_failing_template(app, client, monkeypatch):
    """F-15: even if rendering the error page fails, a short page of ours is served."""
    import app as app_module

    @app.get("/_test/boom")
    def boom():
        raise RuntimeError("boom")

    def broken_render(*args, **kwargs):
        raise RuntimeError("template broken")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(app_module, "render_template", broken_render)
    response = client.get("/_test/boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)


# ------------------------------------------------------------------ F-16


@pytest.mark.parametrize("raw", ["/nothing%0A2026-12-04%2018:00:00,000%20INFO%20app.request%20POST%20/x%20302",
                                 "/a%0D%0Ab", "/a%00b", "/a%1Bb%7F", "/a%C2%85b", "/a%E2%80%A8b%E2%80%A9c"])
def test_f16_request_log_is_one_line_per_request(client, caplog, raw):
    """F-16: the request path was logged verbatim, so %0A forged a log line."""
    caplog.set_level(logging.INFO, logger="app.request")
    client.get(raw)
    lines = [r.getMessage() for r in caplog.records if r.name == "app.request"]
    assert len(lines) == 1
    line = lines[0]
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029" for c in line), repr(line)
    assert len(line.splitlines()) == 1
    assert line.startswith("GET /")


def test_f16_ordinary_paths_are_logged_as_they_are(client, caplog):
    caplog.set_level(logging.INFO, logger="app.request")
    client.get("/login")
    assert [r.getMessage().split(" ")[:3] for r in caplog.records if r.name == "app.request"] == [["GET", "/login", "200"]]


# ------------------------------------------------------------------ I-1


def _signed(payload_bytes: bytes, secret: str = TEST_APP_SECRET) -> str:
    encoded = base64.urlsafe_b64encode(payload_bytes).rstrip(b"=").decode()
    signature = hmac.new(secret.encode(), encoded.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(signature).rstrip(b"=").decode() + "." + encoded


NESTED = b'{"user_id":"1","x":' + b"[" * 50_000 + b"]" * 50_000 + b"}"


def test_i1_deeply_nested_signed_request_is_refused():
    """I-1: a validly signed payload nested 50k deep raised RecursionError."""
    with pytest.raises(SignedRequestError):
        parse_signed_request(TEST_APP_SECRET, _signed(NESTED))


@pytest.mark.parametrize("path", ["/accounts/instagram/deauthorize", "/accounts/instagram/data-deletion"])
def test_i1_deeply_nested_signed_request_is_a_400(client, path):
    # 5000 deep (about 13 kB): under the callbacks' anonymous body limit, far over the recursion limit.
    nested = b'{"user_id":"1","x":' + b"[" * 5000 + b"]" * 5000 + b"}"
    response = client.post(path, data={"signed_request": _signed(nested)})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_signed_request"


# ------------------------------------------------------------------ I-8


@pytest.mark.parametrize("igsid", ["..", "../../x?y#z", ".", "12 34", "١٢٣"])
def test_i8_profile_lookup_never_puts_a_non_digit_id_in_the_url(app, factory, igsid):
    """I-8: an IGSID of `..` made the profile lookup call `graph_url/` with the account token."""
    from app.webhooks.jobs import fetch_contact_profile

    contact = factory.contact(igsid=igsid)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fetch_contact_profile(contact.id)
        assert len(mock.calls) == 0
    db.session.expire_all()
    contact = db.session.get(Contact, contact.id)
    assert contact.profile_error and "id" in contact.profile_error
    assert contact.name is None


def test_i8_a_digit_id_is_still_looked_up(app, factory):
    from app.webhooks.jobs import fetch_contact_profile

    contact = factory.contact(igsid="9001")
    with responses.RequestsMock() as mock:
        mock.get(graph_url("9001"), json={"name": "Ana", "username": "ana"})
        fetch_contact_profile(contact.id)
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).name == "Ana"
