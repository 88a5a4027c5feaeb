"""Comment rules in Settings → Automation (admins only): the form's posts, public reply variants
and RE2 pattern checks, and the rule editor's preview against a sample comment."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AutomationRule
from tests.comments.helpers import comments_thread


def comment_form(**overrides) -> dict:
    form = {"kind": "comment", "match_type": "contains", "pattern": "price", "reply_text": "Hi {first_name}! 40 €",
            "public_replies": "Sent you a DM!\r\nCheck your DMs, {first_name}", "enabled": "on"}
    form.update(overrides)
    return form


def test_admin_adds_a_comment_rule_for_chosen_posts_and_previews_it(auth, factory):
    thread = comments_thread(factory)
    admin = factory.user(thread.workspace, role="admin")
    auth.login(admin)
    page = auth.client.get("/settings/automation/rules/new?kind=comment").get_data(as_text=True)
    assert "Summer collection" in page and 'name="public_replies"' in page

    response = auth.post("/settings/automation/rules/new", {**comment_form(), "media_ids": str(thread.media.id)})
    assert response.status_code == 302, response.get_data(as_text=True)
    rule = db.session.scalar(select(AutomationRule))
    assert (rule.kind, rule.media_ids, rule.public_replies) == (
        "comment", [thread.media.id], ["Sent you a DM!", "Check your DMs, {first_name}"])
    assert "A comment on one of 1 chosen posts" in auth.client.get("/settings/automation").get_data(as_text=True)

    shown = auth.client.get(f"/settings/automation/rules/{rule.id}/preview-comment?text=What+PRICE%3F&username=ana.bell",
                            headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "This rule answers." in shown and "Hi Ana! 40 €" in shown and "Check your DMs, Ana" in shown
    missed = auth.client.get(f"/settings/automation/rules/{rule.id}/preview-comment?text=nice").get_data(as_text=True)
    assert "No answer." in missed


def test_comment_rule_refusals_name_the_field(auth, factory):
    thread = comments_thread(factory)
    other = comments_thread(factory, mid="c-x")  # another workspace's post
    auth.login(factory.user(thread.workspace, role="admin"))
    for form, field_text in (
        (comment_form(pattern="(a)\\1", match_type="regex"), "back-reference"),
        ({**comment_form(), "media_ids": str(other.media.id)}, "Choose posts"),
        (comment_form(public_replies="\n".join(f"v{n}" for n in range(6))), "at most 5"),
        (comment_form(reply_text=""), "private reply"),
    ):
        response = auth.post("/settings/automation/rules/new", form)
        assert response.status_code == 400, form
        assert field_text.lower() in response.get_data(as_text=True).lower(), field_text
    assert db.session.scalar(select(AutomationRule)) is None


def test_agents_cannot_add_or_preview_comment_rules(auth, factory):
    thread = comments_thread(factory)
    rule = AutomationRule(workspace_id=thread.workspace.id, kind="comment", match_type="contains", pattern="x",
                          reply_text="hi", position=1)
    db.session.add(rule)
    db.session.commit()
    auth.login(thread.user)  # an agent
    assert auth.post("/settings/automation/rules/new", comment_form()).status_code == 403
    assert auth.client.get(f"/settings/automation/rules/{rule.id}/preview-comment?text=x").status_code == 403
