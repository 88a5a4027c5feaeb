"""The stand-in's Conversations API: an account's past DM conversations, paged as Meta pages them.

Every account has a built-in history (a few customers over the last seven weeks, some of it
older than the import's default 30 days, some threads ending on the customer's word), derived
from its id and the stand-in's clock, so every process serves the same conversations with the
same message ids. `StandinControl.add_history` adds more (the simulator, tests).

Shapes, as Meta answers them:
- `GET /<ver>/<ig_user_id>/conversations?platform=instagram[&limit][&after]` →
  `{"data": [{"id", "updated_time"}], "paging": {"cursors": {"before", "after"}, "next"?}}`,
  newest first; `next` only when there is a further page.
- `GET /<ver>/<conversation_id>?fields=messages{id,created_time,from,to,message,attachments}` →
  `{"id", "messages": {"data": [...], "paging": ...}}`, messages newest first, 20 a page;
  `GET /<ver>/<conversation_id>/messages?fields=...&after=` → the later pages.
Conversation ids are opaque to the inbox; here they carry the account and the customer, so no
state is needed to answer for one.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timezone

from .errors import StandinError
from .profiles import customer_igsid, username_of_igsid

MESSAGES_PAGE = 20
CONVERSATIONS_PAGE = 25
MAX_LIMIT = 100
MESSAGE_FIELDS = ("id", "created_time", "from", "to", "message", "attachments")
_CONVERSATION_PREFIX = "ig_conversation:"
DAY = 86400

# (customer, [(days ago, minutes later, the customer speaks?, text)]): the built-in history.
# None as text: a photo. Two threads are older than 30 days, one starts before and ends inside.
BUILT_IN = (
    ("lena.voss", [(2, 0, True, "Hi! Is the linen shirt still available in M?"),
                   (2, 14, False, "It is! Want me to hold one for you until the weekend?"),
                   (2, 20, True, "Yes please, I'll pick it up on Saturday")]),
    ("omar.haddad", [(5, 0, True, "Do you ship to Lisbon?"),
                     (5, 31, False, "We do: 3 to 5 working days, free over €60.")]),
    ("grace.okoye", [(9, 0, True, "Loved the summer dress in your last post 😍"),
                     (9, 45, False, "Thank you Grace! It comes in three colours."),
                     (9, 50, True, None)]),
    ("tomas.rivera", [(14, 0, True, "What are your opening hours on Sunday?"),
                      (14, 9, False, "Sundays from 11 to 17, see you there!")]),
    ("yuki.sato", [(31, 0, True, "Hi, a quick question about returns"),
                   (21, 0, True, "Can I return a gift without the receipt?"),
                   (21, 30, False, "Yes, within 30 days, as store credit."),
                   (21, 32, True, "Perfect, thanks!")]),
    ("noah.berg", [(27, 0, True, "Any discount for a bulk order of 20 tote bags?")]),
    ("ines.costa", [(35, 0, True, "Hello, do you sell gift cards?"),
                    (35, 12, False, "We do, from €20, in the shop or online.")]),
    ("felix.wang", [(50, 0, True, "Are you open on public holidays?")]),
)


@dataclass(frozen=True)
class HistoryMessage:
    mid: str
    at: float  # epoch seconds
    from_customer: bool
    text: str | None
    image_url: str | None = None


def history_mid(ig_user_id: str, igsid: str, n: int) -> str:
    """A fixed id shaped like Meta's (base64 of "ig_message_item:..."): the same on every call."""
    raw = f"ig_message_item:1:IGMessageThread:{ig_user_id}:history-{igsid}-{n}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def conversation_id(ig_user_id: str, igsid: str) -> str:
    raw = f"{_CONVERSATION_PREFIX}{ig_user_id}:{igsid}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def parse_conversation_id(node_id: str) -> tuple[str, str] | None:
    """(ig_user_id, igsid) of one of our conversation ids, or None for any other node id."""
    try:
        raw = base64.urlsafe_b64decode(node_id + "=" * (-len(node_id) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not raw.startswith(_CONVERSATION_PREFIX):
        return None
    ig_user_id, _, igsid = raw[len(_CONVERSATION_PREFIX):].partition(":")
    return (ig_user_id, igsid) if ig_user_id.isdigit() and igsid.isdigit() else None


def threads(ig_user_id: str, now: float, added: dict[str, list[dict]], image_url) -> dict[str, list[HistoryMessage]]:
    """Every conversation of the account: igsid -> messages, oldest first. The built-in times count
    back from `now` in whole minutes, so two calls a moment apart agree."""
    anchor = now // 60 * 60
    found: dict[str, list[HistoryMessage]] = {}
    for username, lines in BUILT_IN:
        igsid = customer_igsid(username)
        found[igsid] = [
            HistoryMessage(history_mid(ig_user_id, igsid, n), anchor - days * DAY + minutes * 60, customer, text,
                           None if text is not None else image_url(igsid))
            for n, (days, minutes, customer, text) in enumerate(lines)]
    for igsid, messages in added.items():
        found.setdefault(igsid, []).extend(
            HistoryMessage(m["mid"], float(m["at"]), bool(m["from_customer"]), m.get("text")) for m in messages)
    for messages in found.values():
        messages.sort(key=lambda m: (m.at, m.mid))
    return found


def _time(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).rstrip(b"=").decode("ascii")


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, number = raw.partition(":")
        if kind == "offset" and number.isdigit():
            return int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise StandinError(100, "(#100) The after cursor is invalid")


def limit_of(raw: str | None, default: int) -> int:
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise StandinError(100, f"(#100) Param limit must be a number between 1 and {MAX_LIMIT}")
    return int(raw)


def page(items: list, after: str | None, limit: int, next_url) -> dict:
    """A Graph list page: `next_url(cursor)` builds the next page's address when there is one."""
    start = _offset(after)
    chosen = items[start:start + limit]
    paging: dict = {"cursors": {"before": _cursor(start), "after": _cursor(start + len(chosen))}}
    if start + len(chosen) < len(items):
        paging["next"] = next_url(_cursor(start + len(chosen)))
    return {"data": chosen, "paging": paging}


def conversation_list(ig_user_id: str, found: dict[str, list[HistoryMessage]]) -> list[dict]:
    listed = [(messages[-1].at, igsid) for igsid, messages in found.items() if messages]
    return [{"id": conversation_id(ig_user_id, igsid), "updated_time": _time(at)}
            for at, igsid in sorted(listed, reverse=True)]


def message_json(message: HistoryMessage, ig_user_id: str, username: str, igsid: str, fields: list[str]) -> dict:
    customer = {"username": username_of_igsid(igsid) or f"user{igsid[-6:]}", "id": igsid}
    business = {"username": username, "id": ig_user_id}
    sender, recipient = (customer, business) if message.from_customer else (business, customer)
    values = {
        "id": message.mid,
        "created_time": _time(message.at),
        "from": sender,
        "to": {"data": [recipient]},
        "message": message.text or "",
    }
    if message.image_url:
        values["attachments"] = {"data": [{"id": message.mid[-12:], "mime_type": "image/svg+xml",
                                           "image_data": {"url": message.image_url, "preview_url": message.image_url}}]}
    answer = {name: values[name] for name in fields if name in values}
    answer.setdefault("id", message.mid)
    return answer


def message_fields(raw: str | None) -> list[str]:
    """The message fields asked for: `messages{a,b}` on the conversation, `a,b` on its edge."""
    if not raw:
        return ["id", "created_time"]
    inner = raw
    if raw.startswith("messages"):
        inner = raw[len("messages"):].strip()
        inner = inner[1:-1] if inner.startswith("{") and inner.endswith("}") else "id,created_time"
    fields = [f.strip() for f in inner.split(",") if f.strip()]
    for name in fields:
        if name not in MESSAGE_FIELDS:
            raise StandinError(100, f"(#100) Tried accessing nonexisting field ({name}) on node type (Message)")
    return fields
