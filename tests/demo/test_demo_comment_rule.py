"""`flask demo` has a comment rule (app.demo.comment_rules): "price" under any post gets a private
reply and one of two public replies; a second run adds no second rule."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AutomationRule
from tests.demo.test_demo_seed import run_demo


def test_the_demo_has_one_comment_rule(runner):
    run_demo(runner)
    run_demo(runner)
    [rule] = db.session.scalars(select(AutomationRule).where(AutomationRule.kind == "comment")).all()
    assert (rule.match_type, rule.pattern, rule.enabled, rule.media_ids) == ("contains", "price", True, None)
    assert "{first_name}" in rule.reply_text and len(rule.public_replies) == 2
