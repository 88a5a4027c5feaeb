"""Answering one inbound message automatically: the safety checks, the rules, the AI fallback, and
the log entry that makes it happen at most once.

The order of things, and why:
1. Only a customer's own new message is ever answered: never an echo or anything we sent, never
   a standby message (another app or a person in the Instagram app owns the thread), never a
   referral (context, not something the customer wrote), never a deleted one. Reactions and read
   receipts are not messages at all. These are passed over without a log entry.
2. With no enabled rule and no AI auto-answer there is nothing to do (and nothing is logged).
3. The message is claimed: an AutomationLog row with the message's id, unique in the database,
   committed before anything is sent. A second run of the job (retry, redelivery, a second
   worker) cannot claim it again, so a message gets at most one automated reply.
4. Then, each a logged reason to stay quiet: the 24-hour window is not open for automated
   replies, the message is too old to answer, a person replied in this conversation within the
   pause.
5. The first matching rule answers; with none, the AI answers if the workspace switched that on.
   Every reply goes through the staff send path (`queue_reply`, source "automation", no user),
   which enforces the window again and never uses the HUMAN_AGENT tag for automated sends.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from app.automation.ai import ai_reply
from app.automation.llm import ModelUnavailable, llm_configured
from app.automation.rulebook import ordered_rules
from app.automation.rules import Inbound, RuleChoice, choose_rule
from app.automation.settings import workspace_settings
from app.errors import ActionRefused
from app.extensions import db
from app.inbox.actions import assign, set_status
from app.labels.tagging import add_label
from app.leads.actions import update_lead
from app.messages.content import KINDS, content_of, kind_of
from app.models import AutomationLog, AutomationSettings, Conversation, Label, Lead, Message, utcnow
from app.outbound.replies import ReplyRefused, queue_reply
from app.outbound.windows import reply_window

log = logging.getLogger(__name__)

# An automated answer to something said long ago only confuses; a late job stays quiet.
MAX_MESSAGE_AGE = timedelta(hours=1)
# Message kinds (app/messages/content.py) that are the customer writing: a referral is ad/link
# context, not a message; a template is a business's send.
ANSWERABLE_KINDS = tuple(kind for kind in KINDS if kind not in ("referral", "template"))


def not_answerable(message: Message) -> str | None:
    """Why this message is never answered by automation, or None when it may be."""
    if message.direction != "in" or message.source != "instagram":
        return "it is not a customer's message (an echo or our own reply)"
    content = content_of(message)
    if content.standby:
        return "it arrived on standby (another app or a person owns the thread)"
    kind = content.kind
    if kind not in ANSWERABLE_KINDS:
        return f"a {kind} is not something the customer wrote"
    if message.is_deleted:
        return "the customer deleted it"
    return None


def respond_to_message(message_id: int, now: datetime | None = None) -> AutomationLog | None:
    """Run automation for one inbound message; returns its log entry (None when passed over)."""
    message = db.session.get(Message, message_id)
    if message is None:
        return None
    reason = not_answerable(message)
    if reason:
        log.info("automation passes over message %s: %s", message.id, reason)
        return None
    conversation = db.session.get(Conversation, message.conversation_id)
    settings = workspace_settings(conversation.workspace_id)
    rules = ordered_rules(conversation.workspace_id, account_id=conversation.account_id, enabled_only=True)
    ai_on = settings.ai_auto_reply and llm_configured()
    if not rules and not ai_on:
        return None

    now = now or utcnow()
    entry = _claim(message, conversation, now)
    if entry is None:
        log.info("automation already handled message %s", message.id)
        return None
    try:
        _decide(entry, message, conversation, settings, rules, ai_on, now)
    except Exception:
        db.session.rollback()
        entry = db.session.get(AutomationLog, entry.id)
        if entry.outcome == "pending":
            _finish(entry, "failed", "Automation stopped on an unexpected error (see the worker log).")
        else:  # the reply went out; a rule action after it failed
            _finish(entry, entry.outcome, f"{entry.reason} A rule action failed (see the worker log).")
        raise
    return entry


def _claim(message: Message, conversation: Conversation, now: datetime) -> AutomationLog | None:
    entry = AutomationLog(workspace_id=conversation.workspace_id, conversation_id=conversation.id,
                          message_id=message.id, outcome="pending", created_at=now)
    db.session.add(entry)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return entry


def _finish(entry: AutomationLog, outcome: str, reason: str | None, **fields) -> None:
    entry.outcome = outcome
    entry.reason = reason
    for key, value in fields.items():
        setattr(entry, key, value)
    db.session.commit()
    log.info("automation for message %s: %s%s", entry.message_id, outcome, f" ({entry.kind})" if entry.kind else "")


def _decide(entry: AutomationLog, message: Message, conversation: Conversation, settings: AutomationSettings,
            rules: list, ai_on: bool, now: datetime) -> None:
    window = reply_window(conversation, now=now, human=False)
    if not window.can_reply or window.human_agent:
        return _finish(entry, "skipped", f"Not answered: {window.reason}")
    if message.created_at < now - MAX_MESSAGE_AGE:
        return _finish(entry, "skipped", "Not answered: the message is more than an hour old.")
    human_reply = last_human_reply_at(conversation.id)
    if human_reply is not None and settings.pause_minutes and human_reply > now - timedelta(minutes=settings.pause_minutes):
        return _finish(entry, "skipped", f"Paused: a person replied in this conversation within the last "
                                         f"{settings.pause_minutes} minutes.")

    inbound = Inbound(text=message.text, at=message.created_at, kind=kind_of(message), account_id=conversation.account_id,
                      is_first_message=is_first_message(message))
    choice = choose_rule(rules, inbound, business_hours=settings.business_hours, timezone=settings.timezone,
                         suppressed=suppressed_kinds(conversation.id, settings, now))
    if choice is not None:
        return _send(entry, conversation, choice.reply_text, choice.why, kind=choice.rule.kind, rule_id=choice.rule.id,
                     after=lambda: _apply_actions(choice, conversation))
    if ai_on:
        try:
            text = ai_reply(conversation)
        except ModelUnavailable as exc:
            return _finish(entry, "failed", f"The AI answer failed: {exc}", kind="ai")
        return _send(entry, conversation, text, "No rule applied; the AI answered (auto-answer is on).", kind="ai")
    return _finish(entry, "skipped", "No rule applied to this message.")


def _send(entry: AutomationLog, conversation: Conversation, text: str, why: str, *, kind: str,
          rule_id: int | None = None, after=None) -> None:
    # Marked sent in the same commit that queues the reply: the log can never say "pending"
    # about a reply that went out, nor "sent" about one that did not.
    entry.outcome, entry.reason, entry.kind, entry.rule_id = "sent", why, kind, rule_id
    try:
        [reply] = queue_reply(conversation, text=text, user=None, source="automation")
    except ReplyRefused as exc:
        db.session.rollback()
        return _finish(db.session.get(AutomationLog, entry.id), "skipped", f"Not sent: {exc.message}",
                       kind=kind, rule_id=rule_id)
    entry.reply_message_id = reply.id
    db.session.commit()
    notes = after() if after else []
    _finish(entry, "sent", " ".join([why, *notes]))


def _apply_actions(choice: RuleChoice, conversation: Conversation) -> list[str]:
    """The rule's extra effects; one that cannot be done is noted, the others still happen."""
    rule, notes = choice.rule, []
    if rule.set_lead_status:
        lead = db.session.scalar(select(Lead).where(Lead.contact_id == conversation.contact_id))
        if lead is None:
            notes.append("There is no lead for this customer to update.")
        else:
            update_lead(lead, status=rule.set_lead_status)
            notes.append(f"Lead status set to {rule.set_lead_status}.")
    if rule.assign_to_id:
        try:
            assign(conversation, rule.assign_to_id)
            notes.append("Conversation assigned.")
        except ActionRefused as exc:
            notes.append(f"Not assigned: {exc.message}.")
    if rule.add_label_id:
        label = db.session.get(Label, rule.add_label_id)
        if label is None:  # deleted since the rule was read
            notes.append("The label to add no longer exists.")
        elif add_label(conversation, label, by=None):
            notes.append(f"Label “{label.name}” added.")
        else:
            notes.append(f"The conversation already had the label “{label.name}”.")
    if rule.set_conversation_status:
        set_status(conversation, rule.set_conversation_status)
        notes.append(f"Conversation status set to {rule.set_conversation_status}.")
    return notes


