"""GraphClient: the exact requests Meta receives, and how its answers are read."""

from __future__ import annotations

import json
import logging
import pickle
import threading
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from app.instagram.errors import (
    BadRequestError,
    GraphError,
    MissingPermissionError,
    OutsideWindowError,
    RateLimitedError,
    RecipientUnavailableError,
    TokenInvalidError,
    TransientError,
)
from app.instagram.graph import (
    DEFAULT_SCOPES,
    SUBSCRIBED_FIELDS,
    GraphClient,
    LongLivedToken,
    MessageTooLong,
    OutgoingAttachment,
    SendResult,
    ShortLivedToken,
)
from tests.meta_kit import (
    API_URL,
    FBTRACE_ID,
    GRAPH_URL,
    GRAPH_VERSION,
    graph_error_body,
    graph_url,
    sent_ok,
    success_ok,
)

TOKEN = "IGQWRtestTOKENvalue"
SECRET = "appSECRETvalue123"
IG_USER = "17841400000000001"
IGSID = "1122334455667788"
MID = "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAw"
MESSAGES_URL = graph_url(IG_USER, "messages")


@pytest.fixture
def client():
    client = GraphClient(GRAPH_URL, API_URL, GRAPH_VERSION)
    yield client
    client.close()


def only_request(meta) -> requests.PreparedRequest:
    assert len(meta.calls) == 1
    return meta.calls[0].request


def json_body(request) -> dict:
    assert request.headers["Content-Type"] == "application/json"
    return json.loads(request.body)


def assert_bearer_only(request) -> None:
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in request.url
    assert "access_token" not in request.url


def assert_secrets_hidden(error: BaseException, *secrets: str) -> None:
    texts = [str(error), repr(error), *map(str, error.args), *map(repr, error.args)]
    for secret in secrets:
        for text in texts:
            assert secret not in text


# -- Sending ---------------------------------------------------------------------------


def test_send_text(client, meta_strict):
    meta_strict.post(MESSAGES_URL, **sent_ok(MID, IGSID))

    result = client.send_message(TOKEN, IG_USER, IGSID, text="Hi! Our prices start at €20.")

    assert result == SendResult(recipient_id=IGSID, message_id=MID)
    request = only_request(meta_strict)
    assert request.method == "POST"
    assert request.url == MESSAGES_URL
    assert_bearer_only(request)
    assert json_body(request) == {
        "recipient": {"id": IGSID},
        "message": {"text": "Hi! Our prices start at €20."},
    }


@pytest.mark.parametrize("kind", ["image", "video", "audio", "file"])
def test_send_each_attachment_type(client, meta_strict, kind):
    meta_strict.post(MESSAGES_URL, **sent_ok(MID, IGSID))
    url = f"https://cdn.example.com/{kind}.bin"

    client.send_message(TOKEN, IG_USER, IGSID, attachment=OutgoingAttachment(kind, url))

    request = only_request(meta_strict)
    assert request.url == MESSAGES_URL
    assert_bearer_only(request)
    assert json_body(request) == {
        "recipient": {"id": IGSID},
        "message": {"attachment": {"type": kind, "payload": {"url": url}}},
    }


def test_attachment_as_plain_tuple(client, meta_strict):
    meta_strict.post(MESSAGES_URL, **sent_ok(MID, IGSID))

    client.send_message(TOKEN, IG_USER, IGSID, attachment=("image", "https://cdn.example.com/a.png"))

    assert json_body(only_request(meta_strict))["message"]["attachment"]["type"] == "image"


def test_human_agent_reply_carries_the_tag(client, meta_strict):
    meta_strict.post(MESSAGES_URL, **sent_ok(MID, IGSID))

    client.send_message(TOKEN, IG_USER, IGSID, text="Sorry for the wait!", human_agent=True)

    request = only_request(meta_strict)
    assert request.url == MESSAGES_URL
    assert_bearer_only(request)
    assert json_body(request) == {
        "recipient": {"id": IGSID},
        "messaging_type": "MESSAGE_TAG",
        "tag": "HUMAN_AGENT",
        "message": {"text": "Sorry for the wait!"},
    }


