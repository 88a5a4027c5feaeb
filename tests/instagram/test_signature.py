"""signed_request parsing: only a correctly signed JSON object gets through."""
from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from app.instagram.signature import SignedRequestError, make_signed_request, parse_signed_request

SECRET = "app-secret-for-tests"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def sign(payload_segment: str, secret: str = SECRET) -> str:
    return b64(hmac.new(secret.encode(), payload_segment.encode(), hashlib.sha256).digest()) + "." + payload_segment


def test_roundtrip():
    request = make_signed_request(SECRET, {"user_id": "123", "issued_at": 1735000000})
    assert "=" not in request
    assert parse_signed_request(SECRET, request) == {"user_id": "123", "issued_at": 1735000000, "algorithm": "HMAC-SHA256"}


def test_meta_style_request_without_algorithm_and_with_padding():
    payload = b64(b'{"user_id":"42"}') + "=="  # padded, and signed as sent
    signature, _ = sign(payload).split(".")
    assert parse_signed_request(SECRET, f"{signature}=.{payload}")["user_id"] == "42"
    assert parse_signed_request(SECRET, f"{signature}.{payload}")["user_id"] == "42"


def test_signature_covers_the_payload_segment_as_sent():
    # Same JSON, different bytes (whitespace): the signature of one does not cover the other.
    signature = sign(b64(b'{"user_id":"1"}')).split(".")[0]
    spaced = b64(b'{ "user_id": "1" }')
    with pytest.raises(SignedRequestError, match="signature"):
        parse_signed_request(SECRET, f"{signature}.{spaced}")


@pytest.mark.parametrize("value,match", [
    (None, "two"), ("", "two"), ("abc", "two"), ("a.b.c", "two"), (".abc", "two"), ("abc.", "two"),
    ("sig.pä", "two"),
    ("!!!." + b64(b"{}"), "base64"),
    (make_signed_request("other-secret", {"user_id": "1"}), "signature"),
    (sign("%%%"), "base64"),
    (sign(b64(b"not json")), "JSON"),
    (sign(b64(b"\xff\xfe")), "JSON"),
    (sign(b64(b"[1, 2]")), "object"),
    (sign(b64(b'"text"')), "object"),
    (make_signed_request(SECRET, {"user_id": "1", "algorithm": "HMAC-SHA1"}), "algorithm"),
    (make_signed_request(SECRET, {"user_id": "1", "algorithm": 5}), "algorithm"),
])
def test_rejections(value, match):
    with pytest.raises(SignedRequestError, match=match):
        parse_signed_request(SECRET, value)


def test_error_is_a_value_error_and_needs_a_secret():
    assert issubclass(SignedRequestError, ValueError)
    with pytest.raises(SignedRequestError):
        parse_signed_request("", make_signed_request(SECRET, {"user_id": "1"}))
