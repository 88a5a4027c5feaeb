"""What a message carries beyond text, as typed records: one home for `Message.meta`'s content.

Ingestion (app/webhooks/apply.py) builds a :class:`MessageContent` from a parsed event with
:func:`content_from_event` and stores ``content.to_json()`` in ``Message.meta``. Every reader
(the thread template, the conversation list preview, the JSON API's ``kind`` and ``context``,
automation, the leads CSV) goes through :func:`content_of`, which reads the stored ``meta`` back
with :meth:`MessageContent.from_json`. ``from_json`` also reads the shapes older rows were
written in: a quick reply as ``{"kind": "quick_reply", "payload"}``, a postback as
``{"kind": "postback", "title", "payload"}``, a story reply as ``{"story": {id, url}}``, a
referral flat (``{ad_id, ad_title, photo_url...}``) or as Meta sends it (``ads_context_data``),
and what only the ``attachments`` column holds (story mentions, shares, templates).

Message kinds (docs/contract.md#json-api), decided by :func:`kind_of` in this order:
``comment`` (a comment on one of our posts: a row of kind `comment`, its context from the row's
columns), ``unsupported`` (Instagram does not share it with apps), ``postback`` (a button tapped),
``referral`` (an ig.me link or ad opened in an existing thread, no message), ``story_mention``,
``story_reply``, ``quick_reply`` (a quick-reply chip tapped), ``template`` (a generic, button or
media template, seen as the echo of another tool's send), ``share`` (a post, reel or story
shared), ``attachment`` (photo, video, audio, file...), ``text``. A message that came with a
referral (the first message from a click-to-DM ad) keeps its own kind and carries the referral in
its context.

Also here: the reaction name → emoji map and the one vocabulary of short labels used for
previews ("Photo", "Reel"...), so inbound and outbound lines read the same in the list.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

KINDS = ("text", "attachment", "story_mention", "story_reply", "share", "postback", "referral",
         "quick_reply", "template", "unsupported", "comment")
# The storage kinds of Message.kind that are not content kinds (older rows, outbound rows).
_ROW_KINDS = {"postback": "postback", "referral": "referral", "unsupported": "unsupported"}

SHARE_TYPES = {"share": "post", "ig_post": "post", "ig_reel": "reel", "reel": "reel", "ig_story": "story"}
TEMPLATE_TYPES = ("template",)
UNSUPPORTED_TYPES = ("unsupported_type",)
UNSUPPORTED_NOTICE = "This message type isn't supported by Instagram's API — open Instagram to see it."

# Instagram's reaction names (docs/meta-protocol.md#reactions) and the emoji the inbox shows and sends.
REACTION_EMOJI = {"love": "❤️", "like": "👍", "laugh": "😆", "wow": "😮", "sad": "😢", "angry": "😡"}
OTHER_REACTION_EMOJI = "✨"
PREVIEW_MAX = 200  # Conversation.last_message_preview

ATTACHMENT_LABELS = {
    "image": "Photo",
    "video": "Video",
    "audio": "Voice message",
    "file": "File",
    "share": "Shared post",
    "story_mention": "Story mention",
    "ig_reel": "Reel",
    "reel": "Reel",
    "ig_post": "Shared post",
    "ig_story": "Shared story",
    "template": "Message with buttons",
    "ephemeral": "Disappearing photo or video",
    "unsupported_type": "Unsupported message",
}
PLURAL_LABELS = {"image": "photos", "video": "videos", "audio": "voice messages", "file": "files"}


def reaction_emoji(reaction: str | None) -> str:
    """The emoji for an Instagram reaction name (👍 when none is given, ✨ for "other")."""
    return REACTION_EMOJI.get(reaction or "", "👍" if not reaction else OTHER_REACTION_EMOJI)


def _str(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    return value if isinstance(value, str) and value != "" else None


def _map(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class StoryMention:
    """The customer mentioned the business in their story (or, in an echo, the business mentioned
    the customer in its own story). ``url`` is the story's CDN link, which expires."""

    url: str | None = None
    id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": "mention", "id": self.id, "url": self.url}


@dataclass(frozen=True)
class StoryReply:
    """The customer replied to one of the business's stories."""

    url: str | None = None
    id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": "reply", "id": self.id, "url": self.url}