def test_text_limit_is_1000_utf8_bytes(client, meta_strict):
    meta_strict.post(MESSAGES_URL, **sent_ok(MID, IGSID))
    client.send_message(TOKEN, IG_USER, IGSID, text="€" * 333 + "a")  # 999 + 1 = 1000 bytes

    with pytest.raises(MessageTooLong) as excinfo:
        client.send_message(TOKEN, IG_USER, IGSID, text="€" * 334)  # 1002 bytes, 334 characters
    assert isinstance(excinfo.value, ValueError)
    assert (excinfo.value.size, excinfo.value.limit) == (1002, 1000)
    assert len(meta_strict.calls) == 1  # the long one never left the process
    assert pickle.loads(pickle.dumps(excinfo.value)).size == 1002


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"text": "hi", "attachment": ("image", "https://cdn.example.com/a.png")},
        {"text": ""},
        {"attachment": ("sticker", "https://cdn.example.com/a.png")},
        {"attachment": ("image", "")},
    ],
)
def test_invalid_message_is_refused_locally(client, meta_strict, kwargs):
    with pytest.raises(ValueError):
        client.send_message(TOKEN, IG_USER, IGSID, **kwargs)
    assert not meta_strict.calls


def test_ids_cannot_change_the_path(client, meta_strict):
    meta_strict.get(graph_url("..%2Fme"), json={"id": "x"})

    client.get_profile(TOKEN, "../me")

    assert urlsplit(only_request(meta_strict).url).path == f"/{GRAPH_VERSION}/..%2Fme"


def test_send_without_message_id_is_an_error(client, meta_strict):
    meta_strict.post(MESSAGES_URL, json={"recipient_id": IGSID})

    with pytest.raises(GraphError) as excinfo:
        client.send_message(TOKEN, IG_USER, IGSID, text="hi")
    assert not excinfo.value.retryable  # it may have been delivered


# -- Sender actions --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (
            lambda c: c.send_reaction(TOKEN, IG_USER, IGSID, MID),
            {"sender_action": "react", "payload": {"message_id": MID, "reaction": "love"}},
        ),
        (
            lambda c: c.remove_reaction(TOKEN, IG_USER, IGSID, MID),
            {"sender_action": "unreact", "payload": {"message_id": MID}},
        ),
        (lambda c: c.mark_seen(TOKEN, IG_USER, IGSID), {"sender_action": "mark_seen"}),
        (lambda c: c.typing(TOKEN, IG_USER, IGSID, True), {"sender_action": "typing_on"}),
        (lambda c: c.typing(TOKEN, IG_USER, IGSID, False), {"sender_action": "typing_off"}),
    ],
    ids=["react", "unreact", "mark_seen", "typing_on", "typing_off"],
)
def test_sender_actions(client, meta_strict, call, expected):
    meta_strict.post(MESSAGES_URL, json={"recipient_id": IGSID})

    assert call(client) is None

    request = only_request(meta_strict)
    assert request.url == MESSAGES_URL
    assert_bearer_only(request)
    assert json_body(request) == {"recipient": {"id": IGSID}, **expected}


# -- Reading ---------------------------------------------------------------------------


def test_get_profile(client, meta_strict):
    profile = {
        "name": "Ana Lima",
        "username": "ana.lima",
        "profile_pic": "https://cdn.example.com/ana.jpg",
        "follower_count": 312,
        "is_user_follow_business": True,
        "is_business_follow_user": False,
        "is_verified_user": False,
        "id": IGSID,
    }
    meta_strict.get(graph_url(IGSID), json=profile)

    assert client.get_profile(TOKEN, IGSID) == profile

    request = only_request(meta_strict)
    assert request.method == "GET"
    assert request.url == (
        f"{GRAPH_URL}/{GRAPH_VERSION}/{IGSID}?fields=name,username,profile_pic,follower_count,"
        "is_user_follow_business,is_business_follow_user,is_verified_user"
    )
    assert_bearer_only(request)


