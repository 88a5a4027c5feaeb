"""The Send API's validation rules, as Meta applies them to `POST /<ig_user_id>/messages`.

Kept apart from the view so the rules read in one place. Every violation raises the
StandinError (code 100, with Meta's subcodes where it has them) a real call would get.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import StandinError

MAX_TEXT_BYTES = 1000
ATTACHMENT_TYPES = ("image", "video", "audio", "file")
SENDER_ACTIONS = ("mark_seen", "typing_on", "typing_off", "react", "unreact")
REACTIONS = ("like", "love", "laugh", "wow", "sad", "angry", "other")
MESSAGING_TYPES = ("RESPONSE", "UPDATE", "MESSAGE_TAG")
MESSAGE_TAGS = ("HUMAN_AGENT",)

NO_MATCHING_USER = 2534014
CANNOT_FETCH_MEDIA = 2018008


@dataclass(frozen=True)
class SendRequest:
    recipient_id: str
    text: str | None = None
    attachment: dict | None = None  # {"type": ..., "payload": {"url": ...}}
    sender_action: str | None = None
    reacted_mid: str | None = None
    reaction: str | None = None

    @property
    def is_message(self) -> bool:
        return self.sender_action is None


def new_mid(ig_user_id: str) -> str:
    """A fresh message id shaped like Meta's: base64 of "ig_message_item:...", so it starts `aWdf`."""
    raw = f"ig_message_item:1:IGMessageThread:{ig_user_id}:{uuid.uuid4().int}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def request_params(json_body: object, form: dict[str, str]) -> dict:
    """The call's parameters: a JSON body, or form fields whose object values are JSON text
    (Meta accepts `recipient={"id":"..."}` as a form field too)."""
    if isinstance(json_body, dict):
        return json_body
    if json_body is not None:
        raise StandinError(100, "(#100) The request body must be a JSON object")
    params: dict = {}
    for key, value in form.items():
        if value[:1] in ("{", "["):
            try:
                params[key] = json.loads(value)
                continue
            except ValueError:
                raise StandinError(100, f"(#100) param {key} must be JSON") from None
        params[key] = value
    return params


def _require(condition: bool, message: str, subcode: int | None = None) -> None:
    if not condition:
        raise StandinError(100, message, subcode=subcode)


def parse_send_request(params: dict) -> SendRequest:
    recipient = params.get("recipient")
    _require(isinstance(recipient, dict), "(#100) The parameter recipient is required")
    recipient_id = recipient.get("id")
    _require(recipient_id not in (None, ""), "(#100) param recipient[id] is required")
    recipient_id = str(recipient_id)
    # IGSIDs are numeric; anything else cannot name a person.
    _require(recipient_id.isdigit(), "(#100) No matching user found", NO_MATCHING_USER)

    _check_messaging_type(params)

    message = params.get("message")
    action = params.get("sender_action")
    _require(not (message is not None and action is not None),
             "(#100) Only one of message or sender_action may be specified")
    _require(message is not None or action is not None,
             "(#100) Must specify either message or sender_action")

    if action is not None:
        return _parse_sender_action(recipient_id, action, params.get("payload"))
    return _parse_message(recipient_id, message)


def _check_messaging_type(params: dict) -> None:
    messaging_type = params.get("messaging_type")
    tag = params.get("tag")
    if messaging_type is not None:
        _require(messaging_type in MESSAGING_TYPES,
                 f"(#100) Param messaging_type must be one of {{{', '.join(MESSAGING_TYPES)}}}")
    if messaging_type == "MESSAGE_TAG" or tag is not None:
        _require(messaging_type == "MESSAGE_TAG" and tag in MESSAGE_TAGS,
                 "(#100) Tag is invalid: Instagram accepts only HUMAN_AGENT with messaging_type MESSAGE_TAG")


def _parse_sender_action(recipient_id: str, action: object, payload: object) -> SendRequest:
    _require(action in SENDER_ACTIONS,
             f"(#100) Param sender_action must be one of {{{', '.join(SENDER_ACTIONS)}}}")
    if action in ("mark_seen", "typing_on", "typing_off"):
        return SendRequest(recipient_id=recipient_id, sender_action=action)
    _require(isinstance(payload, dict) and bool(payload.get("message_id")),
             "(#100) param payload[message_id] is required")
    if action == "unreact":
        return SendRequest(recipient_id=recipient_id, sender_action=action, reacted_mid=str(payload["message_id"]))
    reaction = payload.get("reaction")
    _require(reaction in REACTIONS, f"(#100) param payload[reaction] must be one of {{{', '.join(REACTIONS)}}}")
    return SendRequest(recipient_id=recipient_id, sender_action=action,
                       reacted_mid=str(payload["message_id"]), reaction=reaction)


def _parse_message(recipient_id: str, message: object) -> SendRequest:
    _require(isinstance(message, dict), "(#100) param message must be an object")
    text = message.get("text")
    attachment = message.get("attachment")
    _require(not (text is not None and attachment is not None),
             "(#100) Only one of message[text] or message[attachment] may be specified")
    _require(text is not None or attachment is not None,
             "(#100) Must send either message[text] or message[attachment]")

    if text is not None:
        _require(isinstance(text, str) and text.strip() != "", "(#100) param message[text] must be a non-empty string")
        _require(len(text.encode("utf-8")) <= MAX_TEXT_BYTES,
                 f"(#100) Length of param message[text] must be less than or equal to {MAX_TEXT_BYTES}")
        return SendRequest(recipient_id=recipient_id, text=text)

    _require(isinstance(attachment, dict), "(#100) param message[attachment] must be an object")
    kind = attachment.get("type")
    _require(kind in ATTACHMENT_TYPES,
             f"(#100) param message[attachment][type] must be one of {{{', '.join(ATTACHMENT_TYPES)}}}")
    payload = attachment.get("payload")
    _require(isinstance(payload, dict) and isinstance(payload.get("url"), str) and payload["url"] != "",
             "(#100) param message[attachment][payload][url] is required")
    url = payload["url"]
    parts = urlsplit(url)
    _require(parts.scheme in ("http", "https") and bool(parts.netloc),
             "(#100) Failed to fetch the file from the url", CANNOT_FETCH_MEDIA)
    return SendRequest(recipient_id=recipient_id, attachment={"type": kind, "payload": {"url": url}})
