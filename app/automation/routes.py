"""Automation pages: the admin settings page (rules, business hours, AI knowledge, preview, recent
activity) and the "Suggest reply" endpoints the composer uses. Routes only translate; the rules
live in rulebook, settings, rules and ai."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.automation import bp
from app.automation.ai import DraftRefused, draft_for_poll, request_draft
from app.automation.hours import WEEKDAYS, format_day, is_open, timezone_names
from app.automation.llm import llm_configured
from app.automation.patterns import MAX_INPUT_CHARS
from app.automation.rulebook import RULE_FIELDS, create_rule, delete_rule, move_rule, ordered_rules, set_enabled, update_rule
from app.automation.rules import KIND_LABELS, Inbound, choose_rule, describe
from app.automation.settings import save_settings, workspace_settings
from app.errors import ActionRefused
from app.extensions import db
from app import audit
from app.auth.roles import admin_required
from app.htmx_responses import hx_trigger, is_fragment_request, render_fragment, render_page
from app.inbox.localtime import in_utc
from app.jobs import QUEUE_HIGH, enqueue
from app.labels.catalog import workspace_labels
from app.models import (
    LEAD_STATUSES,
    AiDraft,
    AutomationLog,
    AutomationRule,
    Conversation,
    InstagramAccount,
    InstagramMedia,
    Message,
    User,
    utcnow,
)
from app.models.automation import MATCH_TYPES, RULE_CONVERSATION_STATUSES, RULE_KINDS
from app.scoping import current_workspace_id, get_or_404, id_or_404, scoped

RECENT_ACTIVITY = 30
MAX_POST_CHOICES = 50  # the newest posts a comment rule offers to watch


# -- Settings page -----------------------------------------------------------------------------

def _settings_form_values(settings) -> dict:
    values = {"timezone": settings.timezone, "pause_minutes": settings.pause_minutes,
              "away_every_hours": settings.away_every_hours, "knowledge": settings.knowledge or "",
              "ai_auto_reply": "on" if settings.ai_auto_reply else ""}
    for day in range(7):
        values[f"hours_{day}"] = format_day((settings.business_hours or {}).get(str(day)))
    return values


def _page(status: int = 200, *, settings_values=None, settings_error=None, preview=None):
    workspace_id = current_workspace_id()
    settings = workspace_settings(workspace_id)
    rules = ordered_rules(workspace_id)
    activity = db.session.execute(
        select(AutomationLog, Message, Conversation)
        .join(Message, Message.id == AutomationLog.message_id)
        .join(Conversation, Conversation.id == AutomationLog.conversation_id)
        .where(AutomationLog.workspace_id == workspace_id)
        .order_by(AutomationLog.id.desc())
        .limit(RECENT_ACTIVITY)
    ).all()
    return render_page(
        "automation/settings.html", status=status,
        rules=rules, describe=describe, kind_labels=KIND_LABELS, settings=settings,
        values=settings_values or _settings_form_values(settings), error=settings_error,
        weekdays=WEEKDAYS, timezones=timezone_names(), accounts=_accounts(), users=_users(),
        activity=activity, llm_ready=llm_configured(), preview=preview, labels=_labels(),
    )


def _accounts():
    return db.session.scalars(scoped(InstagramAccount).order_by(InstagramAccount.id)).all()


def _users():
    return db.session.scalars(scoped(User).where(User.active.is_(True)).order_by(User.email)).all()


def _labels() -> dict:
    """The workspace's labels by id: the rule form's choices, and what a rule's add_label_id names."""
    return {label.id: label for label in workspace_labels(current_workspace_id())}


@bp.get("/settings/automation")
@admin_required
def settings_page():
    return _page()


@bp.post("/settings/automation/settings")
@admin_required
def save_workspace_settings():
    try:
        save_settings(current_workspace_id(), request.form)
    except ActionRefused as exc:
        # Shown again with everything the admin typed, and the one field to fix.
        return _page(400, settings_values=request.form.to_dict(), settings_error=exc)
    _audit("automation.settings", "Saved the automation settings (business hours, pauses, AI)")
    flash("Automation settings saved.", "info")
    return redirect(url_for("automation.settings_page"))


# -- Rules -------------------------------------------------------------------------------------

def _rule_form(rule: AutomationRule | None, values: dict, error: ActionRefused | None = None, status: int = 200,
               comment_preview: dict | None = None):
    return render_template(
        "automation/rule_form.html", rule=rule, values=values, error=error, kinds=RULE_KINDS, kind_labels=KIND_LABELS,
        match_types=MATCH_TYPES, lead_statuses=LEAD_STATUSES, conversation_statuses=RULE_CONVERSATION_STATUSES,
        accounts=_accounts(), users=_users(), labels=_labels(), posts=_posts(), comment_preview=comment_preview,
    ), status