def test_get_me(client, meta_strict):
    me = {"user_id": IG_USER, "username": "acme.store", "name": "Acme", "profile_picture_url": None}
    meta_strict.get(graph_url("me"), json={**me, "id": "9988"})

    assert client.get_me(TOKEN)["user_id"] == IG_USER

    request = only_request(meta_strict)
    assert request.url == f"{GRAPH_URL}/{GRAPH_VERSION}/me?fields=user_id,username,name,profile_picture_url"
    assert_bearer_only(request)


def test_version_without_v_prefix_and_base_with_trailing_slash(meta_strict):
    meta_strict.get(graph_url("me"), json={"user_id": IG_USER})

    GraphClient(f"{GRAPH_URL}/", f"{API_URL}/", "24.0").get_me(TOKEN)

    assert urlsplit(only_request(meta_strict).url).path == f"/{GRAPH_VERSION}/me"


# -- Webhook subscriptions -------------------------------------------------------------


def test_subscribe_webhooks(client, meta_strict):
    meta_strict.post(graph_url(IG_USER, "subscribed_apps"), **success_ok())

    client.subscribe_webhooks(TOKEN, IG_USER)

    request = only_request(meta_strict)
    assert request.url == (
        f"{GRAPH_URL}/{GRAPH_VERSION}/{IG_USER}/subscribed_apps?subscribed_fields="
        "messages,message_reactions,messaging_seen,messaging_postbacks,messaging_referral,message_edit,"
        "comments,live_comments"
    )
    assert not request.body
    assert_bearer_only(request)


def test_subscribed_fields_constant():
    assert SUBSCRIBED_FIELDS == (
        "messages",
        "message_reactions",
        "messaging_seen",
        "messaging_postbacks",
        "messaging_referral",
        "message_edit",
        "comments",
        "live_comments",
    )


def test_subscribe_without_success_is_an_error(client, meta_strict):
    meta_strict.post(graph_url(IG_USER, "subscribed_apps"), json={"success": False})

    with pytest.raises(GraphError):
        client.subscribe_webhooks(TOKEN, IG_USER, ["messages"])


def test_subscribe_refuses_odd_field_names(client, meta_strict):
    with pytest.raises(ValueError):
        client.subscribe_webhooks(TOKEN, IG_USER, ["messages&access_token=x"])
    with pytest.raises(ValueError):
        client.subscribe_webhooks(TOKEN, IG_USER, [])


def test_list_subscriptions(client, meta_strict):
    data = [{"id": "1234", "name": "Inbox", "subscribed_fields": ["messages"]}]
    meta_strict.get(graph_url(IG_USER, "subscribed_apps"), json={"data": data})

    assert client.list_subscriptions(TOKEN, IG_USER) == data
    assert_bearer_only(only_request(meta_strict))


def test_unsubscribe_webhooks(client, meta_strict):
    meta_strict.delete(graph_url(IG_USER, "subscribed_apps"), **success_ok())

    client.unsubscribe_webhooks(TOKEN, IG_USER)

    request = only_request(meta_strict)
    assert request.method == "DELETE"
    assert request.url == graph_url(IG_USER, "subscribed_apps")
    assert_bearer_only(request)


# -- Instagram Business Login ----------------------------------------------------------


def test_authorize_url():
    url = GraphClient.authorize_url(
        "http://instagram.test/oauth/authorize",
        "99887766",
        "https://inbox.example.com/accounts/instagram/callback",
        "st4te-value",
        DEFAULT_SCOPES,
    )

    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "instagram.test", "/oauth/authorize")
    assert ("scope=instagram_business_basic,instagram_business_manage_messages,instagram_business_manage_comments"
            in parts.query)
    assert parse_qs(parts.query) == {
        "client_id": ["99887766"],
        "redirect_uri": ["https://inbox.example.com/accounts/instagram/callback"],
        "response_type": ["code"],
        "scope": ["instagram_business_basic,instagram_business_manage_messages,instagram_business_manage_comments"],
        "state": ["st4te-value"],
    }


def test_authorize_url_forcing_authentication():
    url = GraphClient.authorize_url(
        "http://instagram.test/oauth/authorize", "1", "https://x/cb", "s", force_authentication=True
    )
    assert parse_qs(urlsplit(url).query)["force_authentication"] == ["1"]


