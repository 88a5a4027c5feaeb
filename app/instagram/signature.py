"""Meta's two request-signing schemes, checked with the app secret.

* Webhook deliveries carry ``X-Hub-Signature-256: sha256=<hex>``, an HMAC-SHA256
  of the raw request body. :func:`verify_signature` checks it; it must be given the
  bytes exactly as received, never re-serialised JSON.
* The deauthorize and data-deletion callbacks post a ``signed_request`` form field,
  ``<base64url signature>.<base64url JSON payload>``, where the signature is an
  HMAC-SHA256 of the payload segment as sent. :func:`parse_signed_request` checks
  it and returns the payload.

Digests are always compared with :func:`hmac.compare_digest`. An empty secret never
verifies anything: a missing configuration must not turn into "anyone may sign".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re

SIGNATURE_PREFIX = "sha256="
SIGNED_REQUEST_ALGORITHM = "HMAC-SHA256"

_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")
# Both base64 alphabets: Meta sends the URL-safe one, but its own sample code maps
# it back to the standard one, so a proxy or SDK doing the same must not break us.
_BASE64_SEGMENT = re.compile(r"[A-Za-z0-9_\-+/]*={0,2}")


class SignedRequestError(ValueError):
    """A ``signed_request`` that is malformed or not signed with our secret."""


def _digest(secret: str, data: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), data, hashlib.sha256).digest()


def compute_signature(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta would send for ``body``."""
    return SIGNATURE_PREFIX + _digest(secret, body).hex()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is a valid ``X-Hub-Signature-256`` for the raw ``body``.

    False for a missing, empty or malformed header, a prefix other than ``sha256=``,
    a wrong digest, or an empty secret. Hex case is ignored (Meta sends lowercase).
    Never raises.
    """
    if not secret or not isinstance(secret, str):
        return False
    if not isinstance(body, (bytes, bytearray)) or not isinstance(header, str):
        return False
    header = header.strip()
    if header[: len(SIGNATURE_PREFIX)].lower() != SIGNATURE_PREFIX:
        return False
    received = header[len(SIGNATURE_PREFIX):]
    # Checked before comparing so compare_digest only ever sees ASCII hex.
    if not _HEX_DIGEST.fullmatch(received):
        return False
    return hmac.compare_digest(bytes.fromhex(received), _digest(secret, bytes(body)))


def _b64url_decode(segment: str) -> bytes:
    if not _BASE64_SEGMENT.fullmatch(segment):
        raise SignedRequestError("signed_request is not valid base64url")
    standard = segment.rstrip("=").replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise SignedRequestError("signed_request is not valid base64url") from None


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def parse_signed_request(secret: str, signed_request: str) -> dict:
    """Check a ``signed_request`` and return its JSON payload.

    Raises :class:`SignedRequestError` with a short, readable message when the value
    has no ``.``, is not base64url, is not signed with ``secret``, does not hold a
    JSON object, or names an ``algorithm`` other than HMAC-SHA256.
    """
    if not secret:
        raise SignedRequestError("no app secret configured to check signed_request")
    if not isinstance(signed_request, str) or "." not in signed_request:
        raise SignedRequestError("signed_request is not '<signature>.<payload>'")
    encoded_sig, encoded_payload = signed_request.strip().split(".", 1)
    signature = _b64url_decode(encoded_sig)
    payload_bytes = _b64url_decode(encoded_payload)
    # The signature covers the payload segment as sent, not the decoded JSON.
    expected = _digest(secret, encoded_payload.encode("ascii"))
    if not hmac.compare_digest(signature, expected):
        raise SignedRequestError("signed_request signature does not match")
    try:
        payload = json.loads(payload_bytes)
    except (UnicodeDecodeError, ValueError, RecursionError):
        # RecursionError: validly signed but nested too deeply to decode (review I-1).
        raise SignedRequestError("signed_request payload is not JSON") from None
    if not isinstance(payload, dict):
        raise SignedRequestError("signed_request payload is not a JSON object")
    algorithm = payload.get("algorithm")
    if algorithm is not None and (
        not isinstance(algorithm, str) or algorithm.upper() != SIGNED_REQUEST_ALGORITHM
    ):
        raise SignedRequestError(f"signed_request algorithm {algorithm!r} is not HMAC-SHA256")
    return payload


def make_signed_request(secret: str, payload: dict) -> str:
    """Sign ``payload`` the way Meta does (for tests and the demo simulator).

    ``algorithm`` defaults to HMAC-SHA256 as in Meta's callbacks; padding is
    stripped as Meta strips it.
    """
    body = {"algorithm": SIGNED_REQUEST_ALGORITHM, **payload}
    encoded_payload = _b64url_encode(json.dumps(body, separators=(",", ":")).encode("utf-8"))
    signature = _digest(secret, encoded_payload.encode("ascii"))
    return f"{_b64url_encode(signature)}.{encoded_payload}"
