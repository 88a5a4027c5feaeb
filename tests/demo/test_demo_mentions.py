"""`flask demo` shows a mention: the admin's note in Jonas's conversation names Sam, Sam is
notified and finds the conversation under Mentions; a second run adds nothing."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from app.extensions import db
from app.demo.seed import DEMO_PASSWORD
from app.models import Contact, Conversation, Note, NoteMention, Notification, User
from app.standin import customer_igsid
from tests.demo.test_demo_seed import run_demo


def _counts() -> tuple[int, int, int]:
    db.session.expire_all()
    return (db.session.scalar(select(func.count()).select_from(Note)),
            db.session.scalar(select(func.count()).select_from(NoteMention)),
            db.session.scalar(select(func.count()).select_from(Notification).where(Notification.type == "mention")))


def test_the_demo_admin_mentions_sam_in_a_note(runner, auth):
    run_demo(runner)
    sam = db.session.scalar(select(User).where(User.email == "sam@example.com"))
    jonas = db.session.scalar(select(Conversation).join(Contact, Contact.id == Conversation.contact_id)
                              .where(Contact.igsid == customer_igsid("jonas.outdoors")))
    [note] = db.session.scalars(select(Note).where(Note.conversation_id == jonas.id))
    assert note.body.startswith("@Sam Rivera ") and [p.id for p in note.mentioned] == [sam.id]
    [told] = db.session.scalars(select(Notification).where(Notification.type == "mention"))
    assert (told.user_id, told.conversation_id, told.read_at) == (sam.id, jonas.id, None)
    auth.login(sam, password=DEMO_PASSWORD)
    listed = auth.client.get("/?mentions=me").get_data(as_text=True)
    assert re.findall(r'<li id="conv-(\d+)" class="convlist__item"', listed) == [str(jonas.id)]

    before = _counts()
    run_demo(runner)
    assert _counts() == before == (1, 1, 1)