def _expect_code_exchange(meta, response_json, status=200):
    meta.post(f"{API_URL}/oauth/access_token", json=response_json, status=status)


def test_exchange_code_documented_shape(client, meta_strict):
    _expect_code_exchange(
        meta_strict,
        {
            "data": [
                {
                    "access_token": TOKEN,
                    "user_id": IG_USER,
                    "permissions": "instagram_business_basic,instagram_business_manage_messages",
                }
            ]
        },
    )

    token = client.exchange_code("99887766", SECRET, "https://inbox.example.com/cb", "AQBcodeVALUE#_")

    assert token == ShortLivedToken(
        access_token=TOKEN,
        user_id=IG_USER,
        permissions=("instagram_business_basic", "instagram_business_manage_messages"),
    )
    assert TOKEN not in repr(token)
    request = only_request(meta_strict)
    assert request.method == "POST"
    assert request.url == f"{API_URL}/oauth/access_token"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in request.headers
    assert parse_qs(request.body) == {
        "client_id": ["99887766"],
        "client_secret": [SECRET],
        "grant_type": ["authorization_code"],
        "redirect_uri": ["https://inbox.example.com/cb"],
        "code": ["AQBcodeVALUE"],
    }


def test_exchange_code_flat_shape(client, meta_strict):
    # The flat shape, with a numeric user_id and a list of permissions.
    _expect_code_exchange(
        meta_strict,
        {"access_token": TOKEN, "user_id": 17841400000000001, "permissions": ["instagram_business_basic"]},
    )

    token = client.exchange_code("99887766", SECRET, "https://inbox.example.com/cb", "AQBcodeVALUE")

    assert token.user_id == "17841400000000001"
    assert token.permissions == ("instagram_business_basic",)
    assert parse_qs(only_request(meta_strict).body)["code"] == ["AQBcodeVALUE"]


def test_exchange_code_oauth_error(client, meta_strict):
    _expect_code_exchange(
        meta_strict,
        {
            "error_type": "OAuthException",
            "code": 400,
            "error_message": f"Error validating verification code. client_secret={SECRET} code=AQBcodeVALUE",
        },
        status=400,
    )

    with pytest.raises(BadRequestError) as excinfo:
        client.exchange_code("99887766", SECRET, "https://inbox.example.com/cb", "AQBcodeVALUE#_")

    error = excinfo.value
    assert (error.code, error.http_status, error.error_type) == (400, 400, "OAuthException")
    assert not error.retryable
    assert "connect" in error.user_message
    assert_secrets_hidden(error, SECRET, "AQBcodeVALUE")


def test_exchange_code_without_token_is_an_error(client, meta_strict):
    _expect_code_exchange(meta_strict, {"data": []})

    with pytest.raises(GraphError):
        client.exchange_code("1", SECRET, "https://x/cb", "c")


