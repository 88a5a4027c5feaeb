"""A workspace's automation rules: reading them in order, and what admins do to them (create,
edit, delete, move up/down, switch on/off). Validation errors are `ActionRefused(field, message)`."""
from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, or_, select

from app.automation.patterns import MAX_PATTERN_LENGTH, PatternRejected, check_regex, normalize
from app.errors import ActionRefused
from app.extensions import db
from app.instagram.graph import MAX_COMMENT_CHARS, MAX_TEXT_BYTES
from app.labels.catalog import label_by_id
from app.models import LEAD_STATUSES, AutomationRule, AutomationSettings, InstagramAccount, InstagramMedia, User
from app.models.automation import MATCH_TYPES, MAX_PUBLIC_REPLIES, RULE_CONVERSATION_STATUSES, RULE_KINDS
from app.scoping import valid_id

RULE_FIELDS = ("kind", "account_id", "match_type", "pattern", "reply_text", "set_lead_status", "assign_to_id",
               "add_label_id", "set_conversation_status", "enabled", "media_ids", "public_replies")


def ordered_rules(workspace_id: int, *, account_id: int | None = None, enabled_only: bool = False) -> list[AutomationRule]:
    """The workspace's rules in their order; with account_id, only those that apply to it."""
    query = select(AutomationRule).where(*_rules_of(workspace_id, account_id, enabled_only=enabled_only))
    return list(db.session.scalars(query.order_by(AutomationRule.position, AutomationRule.id)))


def _rules_of(workspace_id, account_id=None, *, enabled_only: bool) -> list:
    """Which rules apply: the workspace's, for every account or this one (`workspace_id` and
    `account_id` are values, or columns of an outer query)."""
    conditions = [AutomationRule.workspace_id == workspace_id]
    if account_id is not None:
        conditions.append(or_(AutomationRule.account_id.is_(None), AutomationRule.account_id == account_id))
    if enabled_only:
        conditions.append(AutomationRule.enabled.is_(True))
    return conditions


def may_answer_sql(workspace_id, account_id):
    """SQL: automation could answer a DM of this account (`workspace_id`, `account_id`: columns of
    the caller's query) — an enabled rule that applies to it, or the workspace's AI auto-reply on.
    The same test as respond_to_message's first (`not rules and not ai_on`: nothing to do), asked by
    ingestion with its account lookup so that a workspace without automation queues no job for
    each message (a job per delivery that would only read the rules and stop)."""
    return or_(
        select(AutomationRule.id).where(*_rules_of(workspace_id, account_id, enabled_only=True)).exists(),
        select(AutomationSettings.workspace_id).where(AutomationSettings.workspace_id == workspace_id,
                                                      AutomationSettings.ai_auto_reply.is_(True)).exists(),
    )


def _optional_id(form: Mapping, field: str) -> int | None:
    raw = (form.get(field) or "").strip()
    if not raw:
        return None
    value = valid_id(raw)  # never a number the id column cannot hold (F-11)
    if value is None:
        raise ActionRefused(field, "Choose one of the listed options.")
    return value


def _optional_choice(form: Mapping, field: str, choices: tuple[str, ...]) -> str | None:
    value = (form.get(field) or "").strip()
    if not value:
        return None
    if value not in choices:
        raise ActionRefused(field, f"Choose one of: {', '.join(choices)}.")
    return value


