"""Self-describing, signed access tokens and authorization codes for the stand-in.

The inbox may run several gunicorn workers, each with its own copy of the stand-in, so a
token minted by one process must be verifiable by any other without shared memory. Every
token therefore carries its own claims (whose account, what kind, when issued, which
scopes) and an HMAC over them made with the stand-in's signing key:

    IGSTAND.<base64url JSON claims>.<base64url HMAC-SHA256>      access tokens
    AQSTAND.<base64url JSON claims>.<base64url HMAC-SHA256>      authorization codes

Codes and tokens use different prefixes (and are signed over the prefix) so one can never
be passed off as the other.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import secrets
import time
from dataclasses import asdict, dataclass, field

TOKEN_PREFIX = "IGSTAND"
CODE_PREFIX = "AQSTAND"

SHORT_LIVED_SECONDS = 3600  # Meta: short-lived tokens last one hour
LONG_LIVED_SECONDS = 5_184_000  # 60 days
CODE_SECONDS = 3600  # Meta: a code lives one hour


class InvalidSignedValue(Exception):
    """A token or code that cannot be trusted: malformed, forged or signed with another key."""


@dataclass(frozen=True)
class Claims:
    """What a token or code says about itself."""

    ig_user_id: str  # the professional account id (webhooks' entry.id, /me user_id)
    app_user_id: str  # the app-scoped id (/me id, the code exchange's user_id)
    username: str
    kind: str  # "code", "short" or "long"
    scopes: list[str]
    iat: float  # seconds, to the millisecond: revocation compares it with the revoke time
    exp: float
    client_id: str = ""
    redirect_uri: str = ""  # codes only: must match at exchange time
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(9))

    def expired(self, now: float) -> bool:
        return now >= self.exp


def _millis(seconds: float) -> float:
    # Rounded down, never up: a token must never look issued after a revocation that
    # followed it within the same millisecond.
    return math.floor(seconds * 1000) / 1000


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Mints and verifies tokens and codes with one key."""

    def __init__(self, key: str | bytes):
        if not key:
            raise ValueError("the stand-in needs a signing key (STANDIN_SIGNING_KEY or SECRET_KEY)")
        raw = key.encode() if isinstance(key, str) else key
        # Derive a purpose-specific key so the app's SECRET_KEY (a common fallback) is never
        # used directly to sign something an outsider can see.
        self._key = hmac.new(raw, b"igdm-inbox standin tokens v1", hashlib.sha256).digest()

    def _signature(self, prefix: str, payload: str) -> str:
        mac = hmac.new(self._key, f"{prefix}.{payload}".encode("ascii"), hashlib.sha256)
        return _b64encode(mac.digest())

    def _dump(self, prefix: str, claims: Claims) -> str:
        payload = _b64encode(json.dumps(asdict(claims), separators=(",", ":")).encode())
        return f"{prefix}.{payload}.{self._signature(prefix, payload)}"

    def _load(self, prefix: str, value: str) -> Claims:
        parts = value.split(".") if isinstance(value, str) else []
        if len(parts) != 3 or parts[0] != prefix:
            raise InvalidSignedValue("malformed")
        _, payload, signature = parts
        if not hmac.compare_digest(signature.encode(), self._signature(prefix, payload).encode()):
            raise InvalidSignedValue("bad signature")
        try:
            return Claims(**json.loads(_b64decode(payload)))
        except (ValueError, TypeError, binascii.Error) as exc:
            raise InvalidSignedValue("unreadable claims") from exc

    def mint_token(
        self,
        *,
        ig_user_id: str,
        app_user_id: str,
        username: str,
        kind: str = "long",
        scopes: list[str] | None = None,
        client_id: str = "",
        issued_at: float | None = None,
        lifetime: int | None = None,
    ) -> str:
        if kind not in ("short", "long"):
            raise ValueError(f"unknown token kind {kind!r}")
        iat = _millis(time.time() if issued_at is None else issued_at)
        if lifetime is None:
            lifetime = SHORT_LIVED_SECONDS if kind == "short" else LONG_LIVED_SECONDS
        claims = Claims(
            ig_user_id=ig_user_id,
            app_user_id=app_user_id,
            username=username,
            kind=kind,
            scopes=list(scopes or []),
            iat=iat,
            exp=iat + lifetime,
            client_id=client_id,
        )
        return self._dump(TOKEN_PREFIX, claims)

    def read_token(self, value: str) -> Claims:
        claims = self._load(TOKEN_PREFIX, value)
        if claims.kind not in ("short", "long"):
            raise InvalidSignedValue("not an access token")
        return claims

    def mint_code(
        self,
        *,
        ig_user_id: str,
        app_user_id: str,
        username: str,
        scopes: list[str],
        client_id: str,
        redirect_uri: str,
        issued_at: float | None = None,
    ) -> str:
        iat = _millis(time.time() if issued_at is None else issued_at)
        claims = Claims(
            ig_user_id=ig_user_id,
            app_user_id=app_user_id,
            username=username,
            kind="code",
            scopes=list(scopes),
            iat=iat,
            exp=iat + CODE_SECONDS,
            client_id=client_id,
            redirect_uri=redirect_uri,
        )
        return self._dump(CODE_PREFIX, claims)

    def read_code(self, value: str) -> Claims:
        claims = self._load(CODE_PREFIX, value)
        if claims.kind != "code":
            raise InvalidSignedValue("not an authorization code")
        return claims