def test_exchange_long_lived(client, meta_strict):
    meta_strict.get(
        f"{GRAPH_URL}/access_token",
        json={"access_token": "IGlongLIVEDtokenVALUE", "token_type": "bearer", "expires_in": 5183944},
    )

    token = client.exchange_long_lived(SECRET, TOKEN)

    assert token == LongLivedToken(access_token="IGlongLIVEDtokenVALUE", expires_in=5183944)
    assert "IGlongLIVEDtokenVALUE" not in repr(token)
    request = only_request(meta_strict)
    assert request.method == "GET"
    parts = urlsplit(request.url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{GRAPH_URL}/access_token"  # unversioned
    assert parse_qs(parts.query) == {
        "grant_type": ["ig_exchange_token"],
        "client_secret": [SECRET],
        "access_token": [TOKEN],
    }


def test_refresh_token(client, meta_strict):
    meta_strict.get(
        f"{GRAPH_URL}/refresh_access_token",
        json={"access_token": "IGrefreshedTOKENvalue", "token_type": "bearer", "expires_in": 5184000},
    )

    token = client.refresh_token(TOKEN)

    assert token == LongLivedToken(access_token="IGrefreshedTOKENvalue", expires_in=5184000)
    parts = urlsplit(only_request(meta_strict).url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{GRAPH_URL}/refresh_access_token"
    assert parse_qs(parts.query) == {"grant_type": ["ig_refresh_token"], "access_token": [TOKEN]}


def test_refresh_of_a_dead_token(client, meta_strict):
    meta_strict.get(
        f"{GRAPH_URL}/refresh_access_token",
        status=400,
        json={
            "error": {
                "message": "Error validating access token: Session has expired on Tuesday, 04-Mar-25.",
                "type": "OAuthException",
                "code": 190,
                "error_subcode": 463,
                "fbtrace_id": "AmT4z8Ue3sQ",
            }
        },
    )

    with pytest.raises(TokenInvalidError) as excinfo:
        client.refresh_token(TOKEN)
    assert excinfo.value.user_message == "The Instagram connection needs to be renewed."
    assert_secrets_hidden(excinfo.value, TOKEN)


# -- Errors ----------------------------------------------------------------------------


# (HTTP status, code, subcode, Meta's message, expected class)
ERROR_CASES = [
    (400, 190, 460, "Error validating access token: session invalidated", TokenInvalidError),
    (500, 1, None, "An unknown error occurred", TransientError),
    (500, 2, None, "An unexpected error has occurred. Please retry your request later.", TransientError),
    (400, 4, None, "(#4) Application request limit reached", RateLimitedError),
    (400, 613, None, "(#613) Calls to this api have exceeded the rate limit", RateLimitedError),
    (400, 100, 2534040, "(#100) Too many requests", RateLimitedError),
    (400, 10, 2534022, "(#10) This message is sent outside of allowed window", OutsideWindowError),
    (400, 10, 2018278, "(#10) Message sent outside of allowed window", OutsideWindowError),
    (400, 551, 1545041, "This person isn't available right now", RecipientUnavailableError),
    (403, 200, 1545041, "(#200) This person isn't receiving messages from you", RecipientUnavailableError),
    (400, 10, 2018108, "(#10) This person isn't available right now", RecipientUnavailableError),
    (400, 100, 2534014, "(#100) No matching user found", BadRequestError),
    (400, 100, 2018008, "(#100) Failed to fetch the file from the url", BadRequestError),
    (400, 100, None, "(#100) Param recipient[id] must be a valid ID", BadRequestError),
    (403, 10, None, "(#10) Application does not have permission for this action", MissingPermissionError),
    (403, 230, None, "(#230) Requires instagram_business_manage_messages permission", MissingPermissionError),
]


@pytest.mark.parametrize(("status", "code", "subcode", "message", "expected"), ERROR_CASES)
def test_error_bodies_become_typed_errors(client, meta_strict, status, code, subcode, message, expected):
    meta_strict.post(MESSAGES_URL, status=status, json=graph_error_body(code, subcode, message))

    with pytest.raises(expected) as excinfo:
        client.send_message(TOKEN, IG_USER, IGSID, text="hi")

    error = excinfo.value
    assert type(error) is expected
    assert (error.code, error.subcode, error.http_status) == (code, subcode, status)
    assert error.fbtrace_id == FBTRACE_ID
    assert error.message == message
    assert error.user_message
    assert error.retryable is (expected in (TransientError, RateLimitedError))


def test_error_inside_a_200_is_still_an_error(client, meta_strict):
    meta_strict.get(graph_url("me"), json=graph_error_body(190, 467))

    with pytest.raises(TokenInvalidError):
        client.get_me(TOKEN)


def test_non_json_5xx_is_transient(client, meta_strict):
    meta_strict.post(MESSAGES_URL, status=502, body="<html>502 Bad Gateway</html>", content_type="text/html")

    with pytest.raises(TransientError) as excinfo:
        client.send_message(TOKEN, IG_USER, IGSID, text="hi")
    assert excinfo.value.http_status == 502
    assert excinfo.value.retry_after is not None


def test_non_json_4xx_is_not_retried(client, meta_strict):
    meta_strict.post(MESSAGES_URL, status=404, body="Not Found", content_type="text/plain")

    with pytest.raises(GraphError) as excinfo:
        client.send_message(TOKEN, IG_USER, IGSID, text="hi")
    assert type(excinfo.value) is GraphError
    assert not excinfo.value.retryable


def test_non_json_success_is_not_retried(client, meta_strict):
    meta_strict.post(MESSAGES_URL, status=200, body="<html>captive portal</html>", content_type="text/html")

    with pytest.raises(GraphError) as excinfo:
        client.send_message(TOKEN, IG_USER, IGSID, text="hi")
    assert not excinfo.value.retryable


def test_429_honours_retry_after_seconds(client, meta_strict):
    meta_strict.post(MESSAGES_URL, status=429, headers={"Retry-After": "120"},
                     json=graph_error_body(4, message="(#4) Application request limit reached"))

    with pytest.raises(RateLimitedError) as excinfo:
        client.send_message(TOKEN, IG_USER, IGSID, text="hi")
    assert excinfo.value.retry_after == 120
    assert excinfo.value.http_status == 429


def test_429_honours_retry_after_date_without_a_body(client, meta_strict):
    later = datetime.now(timezone.utc) + timedelta(seconds=300)
    meta_strict.post(MESSAGES_URL, status=429, headers={"Retry-After": format_datetime(later, usegmt=True)}, body="")

    with pytest.raises(RateLimitedError) as excinfo:
        client.send_message(TOKEN, IG_USER, IGSID, text="hi")
    assert 290 <= excinfo.value.retry_after <= 300


def test_rate_limit_hint_is_longer_than_transient_hint(client, meta_strict):
    meta_strict.post(MESSAGES_URL, status=400, json=graph_error_body(613))
    meta_strict.post(MESSAGES_URL, status=500, json=graph_error_body(2))

    with pytest.raises(RateLimitedError) as limited:
        client.mark_seen(TOKEN, IG_USER, IGSID)
    with pytest.raises(TransientError) as transient:
        client.mark_seen(TOKEN, IG_USER, IGSID)
    assert limited.value.retry_after > transient.value.retry_after > 0


# -- Transport failures and secrecy ----------------------------------------------------

REFRESH_TARGET = f"/refresh_access_token?grant_type=ig_refresh_token&access_token={TOKEN}"
POOL = "HTTPConnectionPool(host='graph.test', port=80)"


@pytest.mark.parametrize(
    "failure",
    [
        # The texts requests really produces: the full URL, query string included.
        requests.exceptions.ConnectTimeout(f"{POOL}: Max retries exceeded with url: {REFRESH_TARGET}"),
        requests.exceptions.ReadTimeout(f"{POOL}: Read timed out. (read timeout=10) url: {REFRESH_TARGET}"),
        requests.exceptions.ConnectionError(f"{POOL}: Max retries exceeded with url: {REFRESH_TARGET}"),
    ],
    ids=["connect-timeout", "read-timeout", "connection-error"],
)
def test_network_failures_are_transient_and_leak_nothing(client, meta_strict, failure):
    meta_strict.get(f"{GRAPH_URL}/refresh_access_token", body=failure)

    with pytest.raises(TransientError) as excinfo:
        client.refresh_token(TOKEN)

    error = excinfo.value
    assert error.retryable and error.http_status is None and error.code is None
    assert "/refresh_access_token" in str(error)
    assert_secrets_hidden(error, TOKEN)
    # The requests exception quotes the full URL: it must not ride along as the cause.
    assert error.__cause__ is None and error.__context__ is None


def test_timeout_on_send_is_transient(client, meta_strict):
    meta_strict.post(MESSAGES_URL, body=requests.exceptions.ReadTimeout("Read timed out."))

    with pytest.raises(TransientError):
        client.send_message(TOKEN, IG_USER, IGSID, text="hi")


def test_timeout_is_passed_to_requests(meta_strict):
    seen = {}

    class RecordingSession(requests.Session):
        def request(self, *args, **kwargs):
            seen["timeout"] = kwargs["timeout"]
            return super().request(*args, **kwargs)

    meta_strict.get(graph_url("me"), json={"user_id": "1"})
    GraphClient(GRAPH_URL, API_URL, GRAPH_VERSION, session=RecordingSession()).get_me(TOKEN)
    assert seen["timeout"] == (3.05, 10)


def send_text(c):
    return c.send_message(TOKEN, IG_USER, IGSID, text="hi")


# Meta's messages can quote what they were given; whatever they quote must not come through.
LEAKY_ERROR_CASES = [
    pytest.param(
        "GET", f"{GRAPH_URL}/refresh_access_token", lambda c: c.refresh_token(TOKEN), 400,
        graph_error_body(190, 463, f"Invalid OAuth access token: {TOKEN}"),
        id="refresh",
    ),
    pytest.param(
        "GET", f"{GRAPH_URL}/access_token", lambda c: c.exchange_long_lived(SECRET, TOKEN), 400,
        {"error_type": "OAuthException", "code": 400, "error_message": f"Bad secret {SECRET} for {TOKEN}"},
        id="long-lived-exchange",
    ),
    pytest.param(
        "POST", MESSAGES_URL, send_text, 500,
        graph_error_body(2, message=f"Retry later: POST {MESSAGES_URL}?access_token={TOKEN}"),
        id="url-in-message",
    ),
    pytest.param(
        "POST", MESSAGES_URL, send_text, 400,
        graph_error_body(10, 2534022, "outside window", error_user_msg=f"Authorization: Bearer {TOKEN}"),
        id="header-in-user-message",
    ),
    pytest.param(
        "POST", MESSAGES_URL, lambda c: c.mark_seen(TOKEN, IG_USER, IGSID), 400,
        graph_error_body(551, message=f'{{"access_token": "{TOKEN}"}}'),
        id="json-in-message",
    ),
    pytest.param(
        "POST", MESSAGES_URL, lambda c: c.typing(TOKEN, IG_USER, IGSID, True), 400,
        graph_error_body(100, message=f"bad token {TOKEN}", error_user_msg=f"bad token {TOKEN}"),
        id="bad-request",
    ),
    pytest.param(
        "GET", graph_url("me"), lambda c: c.get_me(TOKEN), 429, graph_error_body(32, message=TOKEN),
        id="rate-limited",
    ),
    pytest.param(
        "GET", graph_url(IGSID), lambda c: c.get_profile(TOKEN, IGSID), 403,
        graph_error_body(200, message=f"needs permission ({TOKEN})"),
        id="permission",
    ),
    pytest.param(
        "GET", graph_url("me"), lambda c: c.get_me(TOKEN), 400, graph_error_body(12345, message=TOKEN),
        id="unknown-code",
    ),
]


@pytest.mark.parametrize(("method", "url", "call", "status", "body"), LEAKY_ERROR_CASES)
def test_no_exception_ever_shows_the_token_or_secret(client, meta_strict, method, url, call, status, body):
    meta_strict.add(method, url, status=status, json=body)

    with pytest.raises(GraphError) as excinfo:
        call(client)

    error = excinfo.value
    assert_secrets_hidden(error, TOKEN, SECRET)
    assert TOKEN not in error.message and TOKEN not in error.user_message
    assert_secrets_hidden(pickle.loads(pickle.dumps(error)), TOKEN, SECRET)


class _TokenEndpoint(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"access_token": "IGrefreshedTOKENvalue", "expires_in": 5184000})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


def test_urllib3_request_log_lines_are_redacted(caplog):
    """A real socket: urllib3 logs the request line, query string (and token) included."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        caplog.set_level(logging.DEBUG)
        with GraphClient(base, base, GRAPH_VERSION) as client:
            token = client.refresh_token(TOKEN)
    finally:
        server.shutdown()
        server.server_close()

    assert token.access_token == "IGrefreshedTOKENvalue"
    request_lines = [r.getMessage() for r in caplog.records if r.name == "urllib3.connectionpool"]
    assert any("/refresh_access_token?" in line for line in request_lines)  # urllib3 did log it
    assert TOKEN not in caplog.text
    assert all(TOKEN not in r.getMessage() for r in caplog.records)
