"""Builders for webhook bodies shaped exactly like Meta's (docs/meta-protocol.md#deliveries-and-event-kinds).

Used by the tests and by the demo simulator, which signs them like Meta does
(``json.dumps(body).encode()`` then :func:`app.instagram.signature.compute_signature`).
Item builders return one ``messaging[]`` item; wrap items with :func:`entry` and
entries with :func:`delivery`::

    body = delivery(entry(ACCOUNT, [text_message(ACCOUNT, CUSTOMER, "m1", "hi", 1700000000000)]))

Inbound items go from the customer (``sender_id``) to our account; echoes go the
other way. Timestamps are milliseconds; ``None`` means now.
"""

from __future__ import annotations

import time
from typing import Any

OBJECT = "instagram"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def _item(sender_id: str, recipient_id: str, ts_ms: int | None, **event: Any) -> dict:
    return {
        "sender": {"id": sender_id},
        "recipient": {"id": recipient_id},
        "timestamp": now_ms() if ts_ms is None else ts_ms,
        **event,
    }


def text_message(
    account_id: str,
    sender_id: str,
    mid: str,
    text: str,
    ts_ms: int | None = None,
    *,
    reply_to_mid: str | None = None,
    quick_reply_payload: str | None = None,
) -> dict:
    """A customer's text; optionally an inline reply or a quick-reply tap."""
    message: dict[str, Any] = {"mid": mid, "text": text}
    if reply_to_mid is not None:
        message["reply_to"] = {"mid": reply_to_mid}
    if quick_reply_payload is not None:
        message["quick_reply"] = {"payload": quick_reply_payload}
    return _item(sender_id, account_id, ts_ms, message=message)


def echo(
    account_id: str,
    recipient_id: str,
    mid: str,
    text: str | None = None,
    ts_ms: int | None = None,
    *,
    attachments: list[dict] | None = None,
) -> dict:
    """What Meta sends back for a message our account sent (API or Instagram app)."""
    message: dict[str, Any] = {"mid": mid, "is_echo": True}
    if text is not None:
        message["text"] = text
    if attachments is not None:
        message["attachments"] = attachments
    return _item(account_id, recipient_id, ts_ms, message=message)


def attachment(type: str, url: str | None = None, **payload: Any) -> dict:
    """One ``attachments[]`` element; ``url`` goes into the payload when given."""
    if url is not None:
        payload = {"url": url, **payload}
    return {"type": type, "payload": payload}


def attachment_message(
    account_id: str,
    sender_id: str,
    mid: str,
    type: str,
    url: str | None = None,
    ts_ms: int | None = None,
    *,
    payload: dict | None = None,
    text: str | None = None,
) -> dict:
    """A message with one attachment: ``payload`` wins over ``url`` when both are given."""
    element = {"type": type, "payload": payload} if payload is not None else attachment(type, url)
    message: dict[str, Any] = {"mid": mid, "attachments": [element]}
    if text is not None:
        message["text"] = text
    return _item(sender_id, account_id, ts_ms, message=message)


def unsupported_message(account_id: str, sender_id: str, mid: str, ts_ms: int | None = None) -> dict:
    """A message Instagram does not share with apps (``is_unsupported``, no text nor attachments)."""
    return _item(sender_id, account_id, ts_ms, message={"mid": mid, "is_unsupported": True})


def template_echo(
    account_id: str, recipient_id: str, mid: str, payload: dict, ts_ms: int | None = None
) -> dict:
    """The echo of a generic, button or media template another tool sent through our account:
    ``payload`` is the template attachment's payload as Meta echoes it."""
    return echo(account_id, recipient_id, mid, None, ts_ms, attachments=[{"type": "template", "payload": payload}])


def story_mention(
    account_id: str, sender_id: str, mid: str, url: str, ts_ms: int | None = None
) -> dict:
    """The customer mentioned our account in their story (CDN url of the story)."""
    return attachment_message(account_id, sender_id, mid, "story_mention", url, ts_ms)


def story_reply(
    account_id: str,
    sender_id: str,
    mid: str,
    text: str,
    story_url: str,
    story_id: str,
    ts_ms: int | None = None,
) -> dict:
    """The customer replied to one of our stories."""
    message = {"mid": mid, "text": text, "reply_to": {"story": {"url": story_url, "id": story_id}}}
    return _item(sender_id, account_id, ts_ms, message=message)


def ad_referral_message(
    account_id: str,
    sender_id: str,
    mid: str,
    text: str,
    ad_id: str,
    ts_ms: int | None = None,
    *,
    ad_title: str | None = None,
    ref: str | None = None,
    photo_url: str | None = None,
    video_url: str | None = None,
) -> dict:
    """The first message of a click-to-DM ad conversation."""
    referral: dict[str, Any] = {"ad_id": ad_id, "source": "ADS", "type": "OPEN_THREAD"}
    if ref is not None:
        referral["ref"] = ref
    context = {"ad_title": ad_title, "photo_url": photo_url, "video_url": video_url}
    context = {key: value for key, value in context.items() if value is not None}
    if context:
        referral["ads_context_data"] = context
    message = {"mid": mid, "text": text, "referral": referral}
    return _item(sender_id, account_id, ts_ms, message=message)


