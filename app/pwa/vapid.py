"""The app server's VAPID key pair (RFC 8292): what signs every Web Push we send, and what a browser
needs to subscribe (`applicationServerKey`).

Formats, the ones pywebpush / py-vapid and browsers expect:
- VAPID_PUBLIC_KEY: the uncompressed P-256 point (65 bytes, 0x04 first), base64url without padding;
- VAPID_PRIVATE_KEY: the raw 32-byte private scalar, base64url without padding
  (py_vapid.Vapid.from_string reads it; `flask push keys` prints both);
- VAPID_SUBJECT: a `mailto:` or `https:` contact for the push services.
Unset (all three) = push is off. Set but wrong = the app refuses to start, naming the fix: a typo
must not surface as pushes that silently never arrive.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app

VARIABLES = ("VAPID_PRIVATE_KEY", "VAPID_PUBLIC_KEY", "VAPID_SUBJECT")
KEYS_COMMAND = "flask --app app push keys"
HOW_TO_ENABLE = (f"run `{KEYS_COMMAND}` and set the VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY it prints, "
                 "and VAPID_SUBJECT (mailto:you@example.com or an https: address)")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    """Strict base64url, padded or not (a browser's PushSubscription omits the padding)."""
    text = text.strip()
    if not text or any(c not in _ALPHABET for c in text.rstrip("=")):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))


_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass(frozen=True)
class KeyPair:
    private_key: str
    public_key: str


def generate() -> KeyPair:
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    return KeyPair(b64url(private), b64url(_public_point(key)))


def _public_point(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def problems(private_key: str | None, public_key: str | None, subject: str | None) -> list[str]:
    """What is wrong with these settings (nothing when all three are unset: push is off)."""
    given = [name for name, value in zip(VARIABLES, (private_key, public_key, subject)) if value]
    if not given:
        return []
    if len(given) < len(VARIABLES):
        missing = ", ".join(name for name in VARIABLES if name not in given)
        return [f"Web Push needs all of {', '.join(VARIABLES)}; {missing} is not set ({HOW_TO_ENABLE})"]
    found = []
    try:
        raw = b64url_decode(private_key)
        if len(raw) != 32:
            raise ValueError
        key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except ValueError:
        found.append("VAPID_PRIVATE_KEY is not a raw P-256 private key in base64url (32 bytes), as "
                     "`flask --app app push keys` prints it")
        key = None
    if key is not None and b64url(_public_point(key)) != public_key.strip().rstrip("="):
        found.append("VAPID_PUBLIC_KEY does not belong to VAPID_PRIVATE_KEY (set the pair `flask --app app push keys` "
                     "printed together)")
    if not (subject.startswith("mailto:") and "@" in subject) and not subject.startswith("https://"):
        found.append("VAPID_SUBJECT must be a mailto: address or an https:// URL where push services can reach you")
    return found


def enabled(app=None) -> bool:
    config = (app or current_app).config
    return all(config.get(name) for name in VARIABLES)


def public_key(app=None) -> str | None:
    return (app or current_app).config.get("VAPID_PUBLIC_KEY") if enabled(app) else None