def parse_rule_form(workspace_id: int, form: Mapping) -> dict:
    """Validated rule values from the form; ActionRefused names the first bad field."""
    kind = (form.get("kind") or "").strip()
    if kind not in RULE_KINDS:
        raise ActionRefused("kind", "Choose what the rule answers: greeting, away, keyword, story mention or comment.")

    account_id = _optional_id(form, "account_id")
    if account_id is not None and db.session.scalar(
        select(InstagramAccount.id).where(InstagramAccount.id == account_id, InstagramAccount.workspace_id == workspace_id)
    ) is None:
        raise ActionRefused("account_id", "That Instagram account is not connected to this workspace.")

    match_type = pattern = None
    if kind in ("keyword", "comment"):
        match_type = (form.get("match_type") or "").strip()
        if match_type not in MATCH_TYPES:
            raise ActionRefused("match_type", "Choose how the keyword matches: contains, exact or regular expression.")
        pattern = (form.get("pattern") or "").strip()
        if not pattern or (match_type != "regex" and not normalize(pattern)):
            raise ActionRefused("pattern", "Enter the keyword or phrase to look for.")
        if len(pattern) > MAX_PATTERN_LENGTH:
            raise ActionRefused("pattern", f"The keyword can be at most {MAX_PATTERN_LENGTH} characters.")
        if match_type == "regex":
            try:
                check_regex(pattern)
            except PatternRejected as exc:
                raise ActionRefused("pattern", str(exc)) from None

    reply_text = (form.get("reply_text") or "").replace("\r\n", "\n").strip()
    if not reply_text:
        raise ActionRefused("reply_text", "Write the private reply the person gets." if kind == "comment"
                            else "Write the reply the customer gets.")
    size = len(reply_text.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        raise ActionRefused("reply_text", f"The reply is {size:,} bytes; Instagram allows at most {MAX_TEXT_BYTES:,} "
                                          "(fewer letters when they are emoji or non-Latin).")

    assign_to_id = _optional_id(form, "assign_to_id")
    if assign_to_id is not None and db.session.scalar(
        select(User.id).where(User.id == assign_to_id, User.workspace_id == workspace_id, User.active.is_(True))
    ) is None:
        raise ActionRefused("assign_to_id", "Choose an active member of this workspace.")

    add_label_id = _optional_id(form, "add_label_id")
    if add_label_id is not None and label_by_id(workspace_id, add_label_id) is None:
        raise ActionRefused("add_label_id", "Choose one of this workspace's labels.")

    media_ids, public_replies = (_comment_fields(workspace_id, account_id, form) if kind == "comment" else (None, None))

    return {
        "kind": kind,
        "media_ids": media_ids,
        "public_replies": public_replies,
        "account_id": account_id,
        "match_type": match_type,
        "pattern": pattern,
        "reply_text": reply_text,
        "set_lead_status": _optional_choice(form, "set_lead_status", LEAD_STATUSES),
        "assign_to_id": assign_to_id,
        "add_label_id": add_label_id,
        "set_conversation_status": _optional_choice(form, "set_conversation_status", RULE_CONVERSATION_STATUSES),
        "enabled": form.get("enabled") in ("on", "1", "true", "yes"),
    }


def _comment_fields(workspace_id: int, account_id: int | None, form: Mapping) -> tuple[list[int] | None, list[str]]:
    """A comment rule's posts (None: any post) and public reply variants (one per line)."""
    raw = form.getlist("media_ids") if hasattr(form, "getlist") else form.get("media_ids") or []
    if isinstance(raw, str):
        raw = raw.split(",")
    ids = []
    for value in raw:
        if not str(value).strip():
            continue
        media_id = valid_id(str(value))
        if media_id is None:
            raise ActionRefused("media_ids", "Choose posts from the list.")
        ids.append(media_id)
    if ids:
        query = select(InstagramMedia.id).where(InstagramMedia.id.in_(ids), InstagramMedia.workspace_id == workspace_id)
        if account_id is not None:
            query = query.where(InstagramMedia.account_id == account_id)
        found = set(db.session.scalars(query))
        if found != set(ids):
            raise ActionRefused("media_ids", "Choose posts of the chosen account from the list.")
    variants = [line.strip() for line in (form.get("public_replies") or "").replace("\r\n", "\n").split("\n")
                if line.strip()]
    if len(variants) > MAX_PUBLIC_REPLIES:
        raise ActionRefused("public_replies", f"Write at most {MAX_PUBLIC_REPLIES} public replies, one per line.")
    for variant in variants:
        if len(variant) > MAX_COMMENT_CHARS:
            raise ActionRefused("public_replies", f"A public reply can be at most {MAX_COMMENT_CHARS:,} characters.")
    return sorted(set(ids)) or None, variants


def create_rule(workspace_id: int, form: Mapping) -> AutomationRule:
    values = parse_rule_form(workspace_id, form)
    last = db.session.scalar(select(func.max(AutomationRule.position)).where(AutomationRule.workspace_id == workspace_id))
    rule = AutomationRule(workspace_id=workspace_id, position=(last or 0) + 1, **values)
    db.session.add(rule)
    db.session.commit()
    return rule


def update_rule(rule: AutomationRule, form: Mapping) -> AutomationRule:
    for key, value in parse_rule_form(rule.workspace_id, form).items():
        setattr(rule, key, value)
    db.session.commit()
    return rule


def delete_rule(rule: AutomationRule) -> None:
    db.session.delete(rule)
    db.session.commit()


def set_enabled(rule: AutomationRule, enabled: bool) -> None:
    rule.enabled = enabled
    db.session.commit()


def move_rule(rule: AutomationRule, direction: str) -> bool:
    """Swap the rule with its neighbour above ("up") or below ("down"); False at either end.
    Positions are renumbered 1..n first, so gaps and ties from deletions never confuse the order."""
    if direction not in ("up", "down"):
        raise ActionRefused("direction", "Move a rule up or down.")
    rules = ordered_rules(rule.workspace_id)
    for number, each in enumerate(rules, start=1):
        each.position = number
    index = rules.index(rule)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(rules):
        db.session.commit()
        return False
    rules[index].position, rules[other].position = rules[other].position, rules[index].position
    db.session.commit()
    return True
