"""Turn a decoded Instagram webhook body into typed, immutable events.

:func:`parse_delivery` is pure (no I/O, no database, no Flask) and total: it accepts
any JSON value and never raises on a bad shape. What it cannot use is either kept as
an :class:`UnknownEvent` (an item, with its raw value and a reason) or described in
:attr:`ParsedDelivery.errors` (the envelope), so nothing in a delivery vanishes
without a trace.

Event model
-----------
Every messaging item (``entry[].messaging[]``, ``entry[].standby[]`` and the
messaging-shaped ``value`` of ``entry[].changes[]``) becomes exactly one event:

- ``MessageEvent`` (item key ``message``): mid, text, attachments, is_deleted
  (unsend), is_unsupported, quick_reply_payload, reply_to_mid, reply_to_story,
  referral (click-to-DM ad or link). Echoes of our own sends are ``is_echo``.
- ``ReactionEvent`` (``reaction``): mid, action (react/unreact), reaction, emoji.
- ``ReadEvent`` (``read``, field messaging_seen): mid, watermark.
- ``PostbackEvent`` (``postback``): mid, title, payload.
- ``ReferralEvent`` (``referral``, field messaging_referral): referral.
- ``MessageEditEvent`` (``message_edit``): mid, text, num_edit.
- ``CommentEvent`` (a change of field ``comments`` or ``live_comments``): comment_id,
  text, parent_id, the commenter (from.id, from.username, from.self_ig_scoped_id) and
  the media (id, product type, ad id and title). The business's own comments are
  ``is_echo``.
- ``UnknownEvent``: anything else (optins, handover, mentions...) or any item with
  a malformed field; kind and reason say which.

A change (``entry[].changes[]``) whose ``field`` is a messaging field (``messages``,
``message_reactions``..., ``standby``) carries a messaging item in ``value``, as the
dashboard's Test button sends it (often with entry id ``"0"`` and fixed sender and
recipient ids); it is parsed like any item. ``comments`` and ``live_comments`` become ``CommentEvent``s (time:
``value.timestamp`` if any, else ``entry.time``, often in seconds). Other fields (``mentions``...)
become ``UnknownEvent(kind="change:<field>")``.

Common fields (:class:`BaseEvent`): ``account_id`` (``entry.id``, our business
account), ``sender_id``, ``recipient_id``, ``timestamp`` (aware UTC), ``standby``,
``is_echo`` and ``raw`` (the item dict as received). ``customer_id`` is derived: the
side of the conversation that is not our account.

Timestamps come in milliseconds (messaging) or seconds (dashboard test events,
sometimes as strings); values below ``10**11`` are read as seconds. ISO-8601 strings
(``"2026-12-04T10:00:00+0000"``, ``"...Z"``, as some tools and Meta's test payloads send) are
accepted too; one without an offset is UTC. A missing or unusable item timestamp falls back
to ``entry.time``, then to the caller's ``received_at``, so every event has a time (noted in
:attr:`ParsedDelivery.warnings`: the item is still used). A time more than a day after
``received_at`` (a wrong clock, or year 9999) is replaced by ``received_at``.

Strictness: ids may be strings or non-negative integers (coerced to ``str``);
timestamps may be numbers or numeric strings. Any other wrong type in a field the
inbox uses (a numeric ``text``, ``attachments`` that is not a list, a non-boolean
``is_echo``...) turns the whole item into an :class:`UnknownEvent` whose ``reason``
names the field: guessing would risk showing a customer's message wrongly, while an
unknown event is stored, visible and replayable once the parser learns the shape.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from collections.abc import Iterator
from typing import Any, ClassVar, Union

from app.messages import content

UTC = timezone.utc
EXPECTED_OBJECT = "instagram"

# Meta's messaging timestamps are ms and its changes-style samples are seconds;
# 10**11 s is the year 5138 while 10**11 ms is 1973, so the ranges cannot collide.
SECONDS_BELOW = 10**11

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NUMERIC = re.compile(r"[0-9]{1,20}(\.[0-9]{1,9})?")
# An ISO-8601 date-time as `datetime.fromisoformat` reads it; checked first so that no other
# string (nor a bare date) is taken for a time.
_ISO_8601 = re.compile(r"[0-9]{4}-?[0-9]{2}-?[0-9]{2}[T ][0-9:.,]{2,30}(Z|[+-][0-9:]{2,5})?", re.IGNORECASE)
_MAX_ID = 10**30  # far above any Meta id, below int->str conversion limits
# How far ahead of our receive time an event may be dated (clock skew) before that receive time
# is used instead: a time in year 9999 would sort first forever and overflow date arithmetic.
MAX_FUTURE_SKEW = timedelta(days=1)

# Change fields whose value is a messaging item (what the dashboard Test button sends
# for a messaging field), and whether it arrives as standby.
_MESSAGING_CHANGE_FIELDS = {
    "messages": False,
    "message_reactions": False,
    "messaging_seen": False,
    "messaging_postbacks": False,
    "messaging_referral": False,
    "message_edit": False,
    "messaging_optins": False,
    "messaging_handover": False,
    "standby": True,
}

# The first of these keys an item has decides its kind. Handover items have three
# key names but one meaning to the inbox.
_ITEM_KINDS = (
    ("message_edit", "message_edit"),
    ("message", "message"),
    ("reaction", "reaction"),
    ("read", "read"),
    ("postback", "postback"),
    ("referral", "referral"),
    ("optin", "optin"),
    ("pass_thread_control", "handover"),
    ("take_thread_control", "handover"),
    ("request_thread_control", "handover"),
    ("delivery", "delivery"),
)


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Attachment:
    """One entry of ``message.attachments``.

    ``url`` is the media URL to render: ``payload.url``, or ``story_media_url`` for an
    ``ig_story`` (which has no ``url``); None when there is none (``ephemeral``,
    ``unsupported_type``). CDN URLs expire. ``payload`` is kept whole, so fields such
    as ``ig_post_media_id``, ``reel_video_id`` or ``sticker_id`` stay reachable.
    """

    type: str
    url: str | None
    payload: dict = field(hash=False)
    title: str | None = None

    @property
    def media_id(self) -> str | None:
        """Instagram's id of the shared post, reel or story, when the payload has one."""
        for key in ("ig_post_media_id", "reel_video_id", "story_media_id"):
            value = _as_id(self.payload.get(key))
            if value is not None:
                return value
        return None


