"""The demo's comments: a few customers comment on two of the stand-in's posts (one of them an
ad), one of them a customer who also writes DMs, and the shop answers one comment publicly from
the Instagram app. Delivered as Meta delivers comments (signed `changes` of field `comments`,
dated in seconds) through the real ingestion path; fixed ids and times, so a rerun adds nothing."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select

from app.demo.delivery import deliver_webhook
from app.demo.timeline import as_it_happened
from app.extensions import db
from app.instagram import payloads
from app.models import Conversation, InstagramAccount, Message
from app.standin import customer_igsid

TOTE_POST = "17841000000000101"
SNEAKER_AD_POST = "17841000000000103"
DEMO_COMMENT_AD = ("120210000000000077", "Sneaker drop — 40 pairs")


@dataclass(frozen=True)
class DemoComment:
    hours_ago: int
    key: str  # its comment id derives from it
    username: str | None  # None: the shop's own
    text: str
    media_id: str
    parent: str | None = None  # key of the comment it answers
    on_ad: bool = False


COMMENTS = (
    DemoComment(30, "c1", "noor.home", "PRICE 😍", TOTE_POST),
    DemoComment(29, "c2", None, "Hi Noor! Sent you the details by DM 💌", TOTE_POST, parent="c1"),
    DemoComment(26, "c3", "lena.bakes", "I have this one and love it — PRICE for the green?", TOTE_POST),
    DemoComment(3, "c4", "kai.runs", "INFO please, size 42", SNEAKER_AD_POST, on_ad=True),
    DemoComment(2, "c5", "kai.runs", "Also: do they run small?", SNEAKER_AD_POST, on_ad=True),
)


def comment_id(key: str) -> str:
    """Digits, as Meta's comment ids are, fixed per demo comment."""
    return "1790000000000" + str(sum(ord(ch) * 31 ** n for n, ch in enumerate(key)) % 10**5).zfill(5)


def comment_deliveries(account: InstagramAccount) -> list[tuple[int, DemoComment, dict]]:
    """(when in ms, the comment, its webhook body) for each demo comment, as Meta delivers them."""
    anchor_s = int(account.created_at.timestamp() // 60 * 60)  # whole minutes: stable across runs
    found = []
    for item in COMMENTS:
        commenter = account.ig_user_id if item.username is None else customer_igsid(item.username)
        ad_id, ad_title = DEMO_COMMENT_AD if item.on_ad else (None, None)
        change = payloads.comment(account.ig_user_id, commenter, comment_id(item.key), item.text, item.media_id,
                                  username=item.username or account.username,
                                  parent_id=comment_id(item.parent) if item.parent else None,
                                  ad_id=ad_id, ad_title=ad_title)
        at_s = anchor_s - item.hours_ago * 3600
        found.append((at_s * 1000, item, payloads.delivery(payloads.change_entry(account.ig_user_id, [change],
                                                                                 time_s=at_s))))
    return found


def deliver_comment(app: Flask, account: InstagramAccount, item: DemoComment, body: dict) -> str | None:
    """Deliver one demo comment not delivered before (app.demo.seed plays them in time order with
    the stories); returns a problem, if any. Its conversation takes the comment's times."""
    problem = deliver_webhook(body, app).problem(f"comment {item.key}")
    if problem:
        return problem
    conversation = db.session.scalar(select(Conversation).join(Message, Message.conversation_id == Conversation.id)
                                     .where(Message.account_id == account.id, Message.mid == comment_id(item.key)))
    if conversation is not None:
        as_it_happened(conversation)
    return None
