"""A person's devices that receive Web Push: adding one from the browser's PushSubscription,
removing one, and listing them for Settings → Profile.

A PushSubscription's endpoint is a capability URL at the browser vendor's push service; we will
POST to it later from a job, so it passes the outbound guard (app/net/guard.py) here, where the
person gets a clear 422, and again at every send. Its keys are checked for what RFC 8291 needs:
`p256dh` a P-256 public point (65 bytes, uncompressed), `auth` a 16-byte secret, both base64url.
The endpoint's SHA-256 (`endpoint_hash`, unique) makes subscribing idempotent: the same browser
subscribing again updates its row instead of adding a second device.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import PushSubscription, User
from app.net.guard import DestinationRefused, check_destination
from app.pwa.vapid import b64url_decode

ENDPOINT_MAX = 2000   # push services' endpoints are a few hundred characters
MAX_DEVICES = 20      # per person: a phone, a laptop or two and some browsers, with room to spare
P256DH_BYTES = 65
AUTH_BYTES = 16


class SubscriptionRefused(ValueError):
    """A PushSubscription we will not store; `field` names the culprit for the 422."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Subscription:
    endpoint: str
    p256dh: str
    auth: str


def endpoint_hash(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


def parse_subscription(data) -> Subscription:
    """The browser's `PushSubscription.toJSON()`: {"endpoint", "expirationTime", "keys": {"p256dh", "auth"}}."""
    if not isinstance(data, dict):
        raise SubscriptionRefused("subscription", "Send the browser's PushSubscription as a JSON object.")
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise SubscriptionRefused("endpoint", "The subscription has no endpoint.")
    endpoint = endpoint.strip()
    if len(endpoint) > ENDPOINT_MAX:
        raise SubscriptionRefused("endpoint", f"The endpoint is longer than {ENDPOINT_MAX} characters.")
    keys = data.get("keys")
    if not isinstance(keys, dict):
        raise SubscriptionRefused("keys", "The subscription has no keys (p256dh and auth).")
    p256dh = _key(keys, "p256dh", P256DH_BYTES)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(p256dh))
    except ValueError:
        raise SubscriptionRefused("keys.p256dh", "keys.p256dh is not a point on the P-256 curve.") from None
    auth = _key(keys, "auth", AUTH_BYTES)
    try:
        # https only, public addresses only, unless the host is in OUTBOUND_ALLOW_HOSTS (which
        # alone also allows http: the tests' local stand-in push service is such a host).
        check_destination(endpoint, require_https=True)
    except DestinationRefused as exc:
        raise SubscriptionRefused("endpoint", f"This push endpoint is refused: {exc}.") from None
    return Subscription(endpoint, p256dh, auth)


def _key(keys: dict, name: str, size: int) -> str:
    value = keys.get(name)
    if not isinstance(value, str) or not value.strip():
        raise SubscriptionRefused(f"keys.{name}", f"keys.{name} is missing.")
    try:
        raw = b64url_decode(value)
    except ValueError:
        raise SubscriptionRefused(f"keys.{name}", f"keys.{name} is not base64url.") from None
    if len(raw) != size:
        raise SubscriptionRefused(f"keys.{name}", f"keys.{name} must be {size} bytes, not {len(raw)}.")
    return value.strip().rstrip("=")


def subscribe(user: User, data, user_agent: str | None) -> tuple[PushSubscription, bool]:
    """Store the device (or refresh it: same endpoint, same row); True when it is new. The caller commits.

    An endpoint that some other person of this server registered moves to this one: it is the
    same browser, now signed in as someone else, and only the person at it should be alerted."""
    subscription = parse_subscription(data)
    key = endpoint_hash(subscription.endpoint)
    row = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint_hash == key))
    created = row is None
    if created:
        count = db.session.scalar(select(func.count()).select_from(PushSubscription)
                                  .where(PushSubscription.user_id == user.id))
        if count >= MAX_DEVICES:
            raise SubscriptionRefused("endpoint", f"You already have {MAX_DEVICES} devices; remove one first.")
        row = PushSubscription(endpoint=subscription.endpoint, endpoint_hash=key)
        db.session.add(row)
    row.user_id = user.id
    row.p256dh, row.auth = subscription.p256dh, subscription.auth
    row.device = device_label(user_agent)
    row.last_error = None
    db.session.flush()
    return row, created


def unsubscribe(user: User, endpoint) -> bool:
    """Forget the person's own device with this endpoint (the browser unsubscribed); False when
    there was none. Someone else's endpoint is left alone, exactly like an unknown one."""
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise SubscriptionRefused("endpoint", "Send the endpoint of the subscription to remove.")
    row = db.session.scalar(select(PushSubscription).where(
        PushSubscription.endpoint_hash == endpoint_hash(endpoint.strip()), PushSubscription.user_id == user.id))
    if row is None:
        return False
    db.session.delete(row)
    return True


def forget_all(user_id: int) -> int:
    """Every device of the person stops getting push ("Sign out everywhere": a lost phone must not
    keep showing customers' messages). The caller commits; returns how many there were."""
    return db.session.execute(delete(PushSubscription).where(PushSubscription.user_id == user_id)).rowcount or 0


def remove(user: User, device_id: int | None) -> PushSubscription | None:
    row = None
    if device_id is not None:
        row = db.session.scalar(select(PushSubscription).where(
            PushSubscription.id == device_id, PushSubscription.user_id == user.id))
    if row is not None:
        db.session.delete(row)
    return row


def devices(user_id: int) -> list[PushSubscription]:
    return list(db.session.scalars(select(PushSubscription).where(PushSubscription.user_id == user_id)
                                   .order_by(PushSubscription.created_at.desc(), PushSubscription.id.desc())))


# --- "Chrome on Android" from a User-Agent, for the list only ------------------------------------

_BROWSERS = (  # the first match wins: Edge and Opera also say Chrome, Chrome also says Safari
    ("Edg/", "Edge"), ("OPR/", "Opera"), ("SamsungBrowser/", "Samsung Internet"), ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"), ("Chromium/", "Chromium"), ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("CrOS", "ChromeOS"),
    ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Macintosh", "macOS"), ("Linux", "Linux"),
)


def device_label(user_agent: str | None) -> str:
    ua = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in ua), None)
    system = next((name for marker, name in _SYSTEMS if marker in ua), None)
    if browser and system:
        label = f"{browser} on {system}"
    else:
        label = browser or system or "Unknown browser"
    return re.sub(r"\s+", " ", label)[:120]

