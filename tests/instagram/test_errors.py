"""Error bodies from Meta → typed errors, and the redaction that keeps secrets out of them."""

from __future__ import annotations

import copy
import logging
import pickle

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from app.instagram.errors import (
    BadRequestError,
    GraphError,
    MissingPermissionError,
    OutsideWindowError,
    RateLimitedError,
    RecipientUnavailableError,
    TokenInvalidError,
    TransientError,
    error_class_for,
    error_from_response,
)
from app.instagram.redaction import MASK, RedactingFilter, redact
from tests.meta_kit import FBTRACE_ID, graph_error_body

TOKEN = "IGQWRtestTOKENvalue"
APP_SECRET = "0123456789abcdef0123456789abcdef"
RETRYABLE = (TransientError, RateLimitedError)


def texts_of(error: GraphError) -> list[str]:
    """Everything about an error that could be printed, logged or stored."""
    attributes = (error.message, error.user_message, error.error_type, error.fbtrace_id)
    return [str(error), repr(error), *map(str, error.args), *map(repr, error.args), *filter(None, attributes)]


# -- Meta's error table (docs/meta-protocol.md#errors) -------------------------------------------


@pytest.mark.parametrize(
    ("code", "subcode", "status", "expected"),
    [
        (190, None, 400, TokenInvalidError),
        (190, 458, 400, TokenInvalidError),
        (190, 460, 400, TokenInvalidError),
        (190, 463, 400, TokenInvalidError),
        (190, 467, 401, TokenInvalidError),
        (1, None, 500, TransientError),
        (2, None, 503, TransientError),
        (1, None, 400, TransientError),
        (4, None, 400, RateLimitedError),
        (17, None, 400, RateLimitedError),
        (32, None, 400, RateLimitedError),
        (613, None, 400, RateLimitedError),
        (10, 2534040, 400, RateLimitedError),
        (10, 2534022, 400, OutsideWindowError),
        (10, 2018278, 400, OutsideWindowError),
        (551, None, 400, RecipientUnavailableError),
        (551, 1545041, 400, RecipientUnavailableError),
        (200, 1545041, 403, RecipientUnavailableError),
        (10, 2018108, 400, RecipientUnavailableError),
        (100, 2534014, 400, BadRequestError),
        (100, 2534015, 400, BadRequestError),
        (100, 2018008, 400, BadRequestError),
        (100, 2018109, 400, BadRequestError),
        (100, None, 400, BadRequestError),
        (100, 33, 400, BadRequestError),
        (10, None, 403, MissingPermissionError),
        (10, 1234, 403, MissingPermissionError),
        (200, None, 403, MissingPermissionError),
        (230, None, 403, MissingPermissionError),
        (299, None, 403, MissingPermissionError),
        (300, None, 400, GraphError),
        (12345, None, 400, GraphError),
        (12345, None, 500, TransientError),
        (None, None, 502, TransientError),
        (None, None, 429, RateLimitedError),
        (None, None, 404, GraphError),
    ],
)
def test_error_table(code, subcode, status, expected):
    assert error_class_for(code, subcode, status) is expected

    error = error_from_response(status, graph_error_body(code, subcode) if code is not None else None)
    assert type(error) is expected
    assert error.retryable is issubclass(expected, RETRYABLE)
    assert (error.retry_after is not None) is error.retryable


def test_graph_body_fields_are_kept():
    error = error_from_response(
        400,
        graph_error_body(190, 463, "Error validating access token: Session has expired on Tuesday, 04-Mar-25."),
    )

    assert isinstance(error, TokenInvalidError)
    assert (error.code, error.subcode, error.http_status) == (190, 463, 400)
    assert error.fbtrace_id == FBTRACE_ID
    assert error.error_type == "OAuthException"
    assert error.message.startswith("Error validating access token")
    assert error.user_message == "The Instagram connection needs to be renewed."
    assert not error.retryable and error.retry_after is None
    assert str(error) == (
        "Error validating access token: Session has expired on Tuesday, 04-Mar-25. "
        f"(code 190, subcode 463, HTTP 400, fbtrace_id {FBTRACE_ID})"
    )
    assert repr(error).startswith("TokenInvalidError(code=190, subcode=463, http_status=400")


def test_codes_as_strings_are_understood():
    error = error_from_response(400, {"error": {"message": "x", "code": "10", "error_subcode": "2534022"}})
    assert isinstance(error, OutsideWindowError)
    assert (error.code, error.subcode) == (10, 2534022)


@pytest.mark.parametrize(
    ("subcode", "words"),
    [(2534014, "find this recipient"), (2018008, "download"), (2018109, "larger")],
)
def test_bad_request_subcodes_say_what_went_wrong(subcode, words):
    assert words in error_from_response(400, graph_error_body(100, subcode)).user_message


def test_every_class_has_a_readable_sentence_for_staff():
    classes = (
        GraphError,
        TransientError,
        RateLimitedError,
        TokenInvalidError,
        OutsideWindowError,
        RecipientUnavailableError,
        BadRequestError,
        MissingPermissionError,
    )
    for cls in classes:
        sentence = cls("x").user_message
        assert sentence[0].isupper() and sentence.endswith(".")


def test_meta_end_user_message_is_used_for_unmapped_errors():
    error = error_from_response(400, graph_error_body(36000, 2207004, error_user_msg="The image is too large."))
    assert type(error) is GraphError
    assert error.user_message == "The image is too large."


def test_is_transient_flag_makes_an_unknown_error_retryable():
    assert isinstance(error_from_response(400, graph_error_body(-2, 2207003, is_transient=True)), TransientError)
    # ...but never overrides a known mapping.
    assert isinstance(error_from_response(400, graph_error_body(190, is_transient=True)), TokenInvalidError)


