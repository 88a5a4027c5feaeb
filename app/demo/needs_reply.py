"""The demo's side of the agent's day: who has read what, and a customer only the automation answered.

- Each demo person has their own unread (app.inbox.unread). Conversations the stories mark
  `staff_read` were read by both; besides, the admin has opened marco_fit's and maya.ceramics's,
  and Sam his own jonas.outdoors's, so their badges and Unread lists differ.
- ella.rose got an automated away message and nothing else (the story's "bot" step): she still
  needs a person's reply, and her row says "Bot:". marco_fit, jonas.outdoors, maya.ceramics and
  others end on the customer's word, waiting for hours.

A "bot" step is what Meta sends after our automation replied: the echo of that reply. The reply
itself is put in the thread first, as the automation queues it (pending, source automation), so
ingestion matches the echo to it exactly as it does for a real send; no Graph call is made."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from app.extensions import db
from app.models import Contact, Conversation, InstagramAccount, User
from app.outbound import lifecycle
from app.standin import customer_igsid

READ_BY = {"admin": ("marco_fit", "maya.ceramics"), "agent": ("jonas.outdoors",)}


def readers(username: str, staff_read: bool, admin: User, agent: User) -> list[User]:
    """Who has read this customer's conversation."""
    if staff_read:
        return [admin, agent]
    return [user for role, user in (("admin", admin), ("agent", agent)) if username in READ_BY[role]]


def queue_automated_reply(account: InstagramAccount, username: str, text: str, body: dict) -> None:
    """The automation's reply whose echo `body` is about to be delivered (a story's "bot" step)."""
    conversation = db.session.scalar(
        select(Conversation).join(Contact, Contact.id == Conversation.contact_id)
        .where(Conversation.account_id == account.id, Contact.igsid == customer_igsid(username),
               Conversation.kind == "dm"))
    if conversation is None:
        return
    at = datetime.fromtimestamp(body["entry"][0]["messaging"][0]["timestamp"] / 1000, tz=timezone.utc)
    db.session.add(lifecycle.new_pending_reply(account_id=account.id, conversation_id=conversation.id, text=text,
                                               attachments=[], source="automation", created_at=at, received_at=at))
    db.session.commit()
