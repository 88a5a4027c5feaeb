"""Meta's rules for answering a comment, in one place: who may be answered publicly, hidden or
privately, and the limits on a private reply (one per comment, within 7 days of it; a Live
comment only while the broadcast runs). The actions (app.comments.actions) check them when staff,
the API or automation ask, and the send job (app.outbound.sending) checks them again when it
sends; Instagram has the last word, and its refusal is mapped to the same sentences here.

Pure: no database writes. The claim that makes "one private reply per comment" hold under
concurrency is `Message.private_replied_at`, taken in app.comments.actions.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.models import Message, utcnow

PRIVATE_REPLY_WINDOW = timedelta(days=7)
# Instagram Live broadcasts last at most 4 hours: a Live comment older than that is from a
# broadcast that has ended, and Meta accepts private replies to Live comments only during it.
LIVE_MAX_DURATION = timedelta(hours=4)
LIVE_PRODUCT_TYPES = ("LIVE",)

ALREADY_REPLIED = "This comment already has its private reply: Instagram allows one per comment."
TOO_OLD = ("This comment is more than 7 days old: Instagram allows a private reply only within 7 days "
           "of the comment.")
LIVE_ENDED = ("This comment was made during a Live broadcast that has ended: Instagram allows a private "
              "reply to a Live comment only while the broadcast runs.")
# Meta's refusal of a private reply, when our own checks did not foresee it.
REFUSED_BY_INSTAGRAM = ("Instagram refused the private reply: a comment can be answered privately once, "
                        "within 7 days of it (a Live comment only during the broadcast).")
NOT_A_CUSTOMER_COMMENT = "Only a customer's comment can be answered privately or hidden."
NOT_OUR_REPLY = "Only the account's own comments can be deleted here."


@dataclass(frozen=True)
class Refusal:
    code: str  # stable, for programs: already_replied, too_old, live_ended, not_a_comment, ...
    message: str  # one sentence for people


def is_customer_comment(message: Message) -> bool:
    return message.kind == "comment" and message.direction == "in" and bool(message.mid)


def is_our_comment(message: Message) -> bool:
    return message.kind == "comment" and message.direction == "out"


def private_reply_refusal(comment: Message, product_type: str | None, now: datetime | None = None,
                          *, claimed: bool | None = None) -> Refusal | None:
    """Why `comment` cannot get a private reply now, or None when it can. `claimed`: whether its
    one private reply is already taken (default: the row's `private_replied_at`)."""
    now = now or utcnow()
    if not is_customer_comment(comment):
        return Refusal("not_a_comment", NOT_A_CUSTOMER_COMMENT)
    if claimed if claimed is not None else comment.private_replied_at is not None:
        return Refusal("already_replied", ALREADY_REPLIED)
    return age_refusal(comment.created_at, product_type, now)


def age_refusal(commented_at: datetime, product_type: str | None, now: datetime | None = None) -> Refusal | None:
    """The time limits alone (the send job re-checks them for a reply claimed earlier)."""
    now = now or utcnow()
    if (product_type or "").upper() in LIVE_PRODUCT_TYPES and now - commented_at > LIVE_MAX_DURATION:
        return Refusal("live_ended", LIVE_ENDED)
    if now - commented_at > PRIVATE_REPLY_WINDOW:
        return Refusal("too_old", TOO_OLD)
    return None
