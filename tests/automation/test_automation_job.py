"""The automation job end to end: each rule type answering through the staff send path (Graph
mocked at http://graph.test), ordering, the once-per-N-hours limit, every "never" of the safety
list, idempotency, and the AI auto-answer behind its switch."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from app.automation.jobs import run_automation_for_message
from app.automation.respond import respond_to_message
from app.extensions import db
from app.models import (
    AutomationLog,
    AutomationRule,
    AutomationSettings,
    Conversation,
    InstagramAccount,
    Lead,
    Message,
    User,
    Workspace,
    utcnow,
)
from tests.meta_kit import GRAPH_URL, graph_url, sent_ok

LLM_ENDPOINT = "http://llm.test/v1/chat/completions"
LLM_KEY = "sk-auto-SECRET-key"
ALWAYS_OPEN = {str(day): [["00:00", "24:00"]] for day in range(7)}
ALWAYS_CLOSED: dict = {}


@dataclass
class World:
    workspace: Workspace
    admin: User
    account: InstagramAccount
    conversation: Conversation

    @property
    def messages_url(self) -> str:
        return graph_url(self.account.ig_user_id, "messages")


@pytest.fixture
def world(factory):
    workspace = factory.workspace()
    admin = factory.user(workspace)
    account = factory.account(workspace)
    conversation = factory.conversation(account, last_inbound_at=utcnow())
    factory.lead(conversation)
    return World(workspace, admin, account, conversation)


@pytest.fixture
def meta_ok(meta, world):
    """The suite's `meta`, where the conversation's sends succeed."""
    meta.post(world.messages_url, **sent_ok("mid.reply"))
    return meta


def graph_sends(meta) -> list[dict]:
    return [json.loads(c.request.body) for c in meta.calls if c.request.url.startswith(GRAPH_URL)]


def configure(world, *, hours=ALWAYS_OPEN, timezone="UTC", pause_minutes=30, away_every_hours=12,
              ai_auto_reply=False, knowledge=None):
    db.session.merge(AutomationSettings(workspace_id=world.workspace.id, timezone=timezone, business_hours=hours,
                                        pause_minutes=pause_minutes, away_every_hours=away_every_hours,
                                        ai_auto_reply=ai_auto_reply, knowledge=knowledge))
    db.session.commit()


def add_rule(world, kind, reply, **fields):
    if kind == "keyword":
        fields.setdefault("match_type", "contains")
    position = db.session.scalar(select(func.count()).select_from(AutomationRule)) + 1
    rule = AutomationRule(workspace_id=world.workspace.id, kind=kind, reply_text=reply, position=position,
                          enabled=fields.pop("enabled", True), **fields)
    db.session.add(rule)
    db.session.commit()
    return rule


def inbound(factory, world, text="Hello", minutes_ago=0, **fields):
    at = utcnow() - timedelta(minutes=minutes_ago)
    message = factory.message(world.conversation, text=text, direction="in", created_at=at, **fields)
    world.conversation.last_inbound_at = max(world.conversation.last_inbound_at or at, at)
    db.session.commit()
    return message


def automated_replies(world) -> list[Message]:
    db.session.expire_all()
    return list(db.session.scalars(select(Message).where(Message.conversation_id == world.conversation.id,
                                                         Message.source == "automation").order_by(Message.id)))


def log_for(message) -> AutomationLog | None:
    db.session.expire_all()
    return db.session.scalar(select(AutomationLog).where(AutomationLog.message_id == message.id))


# -- Each rule type ----------------------------------------------------------------------------

def test_greeting_answers_the_first_message_through_the_staff_send_path(app, world, factory, meta_ok):
    configure(world)
    add_rule(world, "greeting", "Welcome! How can we help?")
    first = inbound(factory, world, "hi")

    run_automation_for_message(first.id)

    (reply,) = automated_replies(world)
    assert (reply.text, reply.direction, reply.status, reply.mid) == ("Welcome! How can we help?", "out", "sent", "mid.reply")
    assert reply.sent_by_id is None and reply.human_agent is False
    # Exactly what staff replies send: no message tag, never HUMAN_AGENT.
    assert graph_sends(meta_ok) == [{"recipient": {"id": world.conversation.contact.igsid},
                                     "message": {"text": "Welcome! How can we help?"}}]
    entry = log_for(first)
    assert (entry.outcome, entry.kind, entry.reply_message_id) == ("sent", "greeting", reply.id)

    second = inbound(factory, world, "are you there?")
    run_automation_for_message(second.id)
    assert len(automated_replies(world)) == 1
    assert log_for(second).outcome == "skipped"


def test_a_greeting_is_sent_once_per_conversation_even_out_of_order(app, world, factory, meta_ok):
    configure(world)
    add_rule(world, "greeting", "Welcome!")
    later = inbound(factory, world, "second", minutes_ago=1)
    earlier = inbound(factory, world, "first", minutes_ago=2)  # arrived late, was written first
    run_automation_for_message(later.id)  # looked first when processed first
    run_automation_for_message(earlier.id)
    assert [r.text for r in automated_replies(world)] == ["Welcome!"]


def test_away_outside_business_hours_once_per_n_hours(app, world, factory, meta_ok):
    configure(world, hours=ALWAYS_CLOSED, away_every_hours=4)
    add_rule(world, "away", "We're closed; back tomorrow at 9.")
    first = inbound(factory, world, "hello?")
    run_automation_for_message(first.id)
    assert [r.text for r in automated_replies(world)] == ["We're closed; back tomorrow at 9."]

    again = inbound(factory, world, "hello??")
    run_automation_for_message(again.id)
    assert len(automated_replies(world)) == 1
    assert log_for(again).outcome == "skipped"

    # Four hours after the away reply it may go out again.
    log_for(first).created_at = utcnow() - timedelta(hours=4, minutes=1)
    db.session.commit()
    third = inbound(factory, world, "anyone?")
    run_automation_for_message(third.id)
    assert len(automated_replies(world)) == 2 and log_for(third).kind == "away"


def test_away_stays_quiet_inside_business_hours(app, world, factory, meta_ok):
    configure(world, hours=ALWAYS_OPEN)
    add_rule(world, "away", "Closed")
    message = inbound(factory, world)
    run_automation_for_message(message.id)
    assert automated_replies(world) == [] and not graph_sends(meta_ok)
    assert log_for(message).reason == "No rule applied to this message."


def test_away_in_berlin_business_hours(app, world, factory, meta_ok):
    # Open every day 00:00-24:00 in Berlin except for the current local hour: always "closed now".
    from datetime import datetime
    from zoneinfo import ZoneInfo

    local_hour = datetime.now(ZoneInfo("Europe/Berlin")).hour
    hours = {str(day): [[f"{h:02d}:00", f"{h + 1:02d}:00"] for h in range(24) if h != local_hour] for day in range(7)}
    configure(world, hours=hours, timezone="Europe/Berlin")
    add_rule(world, "away", "Closed right now")
    message = inbound(factory, world)
    run_automation_for_message(message.id)
    assert [r.text for r in automated_replies(world)] == ["Closed right now"]


def test_keyword_reply_with_its_actions(app, world, factory, meta_ok):
    configure(world)
    agent = factory.user(world.workspace, role="agent")
    add_rule(world, "keyword", "Our price list: ...", match_type="regex", pattern=r"\bprices?\b",
             set_lead_status="qualified", assign_to_id=agent.id, set_conversation_status="pending")
    message = inbound(factory, world, "What are your PRICES?")
    run_automation_for_message(message.id)

    assert [r.text for r in automated_replies(world)] == ["Our price list: ..."]
    conversation = db.session.get(Conversation, world.conversation.id)
    lead = db.session.scalar(select(Lead).where(Lead.conversation_id == conversation.id))
    assert (conversation.assignee_id, conversation.status, lead.status) == (agent.id, "pending", "qualified")
    entry = log_for(message)
    assert entry.kind == "keyword" and "Lead status set to qualified" in entry.reason


def test_a_failed_action_does_not_undo_the_reply(app, world, factory, meta_ok):
    configure(world)
    agent = factory.user(world.workspace, role="agent")
    add_rule(world, "keyword", "Sure", pattern="refund", assign_to_id=agent.id)
    agent.active = False
    db.session.commit()
    message = inbound(factory, world, "I want a refund")
    run_automation_for_message(message.id)
    assert len(automated_replies(world)) == 1
    entry = log_for(message)
    assert entry.outcome == "sent" and "Not assigned" in entry.reason


def test_story_mention_gets_a_thank_you(app, world, factory, meta_ok):
    configure(world)
    add_rule(world, "keyword", "Keyword reply", pattern="story")
    add_rule(world, "story_mention", "Thanks for the mention! 💛")
    mention = inbound(factory, world, None, kind="story_mention",
                      attachments=[{"type": "story_mention", "url": "https://cdn.example/story.jpg"}])
    run_automation_for_message(mention.id)
    assert [r.text for r in automated_replies(world)] == ["Thanks for the mention! 💛"]


def test_rules_answer_in_their_order(app, world, factory, meta_ok):
    configure(world, hours=ALWAYS_CLOSED)
    add_rule(world, "keyword", "Prices", pattern="price", enabled=False)
    add_rule(world, "away", "Closed")
    add_rule(world, "greeting", "Welcome")
    message = inbound(factory, world, "price?")
    run_automation_for_message(message.id)
    assert [r.text for r in automated_replies(world)] == ["Closed"]


def test_account_rules_answer_only_their_account(app, world, factory, meta_ok):
    configure(world)
    other_account = factory.account(world.workspace)
    add_rule(world, "keyword", "Other shop's answer", pattern="price", account_id=other_account.id)
    message = inbound(factory, world, "price")
    run_automation_for_message(message.id)
    assert automated_replies(world) == []


def test_another_workspaces_rules_never_answer(app, world, factory, meta_ok):
    other = factory.workspace()
    db.session.add(AutomationRule(workspace_id=other.id, kind="greeting", reply_text="Not yours", position=1, enabled=True))
    db.session.commit()
    message = inbound(factory, world, "hi")
    run_automation_for_message(message.id)
    assert automated_replies(world) == [] and not graph_sends(meta_ok)
    assert log_for(message) is None  # this workspace has nothing configured: nothing to log


# -- Safety: the "nevers" ----------------------------------------------------------------------

@pytest.mark.parametrize("fields", [
    {"direction": "out", "source": "app", "status": "sent"},  # an echo of a message typed in the Instagram app
    {"direction": "out", "source": "inbox", "status": "sent"},  # our own reply
    {"direction": "out", "source": "automation", "status": "sent"},  # our own automated reply: no loops
    {"direction": "in", "meta": {"standby": True}},  # another app owns the thread
    {"direction": "in", "kind": "referral", "text": None},  # ad/link context, not something written
    {"direction": "in", "is_deleted": True},  # unsent by the customer
])
def test_never_answers_what_is_not_a_customers_live_message(app, world, factory, meta_ok, fields):
    configure(world, hours=ALWAYS_CLOSED)
    add_rule(world, "greeting", "Welcome")
    add_rule(world, "away", "Closed")
    add_rule(world, "keyword", "Prices", pattern="hello")
    message = factory.message(world.conversation, **{"text": "hello", **fields})
    run_automation_for_message(message.id)
    assert [m.id for m in automated_replies(world) if m.id != message.id] == [] and not graph_sends(meta_ok)
    assert log_for(message) is None


def test_an_automated_reply_is_never_answered(app, world, factory, meta_ok):
    configure(world, hours=ALWAYS_CLOSED, away_every_hours=1)
    add_rule(world, "away", "Closed")
    message = inbound(factory, world)
    run_automation_for_message(message.id)
    (reply,) = automated_replies(world)
    run_automation_for_message(reply.id)  # even if something hands our own reply to the job
    assert len(automated_replies(world)) == 1 and len(graph_sends(meta_ok)) == 1


def test_a_reaction_on_a_handled_message_sends_nothing_more(app, world, factory, meta_ok):
    configure(world)
    add_rule(world, "greeting", "Welcome")
    message = inbound(factory, world)
    run_automation_for_message(message.id)
    message.reactions = [{"emoji": "❤️", "reaction": "love", "by": "customer"}]
    db.session.commit()
    run_automation_for_message(message.id)
    assert len(automated_replies(world)) == 1 and len(graph_sends(meta_ok)) == 1


def test_a_job_run_twice_sends_once(app, world, factory, meta_ok):
    configure(world)
    add_rule(world, "greeting", "Welcome")
    message = inbound(factory, world)
    run_automation_for_message(message.id)
    run_automation_for_message(message.id)
    assert len(automated_replies(world)) == 1 and len(graph_sends(meta_ok)) == 1
    assert db.session.scalar(select(func.count()).select_from(AutomationLog)) == 1


def test_a_message_claimed_by_another_worker_is_left_to_it(app, world, factory, meta_ok):
    configure(world)
    add_rule(world, "greeting", "Welcome")
    message = inbound(factory, world)
    db.session.add(AutomationLog(workspace_id=world.workspace.id, conversation_id=world.conversation.id,
                                 message_id=message.id, outcome="pending"))
    db.session.commit()
    assert respond_to_message(message.id) is None
    assert automated_replies(world) == [] and not graph_sends(meta_ok)


def test_never_answers_outside_the_24_hour_window_nor_with_the_human_agent_tag(app, world, factory, meta_ok):
    world.workspace.human_agent_enabled = True  # a person could still answer: automation may not
    configure(world, hours=ALWAYS_CLOSED)
    add_rule(world, "away", "Closed")
    message = inbound(factory, world, minutes_ago=30 * 60)
    world.conversation.last_inbound_at = message.created_at
    db.session.commit()
    run_automation_for_message(message.id)
    assert automated_replies(world) == [] and not graph_sends(meta_ok)
    entry = log_for(message)
    assert entry.outcome == "skipped" and "24 hours" in entry.reason


def test_a_message_answered_late_is_left_alone(app, world, factory, meta_ok):
    configure(world, hours=ALWAYS_CLOSED)
    add_rule(world, "away", "Closed")
    message = inbound(factory, world, minutes_ago=90)  # the job ran (or was replayed) 90 minutes late
    run_automation_for_message(message.id)
    assert automated_replies(world) == []
    assert "more than an hour old" in log_for(message).reason


@pytest.mark.parametrize("source", ["inbox", "api", "app"])
def test_a_human_reply_pauses_automation_in_that_conversation(app, world, factory, meta_ok, source):
    configure(world, hours=ALWAYS_CLOSED, pause_minutes=30)
    add_rule(world, "away", "Closed")
    factory.message(world.conversation, text="I'm on it", direction="out", source=source,
                    created_at=utcnow() - timedelta(minutes=10))
    message = inbound(factory, world)
    run_automation_for_message(message.id)
    assert automated_replies(world) == [] and not graph_sends(meta_ok)
    assert log_for(message).reason.startswith("Paused")


def test_the_pause_ends_and_automation_replies_do_not_pause(app, world, factory, meta_ok):
    configure(world, hours=ALWAYS_CLOSED, pause_minutes=30, away_every_hours=1)
    add_rule(world, "away", "Closed")
    factory.message(world.conversation, text="Earlier", direction="out", source="inbox",
                    created_at=utcnow() - timedelta(minutes=31))
    factory.message(world.conversation, text="Auto", direction="out", source="automation",
                    created_at=utcnow() - timedelta(minutes=1))
    message = inbound(factory, world)
    run_automation_for_message(message.id)
    assert [r.text for r in automated_replies(world)] == ["Auto", "Closed"]


def test_a_zero_pause_never_pauses(app, world, factory, meta_ok):
    configure(world, hours=ALWAYS_CLOSED, pause_minutes=0)
    add_rule(world, "away", "Closed")
    factory.message(world.conversation, text="Just now", direction="out", source="inbox")
    message = inbound(factory, world)
    run_automation_for_message(message.id)
    assert [r.text for r in automated_replies(world)] == ["Closed"]


def test_a_refused_send_is_logged_not_retried(app, world, factory, meta_ok):
    configure(world)
    add_rule(world, "greeting", "Welcome")
    world.account.status = "reauth_required"
    db.session.commit()
    message = inbound(factory, world)
    run_automation_for_message(message.id)
    assert automated_replies(world) == [] and not graph_sends(meta_ok)
    entry = log_for(message)
    assert (entry.outcome, entry.kind) == ("skipped", "greeting") and entry.reason.startswith("Not sent:")


def test_nothing_configured_means_nothing_logged(app, world, factory, meta_ok):
    message = inbound(factory, world)
    run_automation_for_message(message.id)
    assert log_for(message) is None and not graph_sends(meta_ok)


def test_a_missing_message_is_no_error(app):
    assert respond_to_message(987654) is None


# -- AI auto-answer ----------------------------------------------------------------------------

@pytest.fixture
def llm(app, meta_ok):
    app.config.update(LLM_API_URL="http://llm.test", LLM_API_KEY=LLM_KEY, LLM_MODEL="test-model")
    return meta_ok  # the same RequestsMock: Graph and the model are both mocked at the HTTP boundary


def model_calls(mock):
    return [c for c in mock.calls if c.request.url == LLM_ENDPOINT]


def test_ai_auto_answer_off_means_no_model_call(app, world, factory, llm):
    configure(world, ai_auto_reply=False)
    add_rule(world, "keyword", "Prices", pattern="price")
    message = inbound(factory, world, "do you ship to Lisbon?")
    run_automation_for_message(message.id)
    assert automated_replies(world) == [] and not model_calls(llm)
    assert log_for(message).reason == "No rule applied to this message."


def test_ai_auto_answer_on_answers_when_no_rule_does(app, world, factory, llm, caplog):
    caplog.set_level(logging.DEBUG)
    configure(world, ai_auto_reply=True, knowledge="We ship to Portugal in 3 days. KNOWLEDGE-MARKER")
    llm.post(LLM_ENDPOINT, json={"choices": [{"message": {"content": "Yes, we ship to Lisbon in 3 days!"}}]})
    message = inbound(factory, world, "do you ship to Lisbon?")
    run_automation_for_message(message.id)
    (reply,) = automated_replies(world)
    assert reply.text == "Yes, we ship to Lisbon in 3 days!" and reply.status == "sent"
    assert graph_sends(llm)[0]["message"] == {"text": "Yes, we ship to Lisbon in 3 days!"}
    entry = log_for(message)
    assert (entry.outcome, entry.kind) == ("sent", "ai")
    prompt = json.loads(model_calls(llm)[0].request.body)["messages"]
    assert "KNOWLEDGE-MARKER" in prompt[0]["content"] and prompt[-1] == {"role": "user", "content": "do you ship to Lisbon?"}
    assert LLM_KEY not in caplog.text and "KNOWLEDGE-MARKER" not in caplog.text and "Lisbon" not in caplog.text


def test_rules_come_before_the_ai(app, world, factory, llm):
    configure(world, ai_auto_reply=True)
    add_rule(world, "keyword", "Prices", pattern="price")
    message = inbound(factory, world, "price?")
    run_automation_for_message(message.id)
    assert [r.text for r in automated_replies(world)] == ["Prices"] and not model_calls(llm)


def test_ai_auto_answer_needs_the_model_configured(app, world, factory, meta_ok):
    configure(world, ai_auto_reply=True)
    message = inbound(factory, world)
    run_automation_for_message(message.id)
    assert automated_replies(world) == [] and log_for(message) is None


@pytest.mark.parametrize("response, reason", [
    ({"body": requests.exceptions.ReadTimeout()}, "did not answer in time"),
    ({"status": 500, "json": {"error": "down"}}, "HTTP 500"),
    ({"json": {"choices": [{"message": {"content": "  "}}]}}, "empty answer"),
])
def test_ai_failures_send_nothing_and_say_why(app, world, factory, llm, caplog, response, reason):
    configure(world, ai_auto_reply=True)
    llm.post(LLM_ENDPOINT, **response)
    message = inbound(factory, world, "question")
    run_automation_for_message(message.id)
    assert automated_replies(world) == [] and not graph_sends(llm)
    entry = log_for(message)
    assert (entry.outcome, entry.kind) == ("failed", "ai") and reason in entry.reason
    assert LLM_KEY not in caplog.text


def test_ai_never_answers_outside_the_window(app, world, factory, llm):
    world.workspace.human_agent_enabled = True
    configure(world, ai_auto_reply=True)
    message = inbound(factory, world, minutes_ago=25 * 60)
    world.conversation.last_inbound_at = message.created_at
    db.session.commit()
    run_automation_for_message(message.id)
    assert automated_replies(world) == [] and not model_calls(llm) and not graph_sends(llm)


# -- Housekeeping ------------------------------------------------------------------------------

def test_old_history_is_purged_and_recent_history_kept(app, world, factory):
    from app.automation.jobs import purge_automation_history
    from app.models import AiDraft

    old_message, new_message = inbound(factory, world, "old"), inbound(factory, world, "new")
    common = dict(workspace_id=world.workspace.id, conversation_id=world.conversation.id, outcome="skipped")
    db.session.add_all([
        AutomationLog(message_id=old_message.id, created_at=utcnow() - timedelta(days=91), **common),
        AutomationLog(message_id=new_message.id, created_at=utcnow() - timedelta(days=89), **common),
        AiDraft(conversation_id=world.conversation.id, status="ready", text="old", created_at=utcnow() - timedelta(days=2)),
        AiDraft(conversation_id=world.conversation.id, status="ready", text="new"),
    ])
    db.session.commit()
    purge_automation_history()
    db.session.expire_all()
    assert [e.message_id for e in db.session.scalars(select(AutomationLog))] == [new_message.id]
    assert [d.text for d in db.session.scalars(select(AiDraft))] == ["new"]


# -- Concurrency (PostgreSQL: where concurrent workers really interleave) -----------------------

@pytest.mark.parametrize("round_", range(3))
def test_two_workers_racing_on_one_message_send_once(app, world, factory, meta_ok, round_):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent workers need PostgreSQL (run the suite with DATABASE_URL)")
    import threading

    configure(world)
    add_rule(world, "greeting", "Welcome")
    message_id = inbound(factory, world).id
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker():
        with app.app_context():
            try:
                barrier.wait()
                run_automation_for_message(message_id)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(automated_replies(world)) == 1 and len(graph_sends(meta_ok)) == 1
