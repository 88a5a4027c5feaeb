"""Working a lead: status, owner and notes, shared by the leads page and the JSON API."""
from __future__ import annotations

from app.auth.users import workspace_member
from app.errors import ActionRefused
from app.extensions import db
from app.models import LEAD_STATUSES, Lead

UNSET = object()


def update_lead(lead: Lead, *, status=UNSET, owner_id=UNSET, notes=UNSET) -> Lead:
    if status is not UNSET:
        if status not in LEAD_STATUSES:
            raise ActionRefused("status", f"status must be one of {', '.join(LEAD_STATUSES)}")
        lead.status = status
    if owner_id is not UNSET:
        if owner_id is not None:
            if isinstance(owner_id, bool) or not isinstance(owner_id, int):
                raise ActionRefused("owner_id", "owner_id must be a user id or null")
            workspace_member(lead.workspace_id, owner_id, field="owner_id")
        lead.owner_id = owner_id
    if notes is not UNSET:
        if notes is not None and not isinstance(notes, str):
            raise ActionRefused("notes", "notes must be text")
        if notes is not None and len(notes) > 20000:
            raise ActionRefused("notes", "notes can be at most 20000 characters")
        lead.notes = notes
    db.session.commit()
    return lead