# Where a conversation came from: the same record ingestion stores with the message.
Referral = content.Referral


@dataclass(frozen=True, kw_only=True)
class StoryRef:
    """The story a message replies to (``message.reply_to.story``)."""

    id: str | None = None
    url: str | None = None


def _customer_is_recipient(
    account_id: str | None, sender_id: str | None, recipient_id: str | None, is_echo: bool
) -> bool:
    # Not flagged as an echo but sent by our own account (e.g. the business reacting
    # in the Instagram app): the customer is still the other side.
    sent_by_us = sender_id is not None and sender_id == account_id and recipient_id != account_id
    return is_echo or sent_by_us


@dataclass(frozen=True, kw_only=True)
class BaseEvent:
    """Fields every recognised event has. ``raw`` is the item dict as received."""

    account_id: str
    sender_id: str
    recipient_id: str
    timestamp: datetime
    standby: bool = False
    is_echo: bool = False
    raw: dict = field(default_factory=dict, hash=False, repr=False)

    kind: ClassVar[str] = ""

    @property
    def customer_id(self) -> str:
        """The customer's IGSID: the recipient of an echo, otherwise the sender."""
        ids = (self.account_id, self.sender_id, self.recipient_id)
        return self.recipient_id if _customer_is_recipient(*ids, self.is_echo) else self.sender_id


@dataclass(frozen=True, kw_only=True)
class MessageEvent(BaseEvent):
    """A message from the customer, or an echo of one the business sent (``is_echo``).

    An unsend arrives as ``is_deleted=True`` with the mid of the message to hide.
    ``reply_to_mid`` is set for an inline reply, ``reply_to_story`` for a story reply.
    """

    kind: ClassVar[str] = "message"

    mid: str
    text: str | None = None
    attachments: tuple[Attachment, ...] = ()
    is_deleted: bool = False
    is_unsupported: bool = False
    quick_reply_payload: str | None = None
    reply_to_mid: str | None = None
    reply_to_story: StoryRef | None = None
    referral: Referral | None = None