def test_retry_after_hints():
    assert RateLimitedError("x").retry_after > TransientError("x").retry_after > 0
    assert error_from_response(429, None, retry_after=42).retry_after == 42
    assert error_from_response(503, None, retry_after=-5).retry_after == 0
    # A Retry-After on a permanent failure is no invitation to retry.
    assert error_from_response(400, graph_error_body(100), retry_after=30).retry_after is None


# -- The OAuth endpoint's shapes --------------------------------------------------------


def test_oauth_flat_shape():
    body = {
        "error_type": "OAuthException",
        "code": 400,
        "error_message": "Matching code was not found or was already used",
    }

    error = error_from_response(400, body)

    assert isinstance(error, BadRequestError)
    assert (error.code, error.http_status, error.error_type) == (400, 400, "OAuthException")
    assert error.message == "Matching code was not found or was already used"
    assert "try connecting" in error.user_message
    assert not error.retryable


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (500, {"error_type": "OAuthException", "code": 500, "error_message": "Oops"}, TransientError),
        (429, {"error_type": "OAuthException", "code": 429, "error_message": "Slow down"}, RateLimitedError),
        (400, {"error_type": "OAuthException", "code": 190, "error_message": "Bad token"}, TokenInvalidError),
        (400, {"error": "invalid_request", "error_description": "Invalid redirect_uri"}, BadRequestError),
    ],
)
def test_oauth_shapes_map_to_typed_errors(status, body, expected):
    assert type(error_from_response(status, body)) is expected


# -- Secrets never show ------------------------------------------------------------------


def test_known_secrets_are_masked_everywhere():
    error = error_from_response(
        400,
        graph_error_body(190, message=f"bad token {TOKEN} with secret {APP_SECRET}", error_user_msg=TOKEN),
        secrets=[TOKEN, APP_SECRET],
    )

    for text in texts_of(error):
        assert TOKEN not in text and APP_SECRET not in text
    assert MASK in error.message


def test_credential_shapes_are_masked_without_being_told():
    facebook_token = "EAAGm0PX4ZCpsBAKZAZAhello1234"
    message = (
        "GET https://graph.test/refresh_access_token?grant_type=ig_refresh_token&access_token=abc.def-1 "
        f"client_secret={APP_SECRET}&code=AQDxyz#_ Authorization: Bearer zzTOPsecret "
        f'{{"access_token": "plainTOKEN"}} and a bare {TOKEN} or {facebook_token}'
    )

    cleaned = str(GraphError(message))

    for secret in ("abc.def-1", APP_SECRET, "AQDxyz", "zzTOPsecret", "plainTOKEN", TOKEN, facebook_token):
        assert secret not in cleaned
    assert "grant_type=ig_refresh_token" in cleaned  # only the secrets go


def test_redaction_leaves_ordinary_text_alone():
    text = "(#100) Param recipient[id] must be a valid ID; error_code=100 for IGSID 1122334455667788"
    assert redact(text) == text


def test_pickling_keeps_class_and_attributes():
    error = error_from_response(429, graph_error_body(4, message=f"limit {TOKEN}"), retry_after=90, secrets=[TOKEN])

    for clone in (pickle.loads(pickle.dumps(error)), copy.copy(error)):
        assert type(clone) is RateLimitedError
        assert (clone.code, clone.http_status, clone.retry_after) == (4, 429, 90)
        assert str(clone) == str(error)
        assert TOKEN not in repr(clone)


def test_log_filter_rewrites_records():
    # The record urllib3 writes for each request.
    target = f"/refresh_access_token?access_token={TOKEN}"
    record = logging.LogRecord(
        name="urllib3.connectionpool",
        level=logging.DEBUG,
        pathname=__file__,
        lineno=1,
        msg='%s://%s:%s "%s %s %s" %s %s',
        args=("https", "graph.instagram.com", 443, "GET", target, "HTTP/1.1", 200, None),
        exc_info=None,
    )

    assert RedactingFilter().filter(record) is True
    assert TOKEN not in record.getMessage()
    assert "/refresh_access_token?access_token=***" in record.getMessage()


# What Meta's tokens and secrets are made of.
token_text = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", min_size=8, max_size=200
)


@given(token=token_text, before=st.text(max_size=80), after=st.text(max_size=80))
def test_a_known_secret_never_survives_redaction(token, before, after):
    assert token not in redact(f"{before}{token}{after}{token}", [token])


@given(
    token=token_text,
    status=st.integers(min_value=400, max_value=599),
    code=st.one_of(st.none(), st.integers(min_value=-5, max_value=1000)),
    subcode=st.one_of(st.none(), st.integers(min_value=0, max_value=3_000_000)),
    around=st.text(max_size=40),
)
def test_no_error_shape_leaks_the_token(token, status, code, subcode, around):
    # A "token" spelled inside the error's own vocabulary (e.g. "BadReque") is found in any repr.
    assume(token not in repr(BadRequestError("m", code=1, subcode=1, http_status=400, fbtrace_id="f"))
           and all(token not in cls.__name__ for cls in (GraphError, *GraphError.__subclasses__())))
    message = f"{around}{token}{around}"
    bodies = [
        {
            "error": {
                "message": message,
                "type": message,
                "code": code,
                "error_subcode": subcode,
                "fbtrace_id": message,
                "error_user_msg": message,
            }
        },
        {"error_type": "OAuthException", "code": code, "error_message": message},
        {"error": message, "error_description": message},
    ]
    for body in bodies:
        error = error_from_response(status, body, secrets=[token])
        assert isinstance(error, GraphError)
        assert error.retryable is isinstance(error, RETRYABLE)
        for text in texts_of(error):
            assert token not in text
