"""Moving a lead between statuses: the one home of the rules and of the history.

- Every change of status writes a LeadStageChange (who, from, to, when, the value at the move) and
  sets `stage_changed_at`, in the caller's transaction: the panel's timeline, the API's history,
  the board's "days in stage" and the reports all read what this wrote.
- Moving to `lost` needs a reason (a pick-list reason, then free text); leaving `lost` clears it on the
  lead (the history keeps it).
- Moving to `won` records the value at that moment (the page asks the person to confirm it first).
A lead's creation is not a row here: `leads.created_at` (and its status `new`) says it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import joinedload

from app.errors import ActionRefused
from app.extensions import db
from app.models import LEAD_STATUSES, Lead, LeadStageChange, User, utcnow

LOST_REASON_MAX = 300


def check_move(lead: Lead, to_status, lost_reason=None) -> str | None:
    """The rules of `move`, on their own so a caller changing several fields can check first.
    Returns the cleaned lost reason."""
    if to_status not in LEAD_STATUSES:
        raise ActionRefused("status", f"status must be one of {', '.join(LEAD_STATUSES)}")
    if lost_reason is not None and not isinstance(lost_reason, str):
        raise ActionRefused("lost_reason", "lost_reason must be text")
    reason = (lost_reason or "").strip() or None
    if to_status == "lost" and lead.status != "lost" and reason is None:
        raise ActionRefused("lost_reason", "say why the lead was lost (lost_reason)")
    if reason is not None and len(reason) > LOST_REASON_MAX:
        raise ActionRefused("lost_reason", f"lost_reason can be at most {LOST_REASON_MAX} characters")
    return reason


def move(lead: Lead, to_status: str, by: User | None, *, lost_reason: str | None = None,
         now: datetime | None = None) -> LeadStageChange | None:
    """Move the lead (no commit). None when it already has that status (a lost reason given then
    replaces the old one)."""
    reason = check_move(lead, to_status, lost_reason)
    if to_status == lead.status:
        if to_status == "lost" and reason is not None:
            lead.lost_reason = reason
        return None
    now = now or utcnow()
    change = LeadStageChange(workspace_id=lead.workspace_id, lead_id=lead.id, from_status=lead.status,
                             to_status=to_status, user_id=by.id if by is not None else None,
                             value_cents=lead.value_cents, lost_reason=reason if to_status == "lost" else None,
                             created_at=now)
    db.session.add(change)
    lead.status = to_status
    lead.stage_changed_at = now
    lead.lost_reason = reason if to_status == "lost" else None
    return change


def history(lead: Lead) -> list[LeadStageChange]:
    """Every move of the lead, oldest first (index ix_lead_stage_changes_lead), with who made it."""
    return list(db.session.scalars(
        db.select(LeadStageChange).where(LeadStageChange.lead_id == lead.id)
        .options(joinedload(LeadStageChange.user)).order_by(LeadStageChange.id)))


def move_from_form(form) -> dict:
    """What a stage form asks for (the leads table's row, the board's Move menu, the lead panel),
    as update_lead's keywords: `status`; for lost the reason (`lost_reason` picked, `lost_detail`
    typed); for won the confirmed `value` and its `currency`, when the form had them."""
    status = (form.get("status") or "").strip()
    changes: dict = {"status": status}
    if status == "lost":
        changes["lost_reason"] = lost_reason_from_form(form.get("lost_reason"), form.get("lost_detail"))
    if status == "won" and "value" in form:
        changes["value"] = form.get("value") or None
        changes["currency"] = form.get("currency") or None
    return changes


def lost_reason_from_form(pick: str | None, text: str | None) -> str | None:
    """The reason a lost form gives (the board's Move menu, the lead panel, /leads): a pick from the list, free text, or both
    ("Price: went with a cheaper shop"). None when neither: app.leads.stages refuses that."""
    pick = (pick or "").strip()
    text = " ".join((text or "").split())
    if pick and text and pick != text:
        return f"{pick}: {text}"
    return pick or text or None