@dataclass(frozen=True, kw_only=True)
class ReactionEvent(BaseEvent):
    """``action`` is ``"react"`` or ``"unreact"``; reaction and emoji are None on unreact."""

    kind: ClassVar[str] = "reaction"

    mid: str
    action: str
    reaction: str | None = None
    emoji: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReadEvent(BaseEvent):
    """Everything we sent up to ``mid`` (or up to ``watermark``) was seen."""

    kind: ClassVar[str] = "read"

    mid: str | None = None
    watermark: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class PostbackEvent(BaseEvent):
    """The customer tapped a button (icebreaker, generic template...)."""

    kind: ClassVar[str] = "postback"

    mid: str | None = None
    title: str | None = None
    payload: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReferralEvent(BaseEvent):
    """The customer opened an existing thread through an ig.me link or an ad."""

    kind: ClassVar[str] = "referral"

    referral: Referral


@dataclass(frozen=True, kw_only=True)
class MessageEditEvent(BaseEvent):
    """The customer edited message ``mid``; ``text`` is the new text."""

    kind: ClassVar[str] = "message_edit"

    mid: str
    text: str | None = None
    num_edit: int | None = None


@dataclass(frozen=True, kw_only=True)
class CommentEvent(BaseEvent):
    """A comment on one of our account's posts, reels, ads, stories or Live broadcasts.

    ``sender_id`` is ``from.id``, ``recipient_id`` our account. The business's own comments (from.id
    is our account) are ``is_echo``; their customer is not in the item (a reply answers someone's
    comment: ingestion finds them through ``parent_id``) and is set as ``thread_customer_id``.
    A customer's comment belongs to ``scoped_id`` (``from.self_ig_scoped_id``) when present, else
    ``from.id``: Meta's pages are vague about which of them a DM contact carries.
    """

    kind: ClassVar[str] = "comment"

    comment_id: str
    text: str | None = None
    parent_id: str | None = None
    username: str | None = None
    scoped_id: str | None = None
    media_id: str
    product_type: str | None = None
    ad_id: str | None = None
    ad_title: str | None = None
    original_media_id: str | None = None
    live: bool = False  # field live_comments
    thread_customer_id: str | None = None  # our own comment: whose thread it answers in

    @property
    def mid(self) -> str:
        # A comment is stored as a message keyed by its id (unique per account, like a DM's mid).
        return self.comment_id

    @property
    def customer_id(self) -> str | None:
        if self.is_echo:
            return self.thread_customer_id
        return self.scoped_id or self.sender_id

    @property
    def commenter_ids(self) -> tuple[str, ...]:
        """The ids a commenter may be known by as a DM contact, most trusted first."""
        return tuple(dict.fromkeys(i for i in (self.scoped_id, self.sender_id) if i))


@dataclass(frozen=True, kw_only=True)
class UnknownEvent:
    """An item the inbox does not handle, or one whose shape is wrong.

    ``kind`` says what it looked like: ``"message"``, ``"reaction"``... for a
    malformed known item, ``"optin"``, ``"handover"``, ``"delivery"``,
    ``"change:<field>"`` for other change fields, ``"unknown"`` otherwise.
    ``reason`` is a short readable sentence. Ids are whatever could be read, else None.
    ``raw`` is the item as received (the change dict for change fields), any JSON value.
    """

    kind: str
    reason: str
    timestamp: datetime
    account_id: str | None = None
    sender_id: str | None = None
    recipient_id: str | None = None
    standby: bool = False
    raw: Any = field(default=None, hash=False, repr=False)

    is_echo: ClassVar[bool] = False

    @property
    def customer_id(self) -> str | None:
        ids = (self.account_id, self.sender_id, self.recipient_id)
        return self.recipient_id if _customer_is_recipient(*ids, False) else self.sender_id


Event = Union[
    MessageEvent,
    ReactionEvent,
    ReadEvent,
    PostbackEvent,
    ReferralEvent,
    MessageEditEvent,
    CommentEvent,
    UnknownEvent,
]


@dataclass(frozen=True)
class ParsedDelivery:
    """The result of :func:`parse_delivery`.

    ``errors`` describe the envelope: an unusable top level (not an object, no ``entry``
    list) leaves ``events`` empty, while a wrong ``object`` or bad entries are noted and
    the rest is still parsed. ``warnings`` note what was worked around without losing
    anything (an unusable time replaced by the entry's or the receive time).
    ``events`` are in delivery order, not time order.
    """

    events: list[Event]
    errors: list[str]
    object_type: str | None = None
    warnings: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ field readers


