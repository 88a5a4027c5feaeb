"""Comments on the stand-in: the public reply, hide / unhide, delete and the private reply, with
Meta's rules (one private reply per comment, within 7 days of it; a Live comment only while the
broadcast runs), and the webhooks Meta sends after them (our own reply as a `comments` change,
the private reply's echo as a `messaging` echo to the commenter).

The stand-in knows the comments it delivered itself in this process (`comment_delivery`, and
`remember` for the demo's simulator): those follow every rule, and a deleted one is Meta's "does not
exist" (100/33). Like webhook subscriptions this is best effort: a comment delivered by another
process (`flask demo`'s seeded ones, another gunicorn worker) is unknown here, and is answered as
Meta answers a comment it has (its private reply once, from this process's view, without the
7-day check or an echo: the stand-in cannot tell who wrote it). Kept apart from app/instagram on
purpose, like the rest of the stand-in.
"""
from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass

from flask import Response, jsonify

from . import webhooks
from .context import control, settings
from .control import StandinControl
from .errors import StandinError
from .signing import Claims

PRIVATE_REPLY_WINDOW = 7 * 24 * 3600  # seconds
LIVE_MAX = 4 * 3600  # a Live broadcast lasts at most 4 hours
MAX_COMMENT_CHARS = 2200
# What Meta answers a private reply it will not take (a second one, or one too late).
REPLY_WINDOW_SUBCODE = 2534022


@dataclass
class KnownComment:
    ig_user_id: str  # the account whose post it is on
    comment_id: str
    from_id: str
    username: str | None
    media_id: str
    product_type: str
    created_at: float  # the stand-in's clock
    private_replied: bool = False
    hidden: bool = False
    deleted: bool = False


def new_comment_id() -> str:
    """Comment ids are decimal digits, like Meta's."""
    return str(17_800_000_000_000_000 + uuid.uuid4().int % 10**15)


def comment_delivery(ctl: StandinControl, *, ig_user_id: str, from_id: str, text: str, media_id: str,
                     username: str | None = None, product_type: str = "FEED", parent_id: str | None = None,
                     ad_id: str | None = None, ad_title: str | None = None,
                     comment_id: str | None = None) -> tuple[str, dict]:
    """A customer's comment as Meta delivers it (`entry[].changes[]`), remembered by `ctl` (the
    stand-in's control) so replies to it follow the rules; (comment id, body)."""
    comment_id = comment_id or new_comment_id()
    ctl.remember_comment(KnownComment(ig_user_id, comment_id, from_id, username, media_id, product_type, ctl.now()))
    return comment_id, webhooks.comment_change(ig_user_id=ig_user_id, comment_id=comment_id, text=text,
                                               from_id=from_id, username=username, media_id=media_id,
                                               product_type=product_type, parent_id=parent_id, ad_id=ad_id,
                                               ad_title=ad_title, time_s=int(ctl.now()))


def remember(ctl: StandinControl, *, ig_user_id: str, comment_id: str, from_id: str, username: str | None,
             media_id: str, product_type: str = "FEED") -> None:
    """Remember a comment delivered by other code of this process (the demo's simulator)."""
    ctl.remember_comment(KnownComment(ig_user_id, comment_id, from_id, username, media_id, product_type, ctl.now()))


def _known(comment_id: str, claims: Claims, verb: str) -> KnownComment:
    """The comment as this process knows it; one it never saw is taken as a customer's comment on
    a post of the account (see the module docstring)."""
    if not comment_id.isdigit():
        _does_not_exist(comment_id, verb)
    comment = control().known_comment(comment_id)
    if comment is None:
        comment = KnownComment(claims.ig_user_id, comment_id, "", None, "", "FEED", control().now())
        control().remember_comment(comment)
    if comment.deleted or comment.ig_user_id != claims.ig_user_id:
        _does_not_exist(comment_id, verb)
    return comment


def _does_not_exist(comment_id: str, verb: str):
    raise StandinError(100, f"Unsupported {verb} request. Object with ID '{comment_id}' does not exist, cannot "
                            "be loaded due to missing permissions, or does not support this operation.", subcode=33)


def reply(claims: Claims, comment_id: str, message: str | None) -> Response:
    """POST /<comment_id>/replies: a public reply; Meta then delivers it as a `comments` change."""
    parent = _known(comment_id, claims, "post")
    if not message or not message.strip():
        raise StandinError(100, "(#100) The parameter message is required")
    if len(message) > MAX_COMMENT_CHARS:
        raise StandinError(100, f"(#100) The comment is longer than {MAX_COMMENT_CHARS} characters")
    # Instagram threads one level deep: a reply to a reply is a reply to the top comment.
    top = parent.comment_id
    new_id = new_comment_id()
    control().remember_comment(KnownComment(claims.ig_user_id, new_id, claims.ig_user_id, None, parent.media_id,
                                            parent.product_type, control().now()))
    response = jsonify({"id": new_id})
    if not parent.media_id:
        return response  # a comment this process never saw: its post is unknown, so no webhook
    _deliver_after(response, webhooks.comment_change(
        ig_user_id=claims.ig_user_id, comment_id=new_id, text=message, from_id=claims.ig_user_id, username=None,
        media_id=parent.media_id, product_type=parent.product_type, parent_id=top, time_s=int(control().now())))
    return response


def hide(claims: Claims, comment_id: str, value: str | None) -> Response:
    """POST /<comment_id>?hide=true|false on a comment of the account's media."""
    comment = _known(comment_id, claims, "post")
    if value not in ("true", "false"):
        raise StandinError(100, "(#100) Param hide must be a boolean")
    if comment.from_id == claims.ig_user_id:
        raise StandinError(100, "(#100) The account's own comments cannot be hidden")
    comment.hidden = value == "true"
    return jsonify({"success": True})


def delete(claims: Claims, comment_id: str) -> Response:
    """DELETE /<comment_id>: the account's own comments, or comments on its media."""
    comment = _known(comment_id, claims, "delete")
    comment.deleted = True
    return jsonify({"success": True})


def private_reply(claims: Claims, comment_id: str, text: str) -> tuple[str, str]:
    """The rules of POST /<ig_user_id>/messages with recipient {comment_id}; (commenter id, mid)."""
    comment = _known(str(comment_id), claims, "post")
    age = control().now() - comment.created_at
    too_late = age > PRIVATE_REPLY_WINDOW or (comment.product_type.upper() == "LIVE" and age > LIVE_MAX)
    if too_late or not control().take_private_reply(comment.comment_id):
        raise StandinError(10, "(#10) This message is sent outside of allowed window.", subcode=REPLY_WINDOW_SUBCODE)
    return comment.from_id, webhooks.new_mid(claims.ig_user_id)


def _deliver_after(response: Response, payload: dict) -> None:
    """Deliver a webhook once the answer is out, as Meta does (skipped when echoes are off)."""
    config = settings()
    if config.echo_mode == "off" or not config.webhook_url or not config.app_secret:
        return
    body = webhooks.encode_payload(payload)
    answered = threading.Event()
    response.call_on_close(answered.set)
    webhooks.deliver_later(config.webhook_url, body, config.app_secret, delay=config.echo_delay, answered=answered,
                           attempts=config.echo_attempts, on_attempt=control().record_echo)