def _posts():
    """The posts and ads people commented on, newest first: a comment rule's choices."""
    return db.session.scalars(scoped(InstagramMedia).order_by(InstagramMedia.id.desc()).limit(MAX_POST_CHOICES)).all()


def _rule_values(rule: AutomationRule) -> dict:
    values = {field: getattr(rule, field) for field in RULE_FIELDS if field not in ("media_ids", "public_replies")}
    values["enabled"] = "on" if rule.enabled else ""
    values = {key: ("" if value is None else str(value)) for key, value in values.items()}
    values["media_ids"] = [str(i) for i in rule.media_ids or []]
    values["public_replies"] = "\n".join(rule.public_replies or [])
    return values


def _form_values() -> dict:
    values = request.form.to_dict()
    values["media_ids"] = request.form.getlist("media_ids")
    return values


@bp.route("/settings/automation/rules/new", methods=["GET", "POST"])
@admin_required
def new_rule():
    if request.method == "GET":
        kind = request.args.get("kind") if request.args.get("kind") in RULE_KINDS else "keyword"
        return _rule_form(None, {"kind": kind, "match_type": "contains", "enabled": "on"})
    try:
        rule = create_rule(current_workspace_id(), request.form)
    except ActionRefused as exc:
        return _rule_form(None, _form_values(), exc, 400)
    _audit("automation.rule_created", f"Added {_named(rule)}", rule_id=rule.id)
    flash("Rule added.", "info")
    return redirect(url_for("automation.settings_page"))


@bp.route("/settings/automation/rules/<int:rule_id>", methods=["GET", "POST"])
@admin_required
def edit_rule(rule_id: int):
    rule = get_or_404(AutomationRule, rule_id)
    if request.method == "GET":
        return _rule_form(rule, _rule_values(rule))
    try:
        update_rule(rule, request.form)
    except ActionRefused as exc:
        db.session.rollback()
        return _rule_form(rule, _form_values(), exc, 400)
    _audit("automation.rule_changed", f"Changed {_named(rule)}", rule_id=rule.id)
    flash("Rule saved.", "info")
    return redirect(url_for("automation.settings_page"))


@bp.get("/settings/automation/rules/<int:rule_id>/preview-comment")
@admin_required
def preview_comment(rule_id: int):
    """A comment rule tried on a sample comment: does it match, and what would the person get."""
    # Imported here: app.automation.comments reaches the webhook follow-ups, which import this package.
    from app.automation import comments as comment_automation

    rule = get_or_404(AutomationRule, rule_id)
    if rule.kind != "comment":
        abort(404)
    text = (request.args.get("text") or "")[:MAX_INPUT_CHARS]
    username = (request.args.get("username") or "").strip().lstrip("@")[:60] or "sample.customer"
    accounts = _accounts()
    account = next((a for a in accounts if a.id == rule.account_id), accounts[0] if accounts else None)
    values = {"first_name": username.split(".")[0].capitalize(), "username": username,
              "account": (account.name or account.username) if account else "your account"}
    shown = comment_automation.preview(rule, text, values)
    shown.update(text=text, username=username)
    if is_fragment_request():
        return render_fragment("automation/_comment_preview.html", 200, comment_preview=shown, rule=rule)
    return _rule_form(rule, _rule_values(rule), comment_preview=shown)


@bp.post("/settings/automation/rules/<int:rule_id>/delete")
@admin_required
def remove_rule(rule_id: int):
    rule = get_or_404(AutomationRule, rule_id)
    named, gone_id = _named(rule), rule.id
    delete_rule(rule)
    _audit("automation.rule_deleted", f"Deleted {named}", rule_id=gone_id)
    flash("Rule deleted.", "info")
    return redirect(url_for("automation.settings_page"))


@bp.post("/settings/automation/rules/<int:rule_id>/enabled")
@admin_required
def switch_rule(rule_id: int):
    rule = get_or_404(AutomationRule, rule_id)
    set_enabled(rule, request.form.get("enabled") in ("on", "1", "true"))
    _audit("automation.rule_changed", f"{'Turned on' if rule.enabled else 'Turned off'} {_named(rule)}", rule_id=rule.id)
    return _after_rule_change()


@bp.post("/settings/automation/rules/<int:rule_id>/move")
@admin_required
def reorder_rule(rule_id: int):
    rule = get_or_404(AutomationRule, rule_id)
    direction = request.form.get("direction", "")
    try:
        moved = move_rule(rule, direction)
    except ActionRefused as exc:
        abort(400, exc.message)
    if moved:
        # The order decides which rule answers: worth a line as much as turning one off.
        _audit("automation.rule_changed", f"Moved {_named(rule)} {direction}, to place {rule.position}", rule_id=rule.id)
    return _after_rule_change()


