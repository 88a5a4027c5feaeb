"""The Conversations API's messages turned into what ingestion already reads: webhook-shaped
messaging items, parsed by app.instagram.events like any delivery. So an imported message is
validated, typed and stored by the one path every message takes (app.webhooks.apply), under
the same `(account, mid)` key its webhook would use.

Pure: no database, no Flask, no I/O.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from app.instagram.events import EXPECTED_OBJECT, ParsedDelivery, parse_delivery

UTC = timezone.utc


def created_at(message: dict[str, Any]) -> datetime | None:
    """When Meta says the message was sent (`created_time`, ISO-8601 like "2026-12-04T10:00:00+0000"),
    aware UTC; None when it is missing or unreadable."""
    raw = message.get("created_time")
    if not isinstance(raw, str) or not raw:
        return None
    text = raw.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = text[:-2] + ":" + text[-2:]  # +0000 -> +00:00 (older Pythons want the colon)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value if isinstance(value, str) and value else None


def _recipient(message: dict[str, Any], sender: str) -> str | None:
    to = message.get("to")
    people = to.get("data") if isinstance(to, dict) else None
    for person in people if isinstance(people, list) else []:
        person_id = _id(person)
        if person_id and person_id != sender:
            return person_id
    return None


def _attachment(raw: Any) -> dict[str, Any] | None:
    """One of the Conversations API's attachments (`image_data`, `video_data` or `file_url` with a
    `mime_type`) in the webhook's shape: `{"type", "payload": {"url"}}`."""
    if not isinstance(raw, dict):
        return None
    for key, kind in (("image_data", "image"), ("video_data", "video")):
        data = raw.get(key)
        if isinstance(data, dict) and isinstance(data.get("url"), str) and data["url"]:
            return {"type": kind, "payload": {"url": data["url"]}}
    url = raw.get("file_url")
    if isinstance(url, str) and url:
        mime = raw.get("mime_type") if isinstance(raw.get("mime_type"), str) else ""
        kind = next((k for k in ("image", "video", "audio") if mime.startswith(k + "/")), "file")
        return {"type": kind, "payload": {"url": url}}
    return None


def messaging_item(message: dict[str, Any], ig_user_id: str) -> dict[str, Any] | None:
    """The webhook item Meta would have sent for this message, or None when the message lacks what
    any message needs (its id, who sent it to whom, when). Ours (sent by the account, in the
    Instagram app or through the API) become echoes, as their webhooks are."""
    mid, sender, at = _id(message), _id(message.get("from")), created_at(message)
    recipient = _recipient(message, sender) if sender else None
    if mid is None or sender is None or recipient is None or at is None:
        return None
    body: dict[str, Any] = {"mid": mid}
    text = message.get("message")
    if text not in (None, ""):
        body["text"] = text  # a wrong type is left for the parser to refuse, with its reason
    listed = message.get("attachments")
    raw_attachments = listed.get("data") if isinstance(listed, dict) else None
    attachments = [a for a in map(_attachment, raw_attachments or []) if a is not None]
    if attachments:
        body["attachments"] = attachments
    if "text" not in body and not attachments:
        body["is_unsupported"] = True  # a sticker, a like, a call...: shown as "unsupported", as webhooks do
    if sender == ig_user_id:
        body["is_echo"] = True
    return {"sender": {"id": sender}, "recipient": {"id": recipient},
            "timestamp": int(at.timestamp() * 1000), "message": body}


def parse_history(ig_user_id: str, messages: list[dict[str, Any]], received_at: datetime) -> tuple[ParsedDelivery, int]:
    """One conversation's messages as a parsed delivery for `apply_events(..., history=True)`, and
    how many messages could not be read at all (no id, sender, recipient or time)."""
    items = [messaging_item(message, ig_user_id) for message in messages]
    usable = [item for item in items if item is not None]
    body = {"object": EXPECTED_OBJECT,
            "entry": [{"id": ig_user_id, "time": int(received_at.timestamp() * 1000), "messaging": usable}]}
    return parse_delivery(body, received_at=received_at), len(items) - len(usable)
