"""Meta's `signed_request` (deauthorize and data-deletion callbacks).

Format: `<base64url(signature)>.<base64url(json payload)>`, where the signature is
HMAC-SHA256 with the app secret over the payload segment exactly as sent. Meta leaves
the base64 padding off; tolerate it either way.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

__all__ = ["SignedRequestError", "make_signed_request", "parse_signed_request"]

ALGORITHM = "HMAC-SHA256"


class SignedRequestError(ValueError):
    """The signed_request is malformed, wrongly signed, or not a JSON object."""


def _b64url_decode(segment: str) -> bytes:
    stripped = segment.rstrip("=")
    try:
        return base64.b64decode(stripped + "=" * (-len(stripped) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise SignedRequestError("signed_request is not valid base64url") from None


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _sign(secret: str, payload_segment: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), payload_segment.encode("ascii"), hashlib.sha256).digest()


def parse_signed_request(secret: str, signed_request: str | None) -> dict[str, Any]:
    """The verified payload as a dict; raises `SignedRequestError` for anything else."""
    if not secret:
        raise SignedRequestError("no app secret configured to check the signed_request")
    if not isinstance(signed_request, str) or signed_request.count(".") != 1:
        raise SignedRequestError("signed_request must be two dot-separated segments")
    signature_segment, payload_segment = signed_request.split(".")
    if not signature_segment or not payload_segment or not payload_segment.isascii():
        raise SignedRequestError("signed_request must be two dot-separated segments")
    signature = _b64url_decode(signature_segment)
    # Checked before the payload is even decoded: nothing unsigned is parsed.
    if not hmac.compare_digest(signature, _sign(secret, payload_segment)):
        raise SignedRequestError("signed_request signature does not match")
    raw_payload = _b64url_decode(payload_segment)
    try:
        payload = json.loads(raw_payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise SignedRequestError("signed_request payload is not JSON") from None
    if not isinstance(payload, dict):
        raise SignedRequestError("signed_request payload is not a JSON object")
    algorithm = payload.get("algorithm")
    if algorithm is not None and (not isinstance(algorithm, str) or algorithm.upper() != ALGORITHM):
        raise SignedRequestError("signed_request uses an unsupported algorithm")
    return payload


def make_signed_request(secret: str, payload: dict[str, Any]) -> str:
    """Build a signed_request as Meta does (tests, the demo stand-in)."""
    body = dict(payload)
    body.setdefault("algorithm", ALGORITHM)
    payload_segment = _b64url_encode(json.dumps(body, separators=(",", ":")).encode("utf-8"))
    return f"{_b64url_encode(_sign(secret, payload_segment))}.{payload_segment}"