def last_human_reply_at(conversation_id: int) -> datetime | None:
    """When a person last wrote to the customer (inbox, API or the Instagram app)."""
    return db.session.scalar(
        select(Message.created_at)
        .where(Message.conversation_id == conversation_id, Message.direction == "out", Message.source != "automation")
        .order_by(Message.created_at.desc())
        .limit(1)
    )


def is_first_message(message: Message) -> bool:
    """Nothing in the conversation came before this message."""
    earlier = select(Message.id).where(
        Message.conversation_id == message.conversation_id, Message.id != message.id,
        Message.created_at <= message.created_at,
    )
    return not db.session.scalar(select(exists(earlier)))


def suppressed_kinds(conversation_id: int, settings: AutomationSettings, now: datetime) -> set[str]:
    """Rule kinds that must not answer again yet: a greeting once per conversation, an away
    reply once per `away_every_hours`."""
    sent = select(AutomationLog.id).where(AutomationLog.conversation_id == conversation_id,
                                          AutomationLog.outcome == "sent")
    kinds = set()
    if db.session.scalar(select(exists(sent.where(AutomationLog.kind == "greeting")))):
        kinds.add("greeting")
    since = now - timedelta(hours=settings.away_every_hours)
    if db.session.scalar(select(exists(sent.where(AutomationLog.kind == "away", AutomationLog.created_at > since)))):
        kinds.add("away")
    return kinds
