"""Deliveries of first messages from new customers, and a team whose availability is set."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.instagram import payloads as p
from app.models import Conversation, Contact, utcnow
from tests.webhooks.helpers import T0, post

_customer = iter(range(10_000, 99_999))


def new_customer_body(account, n: int | None = None, text: str = "hi") -> tuple[dict, str]:
    """A delivery of one first message from a customer never seen before; returns it and the igsid."""
    igsid = f"65432100{next(_customer):08d}"
    A = account.ig_user_id
    body = p.delivery(p.entry(A, [p.text_message(A, igsid, f"m.{igsid}.{n or 0}", text, T0 + (n or 0))]))
    return body, igsid


def deliver_new_customer(client, account, text: str = "hi") -> Conversation:
    body, igsid = new_customer_body(account, text=text)
    assert post(client, body).status_code == 200
    db.session.expire_all()
    return db.session.scalar(select(Conversation).join(Contact, Contact.id == Conversation.contact_id)
                             .where(Contact.igsid == igsid))


def present(*users, minutes_ago: int = 0) -> None:
    """Mark people available and seen `minutes_ago`."""
    for user in users:
        user.availability = "available"
        user.last_seen_at = utcnow() - timedelta(minutes=minutes_ago)
    db.session.commit()


def team(factory, account, n: int, role: str = "agent"):
    people = [factory.user(account.workspace, role=role) for _ in range(n)]
    present(*people)
    return people
