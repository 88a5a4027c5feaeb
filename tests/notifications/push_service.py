"""A local stand-in of a browser vendor's push service (FCM, Mozilla autopush, Apple), doing the
real protocol so that tests of app.notifications.push prove the crypto end to end:

- it receives the POST on a subscription's endpoint (http on 127.0.0.1: the app reaches it only
  because the tests name 127.0.0.1 in OUTBOUND_ALLOW_HOSTS, the one exception to the https and
  public-address rule of app/net/guard.py);
- it verifies the VAPID authorization (RFC 8292): `vapid t=<JWT>,k=<public key>`, the JWT signed
  ES256 by that key, its `aud` the endpoint's origin, its `exp` in the future and at most 24 h
  away, its `sub` a mailto: or https: contact, and `k` the key the subscription was made with;
- it decrypts the body (RFC 8291 key derivation, RFC 8188 aes128gcm records) with the keys the
  test's "browser" generated (`BrowserKeys`: a P-256 key pair and a 16-byte auth secret).

Written here from the RFCs with `cryptography`, sharing no code with pywebpush or py-vapid, so a
mistake in how the app uses them cannot be hidden by the same mistake on this side.
"""
from __future__ import annotations

import base64
import json
import secrets
import struct
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class BrowserKeys:
    """What a browser makes when it subscribes: the user agent's key pair and auth secret."""

    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth_secret: bytes = field(default_factory=lambda: secrets.token_bytes(16))

    @property
    def public_bytes(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)

    def subscription(self, endpoint: str) -> dict:
        """As `PushSubscription.toJSON()` gives it."""
        return {"endpoint": endpoint, "expirationTime": None,
                "keys": {"p256dh": b64url(self.public_bytes), "auth": b64url(self.auth_secret)}}


class PushRefused(AssertionError):
    """The request breaks the protocol; the stand-in answers 400 or 401 and records why."""


def verify_vapid(authorization: str, endpoint_origin: str, expected_key: str | None) -> dict:
    """The JWT's claims when the authorization is valid (RFC 8292), else PushRefused."""
    scheme, _, params = authorization.partition(" ")
    if scheme.lower() != "vapid":
        raise PushRefused(f"authorization scheme {scheme!r}, not vapid")
    parts = dict(part.strip().split("=", 1) for part in params.split(",") if "=" in part)
    token, key = parts.get("t"), parts.get("k")
    if not token or not key:
        raise PushRefused("vapid authorization without t= and k=")
    if expected_key is not None and key.rstrip("=") != expected_key.rstrip("="):
        raise PushRefused("k is not the applicationServerKey the subscription was made with")
    header_b64, claims_b64, signature_b64 = token.split(".")
    header = json.loads(unb64url(header_b64))
    if header.get("alg") != "ES256":
        raise PushRefused(f"JWT alg {header.get('alg')!r}")
    signature = unb64url(signature_b64)
    if len(signature) != 64:
        raise PushRefused("ES256 signature is not 64 bytes")
    public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
    der = utils.encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        public_key.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise PushRefused("bad JWT signature") from None
    claims = json.loads(unb64url(claims_b64))
    if claims.get("aud") != endpoint_origin:
        raise PushRefused(f"aud {claims.get('aud')!r} is not {endpoint_origin!r}")
    now = time.time()
    if not (now < claims.get("exp", 0) <= now + 24 * 3600):
        raise PushRefused(f"exp {claims.get('exp')} is not within the next 24 hours")
    sub = claims.get("sub", "")
    if not (sub.startswith("mailto:") or sub.startswith("https:")):
        raise PushRefused(f"sub {sub!r} is neither mailto: nor https:")
    return claims


