"""The demo shop's labels: `vip`, `wholesale`, `hot-lead` and `follow-up`, created by the admin and
put on the conversations a team would have tagged, and a keyword rule that answers wholesale
questions and adds `wholesale`. Written through the same functions as the pages (with their audit
entries). Labels go on conversations only in the run that creates them, and the rule is added
only when no rule looks for "wholesale" yet, so running the demo again changes nothing, nor undoes
what someone has since done in the inbox."""
from __future__ import annotations

from sqlalchemy import select

from app import audit
from app.automation.rulebook import create_rule
from app.extensions import db
from app.labels.catalog import create_label, find_label
from app.labels.palette import BY_KEY
from app.labels.tagging import add_label
from app.models import AutomationRule, Contact, Conversation, User, Workspace
from app.standin import customer_igsid

LABELS = (("vip", "purple"), ("wholesale", "teal"), ("hot-lead", "red"), ("follow-up", "amber"))
# Customer (app.demo.seed.STORIES) -> the labels the team gave their conversation.
TAGGED = {
    "lena.bakes": ("vip",),
    "noor.home": ("vip",),
    "priya.m": ("wholesale", "follow-up"),
    "marco_fit": ("hot-lead",),
    "jonas.outdoors": ("hot-lead", "follow-up"),
    "amira.styles": ("follow-up",),
}
WHOLESALE_REPLY = ("Hi! Yes, we sell wholesale to shops: from 20 pieces per design, at 40% off the shop price. "
                   "Tell us which pieces and how many, and we'll send you a quote today.")


def seed_labels(workspace: Workspace, admin: User, agent: User) -> None:
    new = {}
    for name, colour in LABELS:
        if find_label(workspace.id, name) is None:
            new[name] = create_label(workspace.id, name, by=admin, colour=BY_KEY[colour])
    for username, names in TAGGED.items():
        conversation = db.session.scalar(
            select(Conversation).join(Contact, Contact.id == Conversation.contact_id)
            .where(Conversation.workspace_id == workspace.id, Contact.igsid == customer_igsid(username),
                   Conversation.kind == "dm"))
        if conversation is None:
            continue
        for name in names:
            if name in new:
                add_label(conversation, new[name], by=agent if username == "jonas.outdoors" else admin)
    _wholesale_rule(workspace, admin)


def _wholesale_rule(workspace: Workspace, admin: User) -> None:
    wholesale = find_label(workspace.id, "wholesale")
    exists = db.session.scalar(select(AutomationRule.id).where(AutomationRule.workspace_id == workspace.id,
                                                               AutomationRule.pattern == "wholesale"))
    if wholesale is None or exists is not None:
        return
    rule = create_rule(workspace.id, {"kind": "keyword", "match_type": "contains", "pattern": "wholesale",
                                      "reply_text": WHOLESALE_REPLY, "add_label_id": str(wholesale.id),
                                      "set_lead_status": "qualified", "enabled": "on"})
    audit.record("automation.rule_created", "Added a keyword rule", actor=admin, rule_id=rule.id)
    db.session.commit()
