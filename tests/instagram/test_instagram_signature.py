"""Webhook signatures (X-Hub-Signature-256) and signed_request callbacks."""

import base64
import hashlib
import hmac
import json

import pytest

from app.instagram.signature import (
    SignedRequestError,
    compute_signature,
    make_signed_request,
    parse_signed_request,
    verify_signature,
)

SECRET = "app-secret-0123456789abcdef"
BODY = b'{"object":"instagram","entry":[]}'


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def meta_signed_request(secret: str, payload_json: str) -> str:
    """Built independently of the module under test, as Meta documents it."""
    encoded = b64url(payload_json.encode())
    sig = hmac.new(secret.encode(), encoded.encode(), hashlib.sha256).digest()
    return f"{b64url(sig)}.{encoded}"


# ------------------------------------------------------------- X-Hub-Signature-256


def test_compute_signature_is_prefixed_lowercase_hex_hmac():
    expected = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert compute_signature(SECRET, BODY) == f"sha256={expected}"


def test_good_signature_verifies():
    assert verify_signature(SECRET, BODY, compute_signature(SECRET, BODY))


def test_signature_checks_the_raw_bytes_not_the_json():
    reserialised = json.dumps(json.loads(BODY)).encode()  # same JSON, other bytes
    assert reserialised != BODY
    assert not verify_signature(SECRET, reserialised, compute_signature(SECRET, BODY))


def test_uppercase_hex_is_accepted():
    header = compute_signature(SECRET, BODY)
    assert verify_signature(SECRET, BODY, "sha256=" + header[7:].upper())


def test_surrounding_whitespace_is_tolerated():
    assert verify_signature(SECRET, BODY, f"  {compute_signature(SECRET, BODY)} ")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "sha256",
        "sha1=" + hashlib.sha1(BODY).hexdigest(),
        "md5=" + "0" * 64,
        "sha256=" + "0" * 64,  # well formed, wrong digest
        "sha256=" + "z" * 64,  # not hex
        "sha256=" + "ab" * 31,  # too short
        "sha256=" + "ab" * 33,  # too long
        "sha256=" + "é" * 64,  # non-ASCII must not reach compare_digest
        "sha256=" + "0" * 63 + "\x00",
    ],
)
def test_malformed_or_wrong_headers_are_rejected(header):
    assert verify_signature(SECRET, BODY, header) is False


def test_wrong_secret_is_rejected():
    assert not verify_signature("other-secret", BODY, compute_signature(SECRET, BODY))


def test_other_body_is_rejected():
    assert not verify_signature(SECRET, BODY + b" ", compute_signature(SECRET, BODY))


def test_empty_secret_never_verifies():
    # Even a header computed with the empty key: an unset secret must not accept.
    assert not verify_signature("", BODY, compute_signature("", BODY))


@pytest.mark.parametrize("body", [None, "text", 42])
def test_non_bytes_body_is_rejected_without_raising(body):
    assert verify_signature(SECRET, body, compute_signature(SECRET, BODY)) is False


def test_bytearray_body_is_accepted():
    assert verify_signature(SECRET, bytearray(BODY), compute_signature(SECRET, BODY))


def test_non_string_header_is_rejected_without_raising():
    assert verify_signature(SECRET, BODY, b"sha256=00") is False


# ------------------------------------------------------------------ signed_request

PAYLOAD = {"algorithm": "HMAC-SHA256", "issued_at": 1700000000, "user_id": "17841400000000001"}


def test_meta_style_signed_request_parses():
    signed = meta_signed_request(SECRET, json.dumps(PAYLOAD))
    assert parse_signed_request(SECRET, signed) == PAYLOAD


def test_make_signed_request_round_trips_and_defaults_algorithm():
    signed = make_signed_request(SECRET, {"user_id": "42", "issued_at": 1})
    assert "=" not in signed  # Meta strips padding
    assert parse_signed_request(SECRET, signed) == {
        "algorithm": "HMAC-SHA256",
        "user_id": "42",
        "issued_at": 1,
    }


def test_padding_is_optional():
    signed = meta_signed_request(SECRET, json.dumps(PAYLOAD))
    sig, payload = signed.split(".")
    padded = sig + "=" * (-len(sig) % 4) + "." + payload
    assert parse_signed_request(SECRET, padded) == PAYLOAD


def test_algorithm_may_be_absent():
    signed = meta_signed_request(SECRET, '{"user_id": "1"}')
    assert parse_signed_request(SECRET, signed) == {"user_id": "1"}


def error_of(secret, signed) -> str:
    with pytest.raises(SignedRequestError) as caught:
        parse_signed_request(secret, signed)
    assert isinstance(caught.value, ValueError)
    return str(caught.value)


def test_wrong_secret_is_a_bad_signature():
    signed = meta_signed_request("other-secret", json.dumps(PAYLOAD))
    assert "signature" in error_of(SECRET, signed)


def test_tampered_payload_is_a_bad_signature():
    sig, _ = meta_signed_request(SECRET, json.dumps(PAYLOAD)).split(".")
    forged = b64url(json.dumps({**PAYLOAD, "user_id": "666"}).encode())
    assert "signature" in error_of(SECRET, f"{sig}.{forged}")


def test_empty_signature_is_a_bad_signature():
    assert "signature" in error_of(SECRET, "." + b64url(b"{}"))


@pytest.mark.parametrize("value", ["", "no-dot-here", None, 42])
def test_missing_dot_is_rejected(value):
    assert "<signature>.<payload>" in error_of(SECRET, value)


@pytest.mark.parametrize("value", ["@@@.eyJ9", "abc.e$J9", "abcd.ab=cd", "a.b"])
def test_bad_base64_is_rejected(value):
    assert "base64" in error_of(SECRET, value)


def test_payload_not_json_is_rejected():
    assert "not JSON" in error_of(SECRET, meta_signed_request(SECRET, "{not json"))


def test_payload_not_utf8_is_rejected():
    encoded = b64url(b"\xff\xfe")
    sig = hmac.new(SECRET.encode(), encoded.encode(), hashlib.sha256).digest()
    assert "not JSON" in error_of(SECRET, f"{b64url(sig)}.{encoded}")


@pytest.mark.parametrize("payload_json", ["[1, 2]", '"user"', "42", "null"])
def test_payload_not_an_object_is_rejected(payload_json):
    assert "not a JSON object" in error_of(SECRET, meta_signed_request(SECRET, payload_json))


@pytest.mark.parametrize("algorithm", ["HMAC-SHA1", "none", 256])
def test_other_algorithm_is_rejected(algorithm):
    signed = meta_signed_request(SECRET, json.dumps({**PAYLOAD, "algorithm": algorithm}))
    assert "algorithm" in error_of(SECRET, signed)


def test_empty_secret_refuses_to_check():
    assert "secret" in error_of("", meta_signed_request("", json.dumps(PAYLOAD)))