class _Malformed(Exception):
    """A field of one item has the wrong shape; the item becomes an UnknownEvent."""


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _as_id(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if 0 <= value < _MAX_ID else None
    if isinstance(value, str) and value.strip():
        return value
    return None


def _as_datetime(value: object, not_after: datetime) -> datetime | None:
    """ms or s since the epoch, as a number or numeric string, or an ISO-8601 string;
    None when unusable.

    A time more than MAX_FUTURE_SKEW after ``not_after`` (the receive time) is read as
    ``not_after``. Times before 1970 are unusable already (``value <= 0``), so the range is
    bounded at both ends and later date arithmetic (windows, time zones) cannot overflow."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if _ISO_8601.fullmatch(value):
            return _iso_datetime(value, not_after)
        if not _NUMERIC.fullmatch(value):
            return None
        value = float(value) if "." in value else int(value)
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        return None
    try:
        if value < SECONDS_BELOW:
            moment = _EPOCH + timedelta(seconds=value)
        else:
            moment = _EPOCH + timedelta(milliseconds=value)
    except OverflowError:
        return None
    return not_after if moment > not_after + MAX_FUTURE_SKEW else moment


def parse_time(value: object, not_after: datetime) -> datetime | None:
    """A Meta time (epoch s or ms, numeric string or ISO-8601) as aware UTC, or None; for the
    Graph API's answers as well as webhooks (same rules as the items' timestamps)."""
    return _as_datetime(value, not_after)


def _iso_datetime(value: str, not_after: datetime) -> datetime | None:
    """An ISO-8601 date-time (UTC when it has no offset), bounded as `_as_datetime` bounds epochs."""
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    if moment <= _EPOCH:
        return None
    return not_after if moment > not_after + MAX_FUTURE_SKEW else moment


def _object(container: dict, key: str, where: str, *, required: bool = False) -> dict | None:
    value = container.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        problem = "is missing" if key not in container else f"is {_describe(value)}"
        raise _Malformed(f"{where}.{key} {problem}, expected an object")
    return value


def _text(container: dict, key: str, where: str) -> str | None:
    value = container.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _Malformed(f"{where}.{key} is {_describe(value)}, expected a string")


def _flag(container: dict, key: str, where: str) -> bool:
    value = container.get(key)
    if value is None or isinstance(value, bool):
        return bool(value)
    raise _Malformed(f"{where}.{key} is {_describe(value)}, expected true or false")


def _optional_id(container: dict, key: str, where: str) -> str | None:
    value = container.get(key)
    if value is None:
        return None
    coerced = _as_id(value)
    if coerced is None:
        found = "blank" if isinstance(value, str) else _describe(value)
        raise _Malformed(f"{where}.{key} is {found}, expected an id")
    return coerced


def _required_id(container: dict, key: str, where: str) -> str:
    if container.get(key) is None:
        raise _Malformed(f"{where}.{key} is missing")
    return _optional_id(container, key, where)


def _party_id(item: dict, side: str) -> str | None:
    """``item[side].id`` when readable, else None (for UnknownEvents)."""
    party = item.get(side)
    return _as_id(party.get("id")) if isinstance(party, dict) else None


# ------------------------------------------------------------------ item parsers


def _attachment(value: object, where: str) -> Attachment:
    if not isinstance(value, dict):
        raise _Malformed(f"{where} is {_describe(value)}, expected an object")
    kind = value.get("type")
    if not isinstance(kind, str) or not kind:
        raise _Malformed(f"{where}.type is {'missing' if kind is None else _describe(kind)}")
    payload = _object(value, "payload", where) or {}
    url = _text(payload, "url", f"{where}.payload")
    if kind == "ig_story" and url is None:
        url = _text(payload, "story_media_url", f"{where}.payload")
    return Attachment(kind, url, payload, _text(payload, "title", f"{where}.payload"))


def _referral(value: dict, where: str) -> Referral:
    context = _object(value, "ads_context_data", where) or {}
    context_where = f"{where}.ads_context_data"
    return Referral(
        ref=_text(value, "ref", where),
        source=_text(value, "source", where),
        type=_text(value, "type", where),
        ad_id=_optional_id(value, "ad_id", where),
        ad_title=_text(context, "ad_title", context_where),
        photo_url=_text(context, "photo_url", context_where),
        video_url=_text(context, "video_url", context_where),
    )


def _message(item: dict, common: dict, where: str) -> MessageEvent:
    message = _object(item, "message", where, required=True)
    where = f"{where}.message"
    attachments = message.get("attachments")
    if attachments is not None and not isinstance(attachments, list):
        raise _Malformed(f"{where}.attachments is {_describe(attachments)}, expected a list")
    quick_reply = _object(message, "quick_reply", where)
    reply_to = _object(message, "reply_to", where) or {}
    story = _object(reply_to, "story", f"{where}.reply_to")
    referral = _object(message, "referral", where)
    return MessageEvent(
        **common,
        is_echo=_flag(message, "is_echo", where),
        mid=_required_id(message, "mid", where),
        text=_text(message, "text", where),
        attachments=tuple(
            _attachment(a, f"{where}.attachments[{n}]") for n, a in enumerate(attachments or ())
        ),
        is_deleted=_flag(message, "is_deleted", where),
        is_unsupported=_flag(message, "is_unsupported", where),
        quick_reply_payload=(
            _text(quick_reply, "payload", f"{where}.quick_reply") if quick_reply else None
        ),
        reply_to_mid=_optional_id(reply_to, "mid", f"{where}.reply_to"),
        reply_to_story=(
            StoryRef(
                id=_optional_id(story, "id", f"{where}.reply_to.story"),
                url=_text(story, "url", f"{where}.reply_to.story"),
            )
            if story is not None
            else None
        ),
        referral=_referral(referral, f"{where}.referral") if referral is not None else None,
    )


def _reaction(item: dict, common: dict, where: str) -> ReactionEvent:
    reaction = _object(item, "reaction", where, required=True)
    where = f"{where}.reaction"
    action = reaction.get("action")
    if action not in ("react", "unreact"):
        found = "missing" if action is None else f"{action!r:.40}"
        raise _Malformed(f"{where}.action is {found}, expected 'react' or 'unreact'")
    return ReactionEvent(
        **common,
        mid=_required_id(reaction, "mid", where),
        action=action,
        reaction=_text(reaction, "reaction", where),
        emoji=_text(reaction, "emoji", where),
    )


def _read(item: dict, common: dict, where: str) -> ReadEvent:
    read = _object(item, "read", where, required=True)
    where = f"{where}.read"
    mid = _optional_id(read, "mid", where)
    watermark = None
    if read.get("watermark") is not None:
        watermark = _as_datetime(read["watermark"], common["timestamp"])
        if watermark is None:
            raise _Malformed(f"{where}.watermark is not a usable timestamp")
    if mid is None and watermark is None:
        raise _Malformed(f"{where} has neither mid nor watermark")
    return ReadEvent(**common, mid=mid, watermark=watermark)


def _postback(item: dict, common: dict, where: str) -> PostbackEvent:
    postback = _object(item, "postback", where, required=True)
    where = f"{where}.postback"
    return PostbackEvent(
        **common,
        mid=_optional_id(postback, "mid", where),
        title=_text(postback, "title", where),
        payload=_text(postback, "payload", where),
    )


def _referral_event(item: dict, common: dict, where: str) -> ReferralEvent:
    referral = _object(item, "referral", where, required=True)
    return ReferralEvent(**common, referral=_referral(referral, f"{where}.referral"))


def _message_edit(item: dict, common: dict, where: str) -> MessageEditEvent:
    edit = _object(item, "message_edit", where, required=True)
    where = f"{where}.message_edit"
    num_edit = edit.get("num_edit")
    if isinstance(num_edit, str) and num_edit.isdecimal() and len(num_edit) < 10:
        num_edit = int(num_edit)
    if num_edit is not None and (isinstance(num_edit, bool) or not isinstance(num_edit, int)):
        raise _Malformed(f"{where}.num_edit is {_describe(num_edit)}, expected a count")
    return MessageEditEvent(
        **common,
        mid=_required_id(edit, "mid", where),
        text=_text(edit, "text", where),
        num_edit=num_edit,
    )


_PARSERS = {
    "message": _message,
    "reaction": _reaction,
    "read": _read,
    "postback": _postback,
    "referral": _referral_event,
    "message_edit": _message_edit,
}


# ------------------------------------------------------------------ delivery walk


@dataclass
class _Entry:
    """What an item inherits from its entry while the delivery is walked."""

    account_id: str | None
    time: datetime | None
    received_at: datetime
    errors: list[str]
    warnings: list[str] = field(default_factory=list)


def _item_kind(item: dict) -> str:
    for key, kind in _ITEM_KINDS:
        if key in item:
            return kind
    return "unknown"


def _item_time(item: dict, entry: _Entry, where: str) -> datetime:
    value = item.get("timestamp")
    if value is not None:
        timestamp = _as_datetime(value, entry.received_at)
        if timestamp is not None:
            return timestamp
        entry.warnings.append(f"{where}.timestamp is not a usable timestamp; used the entry time")
    return entry.time or entry.received_at


def _parse_item(item: object, entry: _Entry, where: str, *, standby: bool) -> Event:
    if not isinstance(item, dict):
        return UnknownEvent(
            kind="unknown",
            reason=f"{where} is {_describe(item)}, expected an object",
            timestamp=entry.time or entry.received_at,
            account_id=entry.account_id,
            standby=standby,
            raw=item,
        )
    kind = _item_kind(item)
    sender_id, recipient_id = _party_id(item, "sender"), _party_id(item, "recipient")
    timestamp = _item_time(item, entry, where)
    parser = _PARSERS.get(kind)
    try:
        if parser is None:
            if kind == "unknown":
                keys = ", ".join(sorted(map(str, item))[:8]) or "none"
                raise _Malformed(f"{where} has no known event key (keys: {keys:.200})")
            raise _Malformed(f"{kind} events are not handled by the inbox")
        if entry.account_id is None:
            raise _Malformed(f"{where}: the entry has no usable id")
        for side in ("sender", "recipient"):
            _required_id(_object(item, side, where, required=True), "id", f"{where}.{side}")
        common = {
            "account_id": entry.account_id,
            "sender_id": sender_id,
            "recipient_id": recipient_id,
            "timestamp": timestamp,
            "standby": standby,
            "raw": item,
        }
        return parser(item, common, where)
    except _Malformed as problem:
        return UnknownEvent(
            kind=kind,
            reason=str(problem),
            timestamp=timestamp,
            account_id=entry.account_id,
            sender_id=sender_id,
            recipient_id=recipient_id,
            standby=standby,
            raw=item,
        )


_COMMENT_FIELDS = ("comments", "live_comments")


def _comment(change: dict, entry: _Entry, where: str) -> Event:
    """A ``comments`` / ``live_comments`` change: the comment in ``value``."""
    value = change.get("value")
    where = f"{where}.value"
    timestamp = entry.time or entry.received_at
    kind = f"change:{change['field']}"
    try:
        if not isinstance(value, dict):
            raise _Malformed(f"{where} is {_describe(value)}, expected an object")
        if entry.account_id is None:
            raise _Malformed(f"{where}: the entry has no usable id")
        if value.get("timestamp") is not None:
            timestamp = _item_time(value, entry, where)
        sender = _object(value, "from", where, required=True)
        media = _object(value, "media", where, required=True)
        sender_id = _required_id(sender, "id", f"{where}.from")
        return CommentEvent(
            account_id=entry.account_id,
            sender_id=sender_id,
            recipient_id=entry.account_id,
            timestamp=timestamp,
            is_echo=sender_id == entry.account_id,
            raw=change,
            comment_id=_required_id(value, "id", where),
            text=_text(value, "text", where),
            parent_id=_optional_id(value, "parent_id", where),
            username=_text(sender, "username", f"{where}.from"),
            scoped_id=_optional_id(sender, "self_ig_scoped_id", f"{where}.from"),
            media_id=_required_id(media, "id", f"{where}.media"),
            product_type=_text(media, "media_product_type", f"{where}.media"),
            ad_id=_optional_id(media, "ad_id", f"{where}.media"),
            ad_title=_text(media, "ad_title", f"{where}.media"),
            original_media_id=_optional_id(media, "original_media_id", f"{where}.media"),
            live=change["field"] == "live_comments",
        )
    except _Malformed as problem:
        return UnknownEvent(kind=kind, reason=str(problem), timestamp=timestamp,
                            account_id=entry.account_id, raw=change)


def _parse_change(change: object, entry: _Entry, where: str) -> Event:
    field_name = change.get("field") if isinstance(change, dict) else None
    if isinstance(field_name, str) and field_name in _COMMENT_FIELDS:
        return _comment(change, entry, where)
    if isinstance(field_name, str) and field_name in _MESSAGING_CHANGE_FIELDS:
        value = change.get("value")
        if isinstance(value, dict):
            standby = _MESSAGING_CHANGE_FIELDS[field_name]
            return _parse_item(value, entry, f"{where}.value", standby=standby)
        reason = f"{where}.value is {_describe(value)}, expected an object"
    elif isinstance(field_name, str) and field_name:
        reason = f"'{field_name:.60}' changes are not handled by the inbox"
    elif isinstance(change, dict):
        reason = f"{where}.field is missing"
    else:
        reason = f"{where} is {_describe(change)}, expected an object"
    kind = f"change:{field_name:.60}" if isinstance(field_name, str) and field_name else "change"
    return UnknownEvent(
        kind=kind,
        reason=reason,
        timestamp=entry.time or entry.received_at,
        account_id=entry.account_id,
        raw=change,
    )


def _parse_entry(
    raw_entry: dict, where: str, received_at: datetime, errors: list[str], warnings: list[str]
) -> Iterator[Event]:
    account_id = _as_id(raw_entry.get("id"))
    if account_id is None:
        errors.append(f"{where}.id is missing or not an id")
    time = _as_datetime(raw_entry.get("time"), received_at)
    if time is None and raw_entry.get("time") is not None:
        warnings.append(f"{where}.time is not a usable timestamp")
    entry = _Entry(account_id, time, received_at, errors, warnings)

    found = False
    for key, standby in (("messaging", False), ("standby", True)):
        if key not in raw_entry:
            continue
        found = True
        items = raw_entry[key]
        if not isinstance(items, list):
            errors.append(f"{where}.{key} is {_describe(items)}, expected a list")
            continue
        for n, item in enumerate(items):
            yield _parse_item(item, entry, f"{where}.{key}[{n}]", standby=standby)
    if "changes" in raw_entry:
        found = True
        changes = raw_entry["changes"]
        if not isinstance(changes, list):
            errors.append(f"{where}.changes is {_describe(changes)}, expected a list")
        else:
            for n, change in enumerate(changes):
                yield _parse_change(change, entry, f"{where}.changes[{n}]")
    if not found:
        errors.append(f"{where} has no messaging, standby or changes list")


def parse_delivery(payload: object, *, received_at: datetime | None = None) -> ParsedDelivery:
    """Parse a decoded webhook body (any JSON value) into a :class:`ParsedDelivery`.

    ``received_at`` (aware; defaults to now) dates events when neither the item nor
    its entry carries a usable time. Never raises on any JSON input.
    """
    if received_at is None:
        received_at = datetime.now(UTC)
    elif received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    received_at = received_at.astimezone(UTC)

    if not isinstance(payload, dict):
        return ParsedDelivery([], [f"body is {_describe(payload)}, expected an object"])

    errors: list[str] = []
    object_type = payload.get("object")
    if object_type != EXPECTED_OBJECT:
        found = "missing" if object_type is None else f"{object_type!r:.60}"
        errors.append(f"object is {found}, expected '{EXPECTED_OBJECT}'")
    if not isinstance(object_type, str):
        object_type = None

    entries = payload.get("entry")
    if not isinstance(entries, list):
        problem = "missing" if entries is None else _describe(entries)
        errors.append(f"entry is {problem}, expected a list")
        return ParsedDelivery([], errors, object_type)

    events: list[Event] = []
    warnings: list[str] = []
    for n, raw_entry in enumerate(entries):
        where = f"entry[{n}]"
        if not isinstance(raw_entry, dict):
            errors.append(f"{where} is {_describe(raw_entry)}, expected an object")
            continue
        events.extend(_parse_entry(raw_entry, where, received_at, errors, warnings))
    return ParsedDelivery(events, errors, object_type, warnings)