def _named(rule: AutomationRule) -> str:
    """A rule as the audit log names it: which kind, when it answers and how, so that an entry still
    says which rule it was after the rule is gone ("a keyword rule" told nobody which)."""
    reply = " ".join((rule.reply_text or "").split())
    reply = reply if len(reply) <= 80 else reply[:79] + "…"
    return (f"a {KIND_LABELS.get(rule.kind, rule.kind).lower()} rule: {describe(rule)}"
            + (f", replying “{reply}”" if reply else ""))


def _audit(action: str, summary: str, **detail) -> None:
    audit.record(action, summary, **detail)
    db.session.commit()


def _after_rule_change():
    # htmx swaps just the rule list; without JavaScript the whole page comes back.
    if is_fragment_request():
        return render_page("automation/settings.html", block="rule_list", rules=ordered_rules(current_workspace_id()),
                           describe=describe, kind_labels=KIND_LABELS, accounts=_accounts(), labels=_labels())
    return redirect(url_for("automation.settings_page"))


# -- Preview -----------------------------------------------------------------------------------

class PreviewInvalid(ValueError):
    pass


def _preview_moment(raw: str, timezone: str) -> datetime:
    """The form's local date and time (workspace time zone), or now when left empty."""
    raw = (raw or "").strip()
    if not raw:
        return utcnow()
    try:
        local = datetime.fromisoformat(raw)
    except ValueError:
        raise PreviewInvalid("Enter the date and time as YYYY-MM-DD HH:MM.") from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(timezone))
    try:
        # Checked here: near year 1 or 9999 converting to the workspace's zone would overflow (F-10).
        return in_utc(local)
    except ValueError:
        raise PreviewInvalid("That date is too far in the past or the future.") from None


@bp.get("/settings/automation/preview")
@admin_required
def preview():
    workspace_id = current_workspace_id()
    settings = workspace_settings(workspace_id)
    args = request.args
    result = {"text": args.get("text", ""), "at": args.get("at", ""), "first": bool(args.get("first")),
              "story": bool(args.get("story")), "account_id": args.get("account_id", "")}
    try:
        moment = _preview_moment(result["at"], settings.timezone)
        account_id = int(result["account_id"]) if result["account_id"] else None
    except (PreviewInvalid, ValueError) as exc:
        result["error"] = str(exc) if isinstance(exc, PreviewInvalid) else "Choose one of the listed accounts."
        return _preview_response(result, 400)
    inbound = Inbound(text=result["text"], at=moment, kind="story_mention" if result["story"] else "text",
                      account_id=account_id, is_first_message=result["first"])
    choice = choose_rule(ordered_rules(workspace_id), inbound, business_hours=settings.business_hours,
                         timezone=settings.timezone)
    result.update(choice=choice, moment=moment.astimezone(ZoneInfo(settings.timezone)),
                  open=is_open(settings.business_hours, settings.timezone, moment),
                  ai_would_answer=choice is None and settings.ai_auto_reply and llm_configured())
    return _preview_response(result)


def _preview_response(result: dict, status: int = 200):
    if is_fragment_request():
        return render_page("automation/settings.html", block="preview_result", status=status, preview=result,
                           describe=describe, kind_labels=KIND_LABELS, labels=_labels())
    return _page(status, preview=result)


# -- Suggest reply (composer) -----------------------------------------------------------------

@bp.post("/conversations/<int:conversation_id>/suggest-reply")
@login_required
def suggest_reply(conversation_id: int):
    conversation = get_or_404(Conversation, conversation_id)
    try:
        draft = request_draft(conversation, current_user)
    except DraftRefused as exc:
        return render_fragment("automation/_draft.html", 422, conversation=conversation, draft=None, error=str(exc))
    from app.automation.jobs import write_ai_draft

    enqueue(write_ai_draft, draft.id, queue=QUEUE_HIGH, timeout=60)
    return render_fragment("automation/_draft.html", 202, conversation=conversation, draft=draft, error=None)


@bp.get("/conversations/<int:conversation_id>/suggest-reply/<int:draft_id>")
@login_required
def draft_status(conversation_id: int, draft_id: int):
    conversation = get_or_404(Conversation, conversation_id)
    draft_id = id_or_404(draft_id)
    draft = db.session.scalar(select(AiDraft).where(AiDraft.id == draft_id, AiDraft.conversation_id == conversation.id))
    if draft is None:
        abort(404)
    draft = draft_for_poll(draft)
    response = render_fragment("automation/_draft.html", conversation=conversation, draft=draft, error=None)
    if draft.status == "ready":
        # The composer (or the listener in static/js/automation.js) puts the text in the reply box.
        hx_trigger(response, {"ai-draft-ready": {"text": draft.text, "conversation_id": conversation.id,
                                                 "draft_id": draft.id}})
    return response