@dataclass(frozen=True)
class Referral:
    """Where the conversation came from: a click-to-DM ad (``ad_id``, the ad's title and image)
    or an ig.me link (``ref``, the link's ``?ref=`` value)."""

    ref: str | None = None
    source: str | None = None
    type: str | None = None
    ad_id: str | None = None
    ad_title: str | None = None
    photo_url: str | None = None
    video_url: str | None = None

    @property
    def is_ad(self) -> bool:
        return self.ad_id is not None or (self.source or "").upper() == "ADS"

    def to_json(self) -> dict[str, Any]:
        return {"ref": self.ref, "source": self.source, "type": self.type, "ad_id": self.ad_id,
                "ad_title": self.ad_title, "photo_url": self.photo_url, "video_url": self.video_url}

    @classmethod
    def from_json(cls, value: Any) -> Referral | None:
        """The stored flat shape, or Meta's own (``ads_context_data``), as older rows and the
        template's first version had it."""
        if not isinstance(value, Mapping):
            return None
        ad = _map(value.get("ads_context_data"))
        return cls(ref=_str(value.get("ref")), source=_str(value.get("source")), type=_str(value.get("type")),
                   ad_id=_str(value.get("ad_id")),
                   ad_title=_str(value.get("ad_title")) or _str(ad.get("ad_title")),
                   photo_url=_str(value.get("photo_url")) or _str(ad.get("photo_url")),
                   video_url=_str(value.get("video_url")) or _str(ad.get("video_url")))


@dataclass(frozen=True)
class QuickReply:
    """The customer tapped a quick-reply chip; ``payload`` is what the sending tool attached."""

    payload: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"payload": self.payload}


@dataclass(frozen=True)
class Postback:
    """The customer tapped a button (icebreaker, template button): its title and payload."""

    title: str | None = None
    payload: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "payload": self.payload}


@dataclass(frozen=True)
class Share:
    """A post, reel or story shared into the thread. ``type`` is ``post``, ``reel`` or ``story``;
    ``media_id`` is Instagram's id of the shared media when the payload has one."""

    type: str
    url: str | None = None
    title: str | None = None
    media_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "url": self.url, "title": self.title, "media_id": self.media_id}


@dataclass(frozen=True)
class Button:
    """One button of a template: a link (``url``) or a postback (``payload``)."""

    title: str | None = None
    url: str | None = None
    payload: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "url": self.url, "payload": self.payload}


@dataclass(frozen=True)
class Template:
    """A generic, button or media template (the echo of a send by another tool on the same
    account). The first card's title, subtitle and image; a button template's text; its buttons.
    ``cards`` counts the cards of a carousel."""

    template_type: str | None = None
    title: str | None = None
    subtitle: str | None = None
    text: str | None = None
    image_url: str | None = None
    buttons: tuple[Button, ...] = ()
    cards: int = 0

    @property
    def line(self) -> str | None:
        """What the template says, in one line: its text, else its title."""
        return self.text or self.title or self.subtitle

    def to_json(self) -> dict[str, Any]:
        return {"template_type": self.template_type, "title": self.title, "subtitle": self.subtitle,
                "text": self.text, "image_url": self.image_url,
                "buttons": [b.to_json() for b in self.buttons], "cards": self.cards}


@dataclass(frozen=True)
class Unsupported:
    """Instagram told us a message exists but not what it is (``is_unsupported`` or an
    ``unsupported_type`` attachment). ``type`` is the attachment type when there was one."""

    type: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type}


def _button(value: Any) -> Button | None:
    value = _map(value)
    button = Button(title=_str(value.get("title")), url=_str(value.get("url")), payload=_str(value.get("payload")))
    return button if (button.title or button.url or button.payload) else None


def _buttons(values: Any) -> tuple[Button, ...]:
    if not isinstance(values, list):
        return ()
    return tuple(b for b in map(_button, values[:10]) if b is not None)


def template_from_payload(payload: Any) -> Template:
    """Read a template attachment's payload, in Messenger's shape (``template_type``,
    ``elements``/``text``/``buttons``) or the nested one Instagram echoes (``generic: {elements}``,
    ``button: {text, buttons}``)."""
    payload = _map(payload)
    template_type = _str(payload.get("template_type"))
    body: Mapping = payload
    if template_type is None:
        for name in ("generic", "button", "media", "product"):
            if isinstance(payload.get(name), Mapping):
                template_type, body = name, payload[name]
                break
    elements = body.get("elements") if isinstance(body.get("elements"), list) else []
    first = _map(elements[0]) if elements else {}
    buttons = _buttons(body.get("buttons")) or _buttons(first.get("buttons"))
    return Template(template_type=template_type, title=_str(first.get("title")) or _str(body.get("title")),
                    subtitle=_str(first.get("subtitle")), text=_str(body.get("text")),
                    image_url=_str(first.get("image_url")) or _str(first.get("url")) or _str(body.get("url")),
                    buttons=buttons, cards=len(elements))