def link_referral(
    account_id: str,
    sender_id: str,
    ref: str,
    ts_ms: int | None = None,
    *,
    source: str = "SHORTLINK",
    type: str = "OPEN_THREAD",
) -> dict:
    """``messaging_referral``: the customer opened the thread through an ig.me link."""
    referral = {"ref": ref, "source": source, "type": type}
    return _item(sender_id, account_id, ts_ms, referral=referral)


def reaction(
    account_id: str,
    sender_id: str,
    mid: str,
    reaction: str = "love",
    emoji: str = "\u2764\ufe0f",
    ts_ms: int | None = None,
    *,
    action: str = "react",
) -> dict:
    """The customer reacted to message ``mid``; ``action="unreact"`` drops reaction/emoji."""
    body: dict[str, Any] = {"mid": mid, "action": action}
    if action == "react":
        body.update(reaction=reaction, emoji=emoji)
    return _item(sender_id, account_id, ts_ms, reaction=body)


def read(account_id: str, sender_id: str, mid: str, ts_ms: int | None = None) -> dict:
    """``messaging_seen``: the customer saw everything we sent up to ``mid``."""
    return _item(sender_id, account_id, ts_ms, read={"mid": mid})


def unsend(account_id: str, sender_id: str, mid: str, ts_ms: int | None = None) -> dict:
    """The customer unsent message ``mid``."""
    return _item(sender_id, account_id, ts_ms, message={"mid": mid, "is_deleted": True})


def edit(
    account_id: str,
    sender_id: str,
    mid: str,
    text: str,
    num_edit: int = 1,
    ts_ms: int | None = None,
) -> dict:
    """``message_edit``: the customer changed the text of ``mid`` (edit number ``num_edit``)."""
    body = {"mid": mid, "text": text, "num_edit": num_edit}
    return _item(sender_id, account_id, ts_ms, message_edit=body)


def postback(
    account_id: str,
    sender_id: str,
    mid: str,
    title: str,
    payload: str,
    ts_ms: int | None = None,
) -> dict:
    """``messaging_postbacks``: the customer tapped a button."""
    body = {"mid": mid, "title": title, "payload": payload}
    return _item(sender_id, account_id, ts_ms, postback=body)


def entry(
    account_id: str,
    items: list[dict],
    *,
    time_ms: int | None = None,
    standby: bool = False,
) -> dict:
    """One ``entry[]`` element for our account; ``standby`` puts the items under ``standby``."""
    return {
        "id": account_id,
        "time": now_ms() if time_ms is None else time_ms,
        "standby" if standby else "messaging": items,
    }


def delivery(*entries: dict) -> dict:
    """A whole webhook body."""
    return {"object": OBJECT, "entry": list(entries)}


def dashboard_test(
    field: str = "messages",
    value: dict | None = None,
    *,
    time_s: int = 1527459824,
) -> dict:
    """A body as the App Dashboard's Test button sends it: entry id "0", ``changes``.

    The default value is Meta's sample for ``messages``: fixed ids and a timestamp
    in seconds, as a string.
    """
    if value is None:
        value = {
            "sender": {"id": "12334"},
            "recipient": {"id": "23245"},
            "timestamp": "1527459824",
            "message": {"mid": "random_mid", "text": "random_text"},
        }
    return delivery({"id": "0", "time": time_s, "changes": [{"field": field, "value": value}]})


def comment(
    account_id: str,
    commenter_id: str,
    comment_id: str,
    text: str,
    media_id: str,
    *,
    username: str | None = None,
    scoped_id: str | None = None,
    parent_id: str | None = None,
    product_type: str = "FEED",
    ad_id: str | None = None,
    ad_title: str | None = None,
    field: str = "comments",
) -> dict:
    """One ``changes[]`` item for a comment on our media (docs/meta-protocol.md#comments-and-private-replies). A reply
    names its ``parent_id``; the business's own comment has ``commenter_id == account_id``; an ad
    or boosted post carries ``ad_id``/``ad_title``. Wrap with :func:`change_entry`."""
    sender: dict[str, Any] = {"id": commenter_id}
    if username is not None:
        sender["username"] = username
    if scoped_id is not None:
        sender["self_ig_scoped_id"] = scoped_id
    media: dict[str, Any] = {"id": media_id, "media_product_type": "AD" if ad_id and product_type == "FEED" else product_type}
    if ad_id is not None:
        media["ad_id"] = ad_id
    if ad_title is not None:
        media["ad_title"] = ad_title
    value: dict[str, Any] = {"id": comment_id, "text": text, "from": sender, "media": media}
    if parent_id is not None:
        value["parent_id"] = parent_id
    return {"field": field, "value": value}


def change_entry(account_id: str, changes: list[dict], *, time_s: int | None = None) -> dict:
    """One ``entry[]`` with ``changes`` (comments): Meta dates these entries in seconds."""
    return {"id": account_id, "time": now_ms() // 1000 if time_s is None else time_s, "changes": changes}
