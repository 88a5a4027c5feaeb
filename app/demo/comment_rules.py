"""The demo's comment automation: a rule that answers "PRICE" under any post with a private
reply and one of two public replies (app.automation.comments), the ManyChat-style campaign a
salesperson tries first. Added after the stories are played, so it answers only what is simulated
later (the simulator's comments), never the seeded history; made once, whatever `flask demo`
is run again."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import AutomationRule, Workspace

PATTERN = "price"
PRIVATE_REPLY = "Hi {first_name}! Thanks for asking 💛 The tote is 40 € with free shipping — want me to reserve one?"
PUBLIC_REPLIES = ["Sent you a DM, {first_name}! 💌", "Check your DMs 😊"]


def seed_comment_rule(workspace: Workspace) -> AutomationRule:
    rule = db.session.scalar(select(AutomationRule).where(AutomationRule.workspace_id == workspace.id,
                                                          AutomationRule.kind == "comment",
                                                          AutomationRule.pattern == PATTERN))
    if rule is None:
        last = db.session.scalar(select(func.max(AutomationRule.position))
                                 .where(AutomationRule.workspace_id == workspace.id))
        rule = AutomationRule(workspace_id=workspace.id, kind="comment", match_type="contains", pattern=PATTERN,
                              reply_text=PRIVATE_REPLY, public_replies=PUBLIC_REPLIES, position=(last or 0) + 1)
        db.session.add(rule)
        db.session.commit()
    return rule
