"""Which rule answers an inbound message: one pure function that both the automation job and the
settings page's preview call, so the preview shows exactly what the job would do.

Rules are tried in their order; the first enabled one that applies answers. A rule kind can be
"suppressed" by the caller (a greeting already sent in this conversation, an away reply sent less
than N hours ago): it is then passed over and later rules get their turn.
"""
from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from app.automation.hours import is_open
from app.automation.patterns import PatternRejected, keyword_matches

log = logging.getLogger(__name__)

KIND_LABELS = {
    "greeting": "Greeting",
    "away": "Away",
    "keyword": "Keyword",
    "story_mention": "Story mention",
    "comment": "Comment",
}
MATCH_LABELS = {"contains": "contains", "exact": "is exactly", "regex": "matches the regular expression"}


@dataclass(frozen=True)
class Inbound:
    """What the rules look at in a customer's message."""

    text: str | None
    at: datetime  # when it was sent (aware); business hours are judged at this moment
    kind: str = "text"  # the message kind (app/messages/content.py): text, story_mention, postback, ...
    account_id: int | None = None
    is_first_message: bool = False  # nothing earlier in the conversation
    media_id: int | None = None  # a comment's post (InstagramMedia.id); comment rules may watch only some


@dataclass(frozen=True)
class RuleChoice:
    rule: object  # an AutomationRule (any object with its attributes)
    reply_text: str
    why: str  # one readable sentence: why this rule applies


def choose_rule(rules: Sequence, inbound: Inbound, *, business_hours: dict, timezone: str,
                suppressed: Collection[str] = ()) -> RuleChoice | None:
    """The first rule (in `rules` order) that answers `inbound`, or None."""
    for rule in rules:
        if not rule.enabled or rule.kind in suppressed:
            continue
        # Comment rules answer comments only, and only they do (a comment is public: a DM rule's
        # reply to it would be a private reply nobody chose).
        if (rule.kind == "comment") != (inbound.kind == "comment"):
            continue
        if rule.account_id is not None and rule.account_id != inbound.account_id:
            continue
        why = _applies(rule, inbound, business_hours, timezone)
        if why:
            return RuleChoice(rule=rule, reply_text=rule.reply_text, why=why)
    return None


def _applies(rule, inbound: Inbound, business_hours: dict, timezone: str) -> str | None:
    if rule.kind == "greeting":
        return "It is the first message of a new conversation." if inbound.is_first_message else None
    if rule.kind == "away":
        if is_open(business_hours, timezone, inbound.at):
            return None
        return f"It arrived outside business hours ({timezone})."
    if rule.kind == "story_mention":
        return "The customer mentioned the account in their story." if inbound.kind == "story_mention" else None
    if rule.kind == "comment":
        watched = getattr(rule, "media_ids", None)
        if watched and inbound.media_id not in watched:
            return None
        if _pattern_matches(rule, inbound.text):
            where = "one of the chosen posts" if watched else "a post"
            return f"The comment on {where} {MATCH_LABELS[rule.match_type]} “{rule.pattern}”."
        return None
    if rule.kind == "keyword":
        if _pattern_matches(rule, inbound.text):
            return f"The message {MATCH_LABELS[rule.match_type]} “{rule.pattern}”."
        return None
    return None


def describe(rule) -> str:
    """A short summary of when a rule answers, for lists."""
    if rule.kind == "greeting":
        return "The first message of a new conversation"
    if rule.kind == "away":
        return "A message outside business hours"
    if rule.kind == "story_mention":
        return "A mention in a customer's story"
    if rule.kind == "comment":
        where = f"one of {len(rule.media_ids)} chosen posts" if rule.media_ids else "any post"
        return f"A comment on {where} that {MATCH_LABELS.get(rule.match_type, rule.match_type)} “{rule.pattern}”"
    return f"A message that {MATCH_LABELS.get(rule.match_type, rule.match_type)} “{rule.pattern}”"


def _pattern_matches(rule, text: str | None) -> bool:
    """A keyword or comment rule's pattern against the text. A pattern saved before today's safety
    check that RE2 refuses never runs: False, and the worker log says why."""
    try:
        return keyword_matches(rule.match_type, rule.pattern, text)
    except PatternRejected as exc:
        log.warning("automation rule %s skipped: unsafe pattern (%s)", getattr(rule, "id", None), exc)
        return False
