"""Comment automation (the "comment PRICE and we'll DM you" campaign): a customer's new comment
that a comment rule matches gets the rule's private reply, and maybe one of its public replies.

The order of things, and why:
1. Only a customer's own new comment is answered (never ours, never a deleted one); with no
   enabled comment rule there is nothing to do and nothing is logged.
2. A per-account pace: at most COMMENT_REPLIES_PER_MINUTE automated private replies a minute per
   account (a viral post must not turn into a burst Instagram treats as spam); over it, the job
   runs again a minute later, before claiming anything.
3. The comment is claimed in the automation log (unique message id), committed before anything
   is sent, as for DMs: a second run of the job finds it and does nothing.
4. Each a logged reason to stay quiet: the comment is more than an hour old (a late job), no rule
   matches, the person already got an automated reply on this post (the unique (contact, post)
   row of `comment_automation_claims`, inserted before the send: two comments of one person
   delivered at once race for it and one wins), Meta's limits (app.comments.rules, through the
   private reply's own checks: already answered privately by a person, older than 7 days, Live
   ended).
5. The private reply goes through app.comments.actions (the DM sends' job path, source
   "automation"); the public reply, when the rule has variants, is one of them picked at random.
"""
from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.automation.respond import MAX_MESSAGE_AGE, _claim, _finish
from app.automation.rulebook import ordered_rules
from app.automation.rules import Inbound, choose_rule
from app.automation.settings import workspace_settings
from app.comments import actions, rules as comment_rules
from app.extensions import db
from app.models import AutomationLog, CommentAutomationClaim, Conversation, Message, utcnow
from app.outbound.replies import ReplyRefused
from app.saved_replies.variables import first_name, render

log = logging.getLogger(__name__)

COMMENT_REPLIES_PER_MINUTE = 20
ONCE_PER_POST = "Not answered: this person already got an automated reply on this post."
# The variables a comment rule's texts may hold (app.saved_replies.variables fills them in).
VARIABLES = ("first_name", "username", "account")


class PaceExceeded(Exception):
    """The account sent its share of automated private replies this minute: try again later."""


def comment_rules_of(conversation: Conversation) -> list:
    return [rule for rule in ordered_rules(conversation.workspace_id, account_id=conversation.account_id,
                                           enabled_only=True) if rule.kind == "comment"]


def respond_to_comment(message_id: int, now: datetime | None = None, *, give_up_at_pace: bool = False
                       ) -> AutomationLog | None:
    """Run comment automation for one new comment; its log entry (None when passed over).
    Raises PaceExceeded (nothing claimed) when the account is at its pace, unless
    `give_up_at_pace`: then the comment is logged as not answered, with that reason."""
    comment = db.session.get(Message, message_id)
    if comment is None or not comment_rules.is_customer_comment(comment) or comment.is_deleted:
        return None
    conversation = db.session.get(Conversation, comment.conversation_id)
    rules = comment_rules_of(conversation)
    if not rules:
        return None
    now = now or utcnow()
    at_pace = _sent_last_minute(conversation.account_id, now) >= COMMENT_REPLIES_PER_MINUTE
    if at_pace and not give_up_at_pace:
        raise PaceExceeded(f"account {conversation.account_id} at {COMMENT_REPLIES_PER_MINUTE} private replies a minute")
    entry = _claim(comment, conversation, now)
    if entry is None:
        log.info("comment automation already handled message %s", comment.id)
        return None
    if at_pace:
        _finish(entry, "skipped", f"Not answered: the account kept sending {COMMENT_REPLIES_PER_MINUTE} automated "
                                  "private replies a minute, its pace, for too long.", kind="comment")
        return entry
    try:
        _decide(entry, comment, conversation, rules, now)
    except Exception:
        db.session.rollback()
        entry = db.session.get(AutomationLog, entry.id)
        if entry.outcome == "pending":
            _finish(entry, "failed", "Automation stopped on an unexpected error (see the worker log).")
        raise
    return entry