def _template_from_json(value: Any) -> Template | None:
    if not isinstance(value, Mapping):
        return None
    return Template(template_type=_str(value.get("template_type")), title=_str(value.get("title")),
                    subtitle=_str(value.get("subtitle")), text=_str(value.get("text")),
                    image_url=_str(value.get("image_url")), buttons=_buttons(value.get("buttons")),
                    cards=value.get("cards") if isinstance(value.get("cards"), int) else 0)


def _share_from_attachment(kind: str, payload: Mapping, url: str | None, title: str | None) -> Share:
    media_id = None
    for key in ("ig_post_media_id", "reel_video_id", "story_media_id"):
        media_id = media_id or _str(payload.get(key))
    return Share(type=SHARE_TYPES[kind], url=url or _str(payload.get("url")) or _str(payload.get("story_media_url")),
                 title=title or _str(payload.get("title")), media_id=media_id)


# --------------------------------------------------------------------------- the whole


@dataclass(frozen=True)
class Comment:
    """A comment on one of our posts (a message row of kind `comment`): its id (the row's mid), the
    comment it answers and whether it is hidden, all three kept in the row's own columns."""

    comment_id: str | None
    parent_comment_id: str | None = None
    hidden: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"comment_id": self.comment_id, "parent_comment_id": self.parent_comment_id, "hidden": self.hidden}


@dataclass(frozen=True)
class PrivateReply:
    """A DM we sent as the private reply to a comment (Meta's "private replies"): the comment and the
    post it is on, so the DM thread can say "from a comment on <post>" and the send job knows to
    address the comment rather than the person."""

    comment_id: str
    media_id: str | None = None  # Meta's id of the post
    permalink: str | None = None
    caption: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"comment_id": self.comment_id, "media_id": self.media_id, "permalink": self.permalink,
                "caption": self.caption}

    @classmethod
    def from_json(cls, value: Any) -> PrivateReply | None:
        value = _map(value)
        comment_id = _str(value.get("comment_id"))
        if comment_id is None:
            return None
        permalink = _str(value.get("permalink"))
        if permalink and not permalink.startswith(("https://", "http://")):
            permalink = None  # only links a browser may follow
        return cls(comment_id, _str(value.get("media_id")), permalink, _str(value.get("caption")))


