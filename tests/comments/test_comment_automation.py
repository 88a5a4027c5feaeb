"""Comment automation (app.automation.comments): a matching comment gets the rule's private reply
(variables filled in) and one of its public replies; each person once per post, also when two of
their comments are handled at the same moment (threads; meaningful on PostgreSQL); every decision
logged with its reason; DM rules and comment rules never answer each other's messages."""
from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import responses
from sqlalchemy import select

from app.automation import comments as comment_automation
from app.extensions import db
from app.models import AutomationLog, AutomationRule, CommentAutomationClaim, Message
from tests.comments.conftest import comment
from tests.comments.helpers import add_comment, comments_thread
from tests.meta_kit import graph_url, sent_ok
from tests.outbound.test_outbound_concurrency import run_together


def comment_rule(workspace, *, pattern="price", public=("Sent you a DM!",), media_ids=None, **fields) -> AutomationRule:
    rule = AutomationRule(workspace_id=workspace.id, kind="comment", match_type="contains", pattern=pattern,
                          reply_text="Hi {first_name}! It is 40 € — @{account}", public_replies=list(public),
                          media_ids=media_ids, position=1, **fields)
    db.session.add(rule)
    db.session.commit()
    return rule


def _sends(meta):
    return [json.loads(c.request.body) for c in meta.calls if c.request.url.endswith("/messages")]


def _replies(meta):
    return [c.request.body for c in meta.calls if "/replies" in c.request.url]


def _logs():
    return [(entry.outcome, entry.reason) for entry in db.session.scalars(select(AutomationLog).order_by(AutomationLog.id))]


@pytest.fixture
def thread(factory, meta):
    thread = comments_thread(factory, age=timedelta(minutes=2))
    thread.account.name = "Shop"
    thread.conversation.contact.name = "Ana Bell"
    db.session.commit()
    meta.add(responses.POST, graph_url(thread.account.ig_user_id, "messages"), **sent_ok("mid.auto"))
    meta.add(responses.POST, graph_url("c1", "replies"), json={"id": "c-auto-1"})
    return thread


def test_a_matching_comment_gets_the_private_and_a_public_reply_and_the_log_says_why(thread, meta):
    rule = comment_rule(thread.workspace)
    entry = comment_automation.respond_to_comment(thread.comment.id)
    assert entry.outcome == "sent" and entry.kind == "comment" and entry.rule_id == rule.id
    assert "contains “price”" in entry.reason and "Public reply queued." in entry.reason
    assert _sends(meta) == [{"recipient": {"comment_id": "c1"}, "message": {"text": "Hi Ana! It is 40 € — @Shop"}}]
    assert _replies(meta) == ["message=Sent+you+a+DM%21"]
    reply = db.session.get(Message, entry.reply_message_id)
    assert (reply.source, reply.status) == ("automation", "sent")
    # Run again (a retry, a second worker): nothing more.
    assert comment_automation.respond_to_comment(thread.comment.id) is None
    assert len(_sends(meta)) == 1


def test_each_person_is_answered_once_per_post(thread, factory, meta):
    comment_rule(thread.workspace, public=())
    second = add_comment(factory, thread, "c2", "price??")
    comment_automation.respond_to_comment(thread.comment.id)
    entry = comment_automation.respond_to_comment(second.id)
    assert (entry.outcome, entry.reason) == ("skipped", comment_automation.ONCE_PER_POST)
    assert len(_sends(meta)) == 1


def test_no_match_other_posts_and_dm_rules_are_logged_or_passed_over(thread, factory, meta):
    assert comment_automation.respond_to_comment(thread.comment.id) is None  # no comment rule: nothing logged
    db.session.add(AutomationRule(workspace_id=thread.workspace.id, kind="keyword", match_type="contains",
                                  pattern="price", reply_text="DM rule", position=0))
    db.session.commit()
    assert comment_automation.respond_to_comment(thread.comment.id) is None  # a DM rule never answers a comment
    comment_rule(thread.workspace, pattern="shipping")
    entry = comment_automation.respond_to_comment(thread.comment.id)
    assert (entry.outcome, entry.reason) == ("skipped", "No comment rule applied to this comment.")

    other = comments_thread(factory, mid="c-other", age=timedelta(minutes=2))
    comment_rule(other.workspace, media_ids=[other.media.id + 1000])
    entry = comment_automation.respond_to_comment(other.comment.id)
    assert entry.outcome == "skipped"
    assert not _sends(meta)


def test_a_person_already_answered_privately_is_not_answered_again_and_the_claim_is_released(thread, factory, meta):
    from app.comments import actions

    comment_rule(thread.workspace)
    actions.reply_privately(thread.comment, "A person was quicker")
    entry = comment_automation.respond_to_comment(thread.comment.id)
    assert entry.outcome == "skipped" and "already has its private reply" in entry.reason
    assert db.session.scalar(select(CommentAutomationClaim)) is None  # their next comment may be answered


def test_the_account_pace_defers_without_claiming(thread, monkeypatch, meta):
    comment_rule(thread.workspace)
    monkeypatch.setattr(comment_automation, "COMMENT_REPLIES_PER_MINUTE", 0)
    with pytest.raises(comment_automation.PaceExceeded):
        comment_automation.respond_to_comment(thread.comment.id)
    assert _logs() == [] and not meta.calls
    entry = comment_automation.respond_to_comment(thread.comment.id, give_up_at_pace=True)
    assert entry.outcome == "skipped" and "pace" in entry.reason


def test_concurrent_comments_of_one_person_get_one_answer(app, thread, factory, meta):
    comment_rule(thread.workspace, public=())
    for round_ in range(4):
        firsts = [add_comment(factory, thread, f"r{round_}-{n}", "price").id for n in range(2)]
        if round_:
            db.session.execute(CommentAutomationClaim.__table__.delete())
            db.session.commit()
        results = run_together(app, *(lambda i=i: comment_automation.respond_to_comment(i).outcome for i in firsts))
        assert sorted(results) == ["sent", "skipped"], results
    assert len(_sends(meta)) == 4


def test_preview_shows_the_match_and_the_texts(thread):
    rule = comment_rule(thread.workspace, public=("Check your DMs, {first_name}!",), enabled=False)
    values = comment_automation.variable_values(thread.conversation)
    shown = comment_automation.preview(rule, "What's the PRICE?", values)
    assert shown["matches"] and shown["private_reply"] == "Hi Ana! It is 40 € — @Shop"
    assert shown["public_replies"] == ["Check your DMs, Ana!"]
    assert not comment_automation.preview(rule, "nice pic", values)["matches"]


def test_a_delivered_comment_runs_comment_automation(deliver, account, graph, meta):
    from app.models import InstagramMedia

    comment_rule(account.workspace, public=())
    meta.add(responses.POST, graph_url(account.ig_user_id, "messages"), **sent_ok("mid.auto"))
    deliver(comment(account, "c7", "PRICE please", username="ana.b"), time_s=int(time.time()))
    entry = db.session.scalar(select(AutomationLog))
    assert entry.outcome == "sent", entry.reason
    assert _sends(meta)[0]["recipient"] == {"comment_id": "c7"}
    assert db.session.scalar(select(InstagramMedia)) is not None