def decrypt(body: bytes, keys: BrowserKeys) -> bytes:
    """RFC 8291 + RFC 8188 (aes128gcm): what the browser does before its `push` event."""
    salt, record_size, id_length = body[:16], struct.unpack(">I", body[16:20])[0], body[20]
    server_public = body[21:21 + id_length]
    ciphertext = body[21 + id_length:]
    if id_length != 65 or record_size < 18:
        raise PushRefused("aes128gcm header: keyid must be the 65-byte sender key")
    shared = keys.private_key.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), server_public))
    key_info = b"WebPush: info\x00" + keys.public_bytes + server_public
    ikm = HKDF(hashes.SHA256(), 32, salt=keys.auth_secret, info=key_info).derive(shared)
    cek = HKDF(hashes.SHA256(), 16, salt=salt, info=b"Content-Encoding: aes128gcm\x00").derive(ikm)
    nonce = HKDF(hashes.SHA256(), 12, salt=salt, info=b"Content-Encoding: nonce\x00").derive(ikm)
    plaintext = b""
    records = [ciphertext[i:i + record_size] for i in range(0, len(ciphertext), record_size)]
    for seq, record in enumerate(records):
        iv = (int.from_bytes(nonce, "big") ^ seq).to_bytes(12, "big")
        try:
            data = AESGCM(cek).decrypt(iv, record, None)
        except InvalidTag:
            raise PushRefused("a record does not decrypt with the subscription's keys") from None
        data = data.rstrip(b"\x00")
        delimiter = 2 if seq == len(records) - 1 else 1
        if not data or data[-1] != delimiter:
            raise PushRefused("bad record padding delimiter")
        plaintext += data[:-1]
    return plaintext


@dataclass
class Received:
    path: str
    headers: dict
    claims: dict
    payload: dict
    raw_body: bytes


class PushService:
    """The stand-in, served over HTTP in a thread. `endpoint()` makes a subscription URL for a
    test's BrowserKeys; `answer(path, *statuses)` makes that endpoint answer those statuses in turn
    (then 201); `received` holds every push that passed every check, `refused` why others did not."""

    def __init__(self, vapid_public_key: str | None = None):
        self.vapid_public_key = vapid_public_key
        self.keys: dict[str, BrowserKeys] = {}
        self.answers: dict[str, list[int]] = {}
        self.received: list[Received] = []
        self.attempts: list[str] = []  # every request that passed the checks, whatever it was answered
        self.refused: list[str] = []
        self.lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def endpoint(self, keys: BrowserKeys) -> str:
        path = f"/push/v1/{secrets.token_urlsafe(24)}"
        self.keys[path] = keys
        return self.origin + path

    def answer(self, endpoint: str, *statuses: int) -> None:
        self.answers[endpoint.removeprefix(self.origin)] = list(statuses)

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)

    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        keys = self.keys.get(request.path)
        if request.method != "POST" or keys is None:
            return Response("no such subscription", 404)
        with self.lock:
            queued = self.answers.get(request.path) or []
            status = queued.pop(0) if queued else 201
        try:
            if request.headers.get("Content-Encoding") != "aes128gcm":
                raise PushRefused(f"Content-Encoding {request.headers.get('Content-Encoding')!r}")
            if not request.headers.get("TTL", "").isdigit():
                raise PushRefused("no TTL header")
            claims = verify_vapid(request.headers.get("Authorization", ""), self.origin, self.vapid_public_key)
            body = request.get_data()
            payload = json.loads(decrypt(body, keys))
        except (PushRefused, ValueError) as exc:
            with self.lock:
                self.refused.append(str(exc))
            return Response(str(exc), 400 if not isinstance(exc, PushRefused) or "vapid" not in str(exc) else 401)
        with self.lock:
            self.attempts.append(request.path)
        if status == 201:
            with self.lock:
                self.received.append(Received(request.path, dict(request.headers), claims, payload, body))
        return Response("", status)


@contextmanager
def push_enabled(app):
    """The app with a fresh VAPID key pair and 127.0.0.1 allowed (the stand-in's host), and the
    stand-in running: what a test of push needs."""
    from app.pwa.vapid import generate

    pair = generate()
    saved = {name: app.config.get(name) for name in
             ("VAPID_PRIVATE_KEY", "VAPID_PUBLIC_KEY", "VAPID_SUBJECT", "OUTBOUND_ALLOW_HOSTS")}
    app.config.update(VAPID_PRIVATE_KEY=pair.private_key, VAPID_PUBLIC_KEY=pair.public_key,
                      VAPID_SUBJECT="mailto:ops@inbox.test", OUTBOUND_ALLOW_HOSTS=frozenset({"127.0.0.1"}))
    service = PushService(pair.public_key)
    try:
        yield service
    finally:
        service.stop()
        app.config.update(saved)