@dataclass(frozen=True)
class MessageContent:
    """Everything a message carries beyond its text and raw attachments, typed."""

    story_mention: StoryMention | None = None
    story_reply: StoryReply | None = None
    referral: Referral | None = None
    quick_reply: QuickReply | None = None
    postback: Postback | None = None
    shares: tuple[Share, ...] = ()
    template: Template | None = None
    unsupported: Unsupported | None = None
    comment: Comment | None = None
    private_reply: PrivateReply | None = None
    standby: bool = False  # arrived while another app (or a person in Instagram) owned the thread
    has_attachments: bool = field(default=False, compare=False)
    # A referral that came without a message (an ig.me link or ad opened in an existing thread):
    # the row is the referral itself, whatever else it carries.
    referral_only: bool = field(default=False, compare=False)

    @property
    def story(self) -> StoryMention | StoryReply | None:
        return self.story_mention or self.story_reply

    @property
    def kind(self) -> str:
        """The message's kind (see the module docstring for the order)."""
        if self.comment is not None:
            return "comment"
        if self.referral_only:
            return "referral"
        if self.unsupported is not None:
            return "unsupported"
        if self.postback is not None:
            return "postback"
        if self.story_mention is not None:
            return "story_mention"
        if self.story_reply is not None:
            return "story_reply"
        if self.quick_reply is not None:
            return "quick_reply"
        if self.template is not None:
            return "template"
        if self.shares:
            return "share"
        if self.has_attachments:
            return "attachment"
        return "text"

    def context(self) -> dict[str, Any] | None:
        """The API's `context`: each record the message has, under its name; None when none."""
        values = {
            "story": self.story.to_json() if self.story else None,
            "referral": self.referral.to_json() if self.referral else None,
            "quick_reply": self.quick_reply.to_json() if self.quick_reply else None,
            "postback": self.postback.to_json() if self.postback else None,
            "shares": [s.to_json() for s in self.shares] or None,
            "template": self.template.to_json() if self.template else None,
            "unsupported": self.unsupported.to_json() if self.unsupported else None,
            "comment": self.comment.to_json() if self.comment else None,
            "private_reply": self.private_reply.to_json() if self.private_reply else None,
        }
        values = {key: value for key, value in values.items() if value is not None}
        return values or None

    def to_json(self) -> dict[str, Any]:
        """What ingestion stores in `Message.meta` (other keys there are bookkeeping: reaction
        and edit stamps, a reaction's error)."""
        meta = dict(self.context() or {})
        meta.pop("comment", None)  # the row's columns hold it (mid, parent_comment_id, hidden)
        if self.standby:
            meta["standby"] = True
        return meta

    @classmethod
    def from_json(cls, meta: Any, *, row_kind: str | None = None, attachments: Any = None) -> MessageContent:
        """Read a stored `meta` back, whatever shape it was written in; `row_kind` (the
        `Message.kind` column) and `attachments` (the column) fill in what older rows kept there."""
        meta = _map(meta)
        items = [a for a in attachments if isinstance(a, Mapping)] if isinstance(attachments, list) else []
        story = _map(meta.get("story"))
        story_kind = story.get("kind")
        mention = reply = None
        if story:
            record = (StoryMention if story_kind == "mention" else StoryReply)(url=_str(story.get("url")),
                                                                              id=_str(story.get("id")))
            mention, reply = (record, None) if story_kind == "mention" else (None, record)
        kind = row_kind if isinstance(row_kind, str) else _str(meta.get("kind"))
        # Quick reply: {"quick_reply": {"payload"}} now, {"kind": "quick_reply", "payload"} before,
        # or a bare string.
        quick = meta.get("quick_reply")
        quick_reply = None
        if isinstance(quick, Mapping):
            quick_reply = QuickReply(_str(quick.get("payload")))
        elif isinstance(quick, str):
            quick_reply = QuickReply(quick)
        elif kind == "quick_reply" or meta.get("kind") == "quick_reply":
            quick_reply = QuickReply(_str(meta.get("payload")))
        posted = meta.get("postback")
        postback = None
        if isinstance(posted, Mapping):
            postback = Postback(_str(posted.get("title")), _str(posted.get("payload")))
        elif kind == "postback" or meta.get("kind") == "postback":
            postback = Postback(_str(meta.get("title")), _str(meta.get("payload")))
        unsupported = None
        if isinstance(meta.get("unsupported"), Mapping):
            unsupported = Unsupported(_str(meta["unsupported"].get("type")))
        elif kind == "unsupported" or meta.get("kind") == "unsupported":
            unsupported = Unsupported()
        template = _template_from_json(meta.get("template"))
        shares = tuple(Share(type=_str(s.get("type")) or "post", url=_str(s.get("url")), title=_str(s.get("title")),
                             media_id=_str(s.get("media_id")))
                       for s in (meta.get("shares") if isinstance(meta.get("shares"), list) else ())
                       if isinstance(s, Mapping))
        # What older rows kept only in the attachments column.
        for item in items:
            item_kind = item.get("type")
            payload = _map(item.get("payload"))
            url = _str(item.get("url")) or _str(payload.get("url"))
            if item_kind == "story_mention" and mention is None and reply is None:
                mention = StoryMention(url=url, id=_str(payload.get("story_media_id")) or _str(payload.get("id")))
            elif item_kind in TEMPLATE_TYPES and template is None:
                template = template_from_payload(payload)
            elif item_kind in UNSUPPORTED_TYPES and unsupported is None:
                unsupported = Unsupported(item_kind)
            elif item_kind in SHARE_TYPES and not meta.get("shares"):
                shares += (_share_from_attachment(item_kind, payload, url, _str(item.get("title"))),)
        if mention is None and reply is None and kind == "story_reply":
            reply = StoryReply()
        return cls(story_mention=mention, story_reply=reply, referral=Referral.from_json(meta.get("referral")),
                   quick_reply=quick_reply, postback=postback, shares=shares, template=template,
                   unsupported=unsupported, private_reply=PrivateReply.from_json(meta.get("private_reply")),
                   standby=meta.get("standby") is True, has_attachments=bool(items),
                   referral_only=row_kind == "referral")


def content_of(message: Any) -> MessageContent:
    """The content of a `Message` row (or anything with `meta`, `kind` and `attachments`)."""
    row_kind = getattr(message, "kind", None)
    if row_kind == "comment":
        return MessageContent(comment=Comment(getattr(message, "mid", None), getattr(message, "parent_comment_id", None),
                                              bool(getattr(message, "hidden", False))))
    return MessageContent.from_json(getattr(message, "meta", None), row_kind=row_kind,
                                    attachments=getattr(message, "attachments", None))


