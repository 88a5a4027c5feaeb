"""A comments thread made directly (no webhook): a post, a customer's comments conversation and
their comment, for the action tests."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.extensions import db
from app.models import InstagramAccount, InstagramMedia, Message, User, Workspace, utcnow

POST_ID = "17900000000000001"
PERMALINK = "https://www.instagram.com/p/ABC123/"


@dataclass
class Thread:
    workspace: Workspace
    user: User
    account: InstagramAccount
    media: InstagramMedia
    conversation: object
    comment: Message


def comments_thread(factory, *, account=None, age: timedelta = timedelta(hours=1), product_type: str = "FEED",
                    igsid: str = "5550001", text: str = "PRICE please", mid: str = "c1") -> Thread:
    account = account or factory.account(username="shop")
    workspace = account.workspace
    user = factory.user(workspace, name="Ana Agent", role="agent")
    media = InstagramMedia(workspace_id=account.workspace_id, account_id=account.id, ig_media_id=POST_ID,
                           product_type=product_type, caption="Summer collection — comment PRICE",
                           permalink=PERMALINK)
    db.session.add(media)
    db.session.commit()
    contact = factory.contact(account, igsid=igsid, username="ana.b")
    commented_at: datetime = utcnow() - age
    conversation = factory.conversation(account, contact=contact, kind="comments", media_id=media.id,
                                        last_inbound_at=commented_at, waiting_since=commented_at,
                                        last_message_at=commented_at)
    comment = factory.message(conversation, text=text, kind="comment", mid=mid, created_at=commented_at)
    return Thread(workspace, user, account, media, conversation, comment)


def add_comment(factory, thread: Thread, mid: str, text: str = "another", **fields) -> Message:
    return factory.message(thread.conversation, text=text, kind="comment", mid=mid, **fields)
