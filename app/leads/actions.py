"""Working a lead: status (through app.leads.stages), owner, notes, value and currency, the contact
facts (email, phone) and the next follow-up — shared by the leads page, the thread's lead panel, the
board and the JSON API. Every check passes before anything changes; then one commit."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from app.auth.users import workspace_member
from app.errors import ActionRefused
from app.extensions import db
from app.integrations import events as webhook_events
from app.leads import stages
from app.leads.values import parse_currency, parse_value
from app.models import Lead, User, Workspace, utcnow

UNSET = object()
NOTES_MAX = 20000
FOLLOW_UP_NOTE_MAX = 300
_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"']+\.[^@\s<>\"']{2,}$")
_PHONE = re.compile(r"^\+?[0-9 ().\-]{6,30}$")


def clean_email(raw) -> str | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if not isinstance(raw, str) or len(raw.strip()) > 254 or not _EMAIL.match(raw.strip()):
        raise ActionRefused("email", "email must look like name@example.com")
    return raw.strip()


def clean_phone(raw) -> str | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if not isinstance(raw, str) or not _PHONE.match(raw.strip()) or sum(c.isdigit() for c in raw) < 6:
        raise ActionRefused("phone", "phone must be a phone number (digits, spaces, + ( ) . -)")
    return raw.strip()


def check_follow_up(when) -> datetime | None:
    if when is None:
        return None
    if not isinstance(when, datetime) or when.tzinfo is None:
        raise ActionRefused("next_follow_up_at", "next_follow_up_at needs a date, a time and a time zone")
    if when > utcnow() + timedelta(days=3 * 366):
        raise ActionRefused("next_follow_up_at", "a follow-up can be at most three years ahead")
    return when


def update_lead(lead: Lead, *, by: User | None = None, status=UNSET, lost_reason=UNSET, owner_id=UNSET,
                notes=UNSET, value=UNSET, currency=UNSET, email=UNSET, phone=UNSET,
                next_follow_up_at=UNSET, follow_up_note=UNSET) -> Lead:
    """Change the given fields (UNSET = leave as is; None = clear). `value` is a decimal string
    (app.leads.values); `by` is who did it, for the stage history (None: automation)."""
    changes: dict = {}
    if value is not UNSET:
        changes["value_cents"] = parse_value(value)
    if currency is not UNSET:
        changes["currency"] = parse_currency(currency)
    if owner_id is not UNSET:
        if owner_id is not None:
            if isinstance(owner_id, bool) or not isinstance(owner_id, int):
                raise ActionRefused("owner_id", "owner_id must be a user id or null")
            workspace_member(lead.workspace_id, owner_id, field="owner_id")
        changes["owner_id"] = owner_id
    if notes is not UNSET:
        if notes is not None and not isinstance(notes, str):
            raise ActionRefused("notes", "notes must be text")
        if notes is not None and len(notes) > NOTES_MAX:
            raise ActionRefused("notes", f"notes can be at most {NOTES_MAX} characters")
        changes["notes"] = notes
    if email is not UNSET:
        changes["email"] = clean_email(email)
    if phone is not UNSET:
        changes["phone"] = clean_phone(phone)
    if next_follow_up_at is not UNSET:
        changes["next_follow_up_at"] = check_follow_up(next_follow_up_at)
    if follow_up_note is not UNSET:
        if follow_up_note is not None and not isinstance(follow_up_note, str):
            raise ActionRefused("follow_up_note", "follow_up_note must be text")
        if follow_up_note is not None and len(follow_up_note) > FOLLOW_UP_NOTE_MAX:
            raise ActionRefused("follow_up_note", f"follow_up_note can be at most {FOLLOW_UP_NOTE_MAX} characters")
        changes["follow_up_note"] = (follow_up_note or "").strip() or None
    reason = None if lost_reason is UNSET else lost_reason
    if status is not UNSET:
        stages.check_move(lead, status, reason)
    elif lost_reason is not UNSET and lead.status == "lost":
        stages.check_move(lead, "lost", reason)

    # Every check has passed: apply.
    if "value_cents" in changes and changes["value_cents"] is not None and "currency" not in changes and not lead.currency:
        changes["currency"] = db.session.get(Workspace, lead.workspace_id).currency  # a value needs one: the workspace's
    if "next_follow_up_at" in changes and changes["next_follow_up_at"] != lead.next_follow_up_at:
        lead.follow_up_notified_at = None  # a new time is a new reminder
    for field, new in changes.items():
        setattr(lead, field, new)
    if status is not UNSET:
        stages.move(lead, status, by, lost_reason=reason)
    elif lost_reason is not UNSET and lead.status == "lost":
        stages.move(lead, "lost", by, lost_reason=reason)
    if db.session.is_modified(lead):
        db.session.flush()  # the body shows the lead as committed (updated_at)
        webhook_events.lead_updated(lead)  # in this transaction (app.integrations.events)
    db.session.commit()
    return lead