def kind_of(message: Any) -> str:
    """The message's kind, as the API and the templates name it (a caller that also needs the
    content reads `content_of(message).kind` instead: one parse)."""
    return content_of(message).kind


# --------------------------------------------------------------------------- from an event


def _attachment_records(attachments: Any) -> dict[str, Any]:
    """Records hidden in parsed attachments (objects with type, url, payload, title)."""
    found: dict[str, Any] = {"shares": ()}
    for a in attachments or ():
        kind = getattr(a, "type", None)
        payload = _map(getattr(a, "payload", None))
        url = getattr(a, "url", None)
        if kind == "story_mention" and "story_mention" not in found:
            found["story_mention"] = StoryMention(url=url, id=_str(payload.get("story_media_id")) or _str(payload.get("id")))
        elif kind in TEMPLATE_TYPES and "template" not in found:
            found["template"] = template_from_payload(payload)
        elif kind in UNSUPPORTED_TYPES and "unsupported" not in found:
            found["unsupported"] = Unsupported(kind)
        elif kind in SHARE_TYPES:
            found["shares"] += (_share_from_attachment(kind, payload, url, getattr(a, "title", None)),)
    return found


def content_from_event(event: Any) -> MessageContent:
    """The content of a parsed message, postback or referral event (app.instagram.events)."""
    standby = bool(getattr(event, "standby", False))
    if event.kind == "comment":
        return MessageContent(comment=Comment(event.comment_id, event.parent_id))
    if event.kind == "postback":
        return MessageContent(postback=Postback(event.title, event.payload), standby=standby)
    if event.kind == "referral":
        return MessageContent(referral=event.referral, standby=standby, referral_only=True)
    records = _attachment_records(event.attachments)
    if event.is_unsupported and "unsupported" not in records:
        records["unsupported"] = Unsupported()
    story = event.reply_to_story
    reply = StoryReply(url=story.url, id=story.id) if story is not None else None
    quick = QuickReply(event.quick_reply_payload) if event.quick_reply_payload is not None else None
    # The parser's referral is already this module's record (app.instagram.events.Referral).
    return MessageContent(story_reply=reply, referral=event.referral, quick_reply=quick,
                          standby=standby, has_attachments=bool(event.attachments), **records)


# --------------------------------------------------------------------------- one line


def attachment_label(kind: str | None, payload: Any = None, filename: str | None = None) -> str:
    """A short human name for one attachment ("Photo", "Reel", "Sticker"...)."""
    payload = _map(payload)
    if kind == "image" and payload.get("sticker_id") is not None:
        return "Sticker"
    if kind == "file" and filename:
        return f"File: {filename}"
    return ATTACHMENT_LABELS.get(kind or "", "Attachment")


def attachments_label(items: list[tuple[str | None, Any, str | None]]) -> str:
    """Label for one or several attachments, given as (type, payload, filename)."""
    if not items:
        return ""
    if len(items) == 1:
        return attachment_label(*items[0])
    types = {kind for kind, _, _ in items}
    noun = PLURAL_LABELS.get(types.pop(), "attachments") if len(types) == 1 else "attachments"
    return f"{len(items)} {noun}"


def preview_line(content: MessageContent, text: str | None, attachments: Any, *,
                 deleted: bool = False, row_kind: str | None = None) -> str:
    """The conversation list's one-line summary of a message (untrusted text: escape it)."""
    text = text if text and text.strip() else None
    if deleted:
        return "Message deleted"
    if content.comment is not None:
        return f"Comment: {text}" if text else "Comment"
    if content.unsupported is not None:
        return "Unsupported message"
    if content.story_reply is not None:
        return f"Story reply: {text}" if text else "Story reply"
    if text:
        return text
    if content.template is not None and content.template.line:
        return content.template.line
    if content.postback is not None:
        return content.postback.title or content.postback.payload or "Tapped a button"
    if row_kind == "referral" and content.referral is not None:
        return f"Opened the conversation from {'an ad' if content.referral.is_ad else 'a link'}"
    items = [(a.get("type"), a.get("payload"), a.get("filename"))
             for a in (attachments or []) if isinstance(a, Mapping)]
    return attachments_label(items) or "Message"


def preview_of(message: Any) -> str:
    """`preview_line` for a `Message` row (or anything with its attributes)."""
    return preview_line(content_of(message), getattr(message, "text", None), getattr(message, "attachments", None),
                        deleted=bool(getattr(message, "is_deleted", False)), row_kind=getattr(message, "kind", None))
