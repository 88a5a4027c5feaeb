"""`flask demo` shows labels: vip, wholesale, hot-lead and follow-up on several conversations, and a
keyword rule that adds wholesale; a second run changes nothing and keeps what staff changed since."""
from __future__ import annotations

from sqlalchemy import func, select

from app.demo.labels import LABELS, TAGGED
from app.extensions import db
from app.models import AuditEntry, AutomationRule, Contact, Conversation, ConversationLabel, Label
from app.standin import customer_igsid
from tests.demo.test_demo_seed import run_demo


def _labels_by_customer() -> dict[str, list[str]]:
    db.session.expire_all()
    rows = db.session.execute(
        select(Contact.igsid, Label.name).join(Conversation, Conversation.contact_id == Contact.id)
        .join(ConversationLabel, ConversationLabel.conversation_id == Conversation.id)
        .join(Label, Label.id == ConversationLabel.label_id).order_by(Label.name))
    found: dict[str, list[str]] = {}
    for igsid, name in rows:
        found.setdefault(igsid, []).append(name)
    return found


def test_the_demo_has_labels_on_conversations_and_a_rule_that_adds_one(runner):
    run_demo(runner)
    assert {label.name for label in db.session.scalars(select(Label))} == {name for name, _ in LABELS}
    expected = {customer_igsid(username): sorted(names) for username, names in TAGGED.items()}
    assert _labels_by_customer() == expected
    rule = db.session.scalar(select(AutomationRule).where(AutomationRule.pattern == "wholesale"))
    assert rule.kind == "keyword" and rule.enabled
    assert db.session.get(Label, rule.add_label_id).name == "wholesale"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "label.created")) == 4


def test_running_it_again_changes_nothing_and_keeps_staff_changes(runner):
    run_demo(runner)
    vip = db.session.scalar(select(Label).where(Label.name == "vip"))
    lena = db.session.scalar(select(Conversation.id).join(Contact, Contact.id == Conversation.contact_id)
                             .where(Contact.igsid == customer_igsid("lena.bakes"), Conversation.kind == "dm"))
    db.session.delete(db.session.get(ConversationLabel, (lena, vip.id)))  # someone took it off
    db.session.commit()
    before = _labels_by_customer()
    run_demo(runner)
    assert _labels_by_customer() == before
    assert db.session.scalar(select(func.count()).select_from(Label)) == len(LABELS)
    assert db.session.scalar(select(func.count()).select_from(AutomationRule).where(AutomationRule.kind == "keyword")) == 1
