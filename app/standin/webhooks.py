"""Webhook deliveries the stand-in makes, signed and encoded the way Meta sends them.

Meta escapes non-ASCII characters and forward slashes in its JSON (`"\\u00e9"`, `"https:\\/\\/"`).
The stand-in does the same on purpose: a receiver that re-serialises the JSON before
checking the signature fails here exactly as it would against Meta.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable

import requests

from .control import EchoDelivery
from .messages import new_mid

log = logging.getLogger(__name__)

USER_AGENT = "facebookexternalua"


def encode_payload(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode("ascii")


def signature_256(body: bytes, app_secret: str) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signature_sha1(body: bytes, app_secret: str) -> str:
    # The legacy header Meta still sends alongside; receivers should ignore it.
    return "sha1=" + hmac.new(app_secret.encode(), body, hashlib.sha1).hexdigest()


def messaging_event(
    *,
    ig_user_id: str,
    sender_id: str,
    recipient_id: str,
    message: dict,
    timestamp_ms: int | None = None,
) -> dict:
    """One `object: instagram` delivery carrying a single `messaging` item.

    For an echo the sender is the business and `message.is_echo` is true; for an inbound
    DM the sender is the customer's IGSID.
    """
    now_ms = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    return {
        "object": "instagram",
        "entry": [
            {
                "time": now_ms,
                "id": ig_user_id,
                "messaging": [
                    {
                        "sender": {"id": sender_id},
                        "recipient": {"id": recipient_id},
                        "timestamp": now_ms,
                        "message": message,
                    }
                ],
            }
        ],
    }


def echo_event(*, ig_user_id: str, igsid: str, mid: str, text: str | None = None,
               attachment: dict | None = None, timestamp_ms: int | None = None) -> dict:
    message: dict = {"mid": mid}
    if text is not None:
        message["text"] = text
    if attachment is not None:
        message["attachments"] = [attachment]
    message["is_echo"] = True
    return messaging_event(ig_user_id=ig_user_id, sender_id=ig_user_id, recipient_id=igsid,
                           message=message, timestamp_ms=timestamp_ms)


def inbound_event(*, ig_user_id: str, igsid: str, text: str | None = None, attachment: dict | None = None,
                  mid: str | None = None, timestamp_ms: int | None = None) -> dict:
    """A customer's DM to the business, as Meta would deliver it (for demos and benchmarks)."""
    message: dict = {"mid": mid or new_mid(ig_user_id)}
    if text is not None:
        message["text"] = text
    if attachment is not None:
        message["attachments"] = [attachment]
    return messaging_event(ig_user_id=ig_user_id, sender_id=igsid, recipient_id=ig_user_id,
                           message=message, timestamp_ms=timestamp_ms)


def comment_change(*, ig_user_id: str, comment_id: str, text: str, from_id: str, username: str | None,
                   media_id: str, product_type: str = "FEED", parent_id: str | None = None, ad_id: str | None = None,
                   ad_title: str | None = None, time_s: int | None = None) -> dict:
    """One `comments` change as Meta delivers it: a customer's comment, or the account's own reply
    (from.id is then the account). Comment entries are dated in seconds."""
    media: dict = {"id": media_id, "media_product_type": product_type}
    if ad_id:
        media["ad_id"] = ad_id
    if ad_title:
        media["ad_title"] = ad_title
    value: dict = {"id": comment_id, "text": text, "from": {"id": from_id}, "media": media}
    if username:
        value["from"]["username"] = username
    if parent_id:
        value["parent_id"] = parent_id
    field = "live_comments" if product_type.upper() == "LIVE" else "comments"
    return {"object": "instagram", "entry": [{
        "id": ig_user_id, "time": int(time.time()) if time_s is None else time_s,
        "changes": [{"field": field, "value": value}],
    }]}


def deliver(url: str, body: bytes, app_secret: str, *, attempts: int = 1, backoff: float = 0.5,
            timeout: float = 10.0, on_attempt: Callable[[EchoDelivery], None] | None = None) -> bool:
    """POST a signed delivery; retry failures like Meta does (a few times, backing off).

    Returns True once the receiver answers 2xx.
    """
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Hub-Signature-256": signature_256(body, app_secret),
        "X-Hub-Signature": signature_sha1(body, app_secret),
    }
    for attempt in range(1, attempts + 1):
        status, error = None, None
        try:
            response = requests.post(url, data=body, headers=headers, timeout=timeout)
            status = response.status_code
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"
        record = EchoDelivery(url=url, body=body, signature=headers["X-Hub-Signature-256"],
                              status=status, error=error, attempt=attempt, at=time.time())
        if on_attempt:
            on_attempt(record)
        if record.ok:
            return True
        log.warning("stand-in webhook delivery to %s failed (attempt %d): %s", url, attempt, error or status)
        if attempt < attempts:
            time.sleep(backoff * 2 ** (attempt - 1))
    return False


def deliver_later(url: str, body: bytes, app_secret: str, *, delay: float, answered: threading.Event | None = None,
                  attempts: int = 3, on_attempt: Callable[[EchoDelivery], None] | None = None) -> threading.Thread:
    """Deliver from a daemon thread, after the triggering response went out.

    `answered` is set when the server has finished sending that response; test clients
    never set it, so the wait is bounded.
    """

    def run() -> None:
        if answered is not None:
            answered.wait(timeout=0.25)
        if delay > 0:
            time.sleep(delay)
        try:
            deliver(url, body, app_secret, attempts=attempts, on_attempt=on_attempt)
        except Exception:  # a background thread has nobody to raise to
            log.exception("stand-in webhook delivery crashed")

    thread = threading.Thread(target=run, name="standin-echo", daemon=True)
    thread.start()
    return thread
