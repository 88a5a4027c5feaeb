"""`flask demo` shows drafts: Sam's half-typed reply to @jonas.outdoors and the admin's to
@marco_fit, each its author's only; a second run changes nothing, and a draft someone has since
sent does not come back."""
from __future__ import annotations

from sqlalchemy import select

from app.demo.drafts import DRAFTS
from app.extensions import db
from app.models import Contact, Conversation, Draft, Message, User, utcnow
from app.standin import customer_igsid
from tests.demo.test_demo_seed import run_demo


def _drafts() -> dict[tuple[str, str], str]:
    db.session.expire_all()
    rows = db.session.execute(
        select(User.role, Contact.igsid, Draft.text).join(User, User.id == Draft.user_id)
        .join(Conversation, Conversation.id == Draft.conversation_id).join(Contact, Contact.id == Conversation.contact_id))
    return {(role, igsid): text for role, igsid, text in rows}


def test_the_demo_has_a_draft_for_each_person(runner):
    run_demo(runner)
    assert _drafts() == {(who, customer_igsid(username)): text for username, (who, text) in DRAFTS.items()}


def test_running_it_again_changes_nothing_nor_brings_back_a_sent_draft(runner):
    run_demo(runner)
    before = _drafts()
    run_demo(runner)
    assert _drafts() == before

    # Sam sends his reply to Jonas: the draft goes, and another run does not bring it back.
    sam = db.session.scalar(select(User).where(User.role == "agent", User.email == "sam@example.com"))
    jonas = db.session.scalar(select(Conversation).join(Contact, Contact.id == Conversation.contact_id)
                              .where(Contact.igsid == customer_igsid("jonas.outdoors")))
    db.session.delete(db.session.get(Draft, (sam.id, jonas.id)))
    db.session.add(Message(account_id=jonas.account_id, conversation_id=jonas.id, direction="out", text="Hi Jonas!",
                           status="sent", source="inbox", sent_by_id=sam.id, mid="mid.sam.sent", created_at=utcnow()))
    db.session.commit()
    run_demo(runner)
    assert ("agent", customer_igsid("jonas.outdoors")) not in _drafts()