def _decide(entry: AutomationLog, comment: Message, conversation: Conversation, rules: list, now: datetime) -> None:
    entry.kind = "comment"
    if comment.created_at < now - MAX_MESSAGE_AGE:
        return _finish(entry, "skipped", "Not answered: the comment is more than an hour old.")
    settings = workspace_settings(conversation.workspace_id)
    choice = choose_rule(rules, _inbound(comment, conversation), business_hours=settings.business_hours,
                         timezone=settings.timezone)
    if choice is None:
        return _finish(entry, "skipped", "No comment rule applied to this comment.")
    rule = choice.rule
    entry.rule_id = rule.id
    if not _claim_person(conversation, comment, rule.id, now):
        return _finish(db.session.get(AutomationLog, entry.id), "skipped", ONCE_PER_POST, kind="comment",
                       rule_id=rule.id)
    values = variable_values(conversation)
    try:
        reply = actions.reply_privately(comment, render(rule.reply_text, values), source="automation")
    except ReplyRefused as refused:
        db.session.rollback()
        _release_person(conversation)  # nothing went to this person: a later comment may still be answered
        return _finish(db.session.get(AutomationLog, entry.id), "skipped", f"Not sent: {refused.message}",
                       kind="comment", rule_id=rule.id)
    entry = db.session.get(AutomationLog, entry.id)
    entry.reply_message_id = reply.id
    notes = [choice.why, "Private reply queued."]
    if rule.public_replies:
        text = render(random.choice(rule.public_replies), values)
        try:
            actions.reply_publicly(comment, text, source="automation")
            notes.append("Public reply queued.")
        except ReplyRefused as refused:
            db.session.rollback()
            notes.append(f"Public reply not sent: {refused.message}")
        entry = db.session.get(AutomationLog, entry.id)
    _finish(entry, "sent", " ".join(notes), kind="comment", rule_id=rule.id)


def _inbound(comment: Message, conversation: Conversation) -> Inbound:
    return Inbound(text=comment.text, at=comment.created_at, kind="comment", account_id=conversation.account_id,
                   media_id=conversation.media_id)


def variable_values(conversation: Conversation) -> dict[str, str]:
    contact, account = conversation.contact, conversation.account
    return {"first_name": first_name(contact.name, contact.username), "username": contact.username or "",
            "account": account.name or account.username or ""}


def _claim_person(conversation: Conversation, comment: Message, rule_id: int, now: datetime) -> bool:
    """Insert the (person, post) claim, committed: False when another comment of theirs has it."""
    db.session.add(CommentAutomationClaim(workspace_id=conversation.workspace_id, contact_id=conversation.contact_id,
                                          media_id=conversation.media_id, comment_message_id=comment.id,
                                          rule_id=rule_id, created_at=now))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def _release_person(conversation: Conversation) -> None:
    db.session.execute(
        CommentAutomationClaim.__table__.delete().where(CommentAutomationClaim.contact_id == conversation.contact_id,
                                                        CommentAutomationClaim.media_id == conversation.media_id))
    db.session.commit()


def _sent_last_minute(account_id: int, now: datetime) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AutomationLog)
        .join(Conversation, Conversation.id == AutomationLog.conversation_id)
        .where(Conversation.account_id == account_id, AutomationLog.kind == "comment",
               AutomationLog.outcome == "sent", AutomationLog.created_at > now - timedelta(minutes=1))
    ) or 0


def preview(rule, text: str, conversation_values: dict[str, str], media_id: int | None = None) -> dict:
    """What `rule` would do with a sample comment: whether it matches and why, and the texts the
    person would get (variables filled in from `conversation_values`). For the rule editor."""
    inbound = Inbound(text=text, at=utcnow(), kind="comment", account_id=rule.account_id, media_id=media_id)
    # Judged as if on (a switched-off rule is previewed too) and for any of its posts unless one is given.
    probe = SimpleNamespace(id=rule.id, kind=rule.kind, enabled=True, account_id=rule.account_id,
                            match_type=rule.match_type, pattern=rule.pattern, reply_text=rule.reply_text,
                            media_ids=rule.media_ids if media_id is not None else None)
    choice = choose_rule([probe], inbound, business_hours={}, timezone="UTC")
    return {
        "matches": choice is not None,
        "why": choice.why if choice else "The comment does not match this rule.",
        "private_reply": render(rule.reply_text, conversation_values),
        "public_replies": [render(text_, conversation_values) for text_ in rule.public_replies or []],
    }
