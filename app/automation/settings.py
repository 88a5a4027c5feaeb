"""A workspace's automation settings: business hours and time zone, the pause after a human reply,
how often the away reply may repeat, the knowledge text for AI, and the AI auto-answer switch."""
from __future__ import annotations

from collections.abc import Mapping

from app.automation.hours import WEEKDAYS, HoursInvalid, parse_day, valid_timezone
from app.errors import ActionRefused
from app.extensions import db
from app.models import AutomationSettings
from app.models.automation import DEFAULT_AWAY_EVERY_HOURS, DEFAULT_BUSINESS_HOURS, DEFAULT_PAUSE_MINUTES

MAX_PAUSE_MINUTES = 7 * 24 * 60
MAX_AWAY_EVERY_HOURS = 7 * 24
MAX_KNOWLEDGE_CHARS = 20000


def workspace_settings(workspace_id: int) -> AutomationSettings:
    """The saved settings, or the defaults (an unsaved row) when an admin never saved any."""
    row = db.session.get(AutomationSettings, workspace_id)
    if row is not None:
        return row
    from app.models import Workspace

    workspace = db.session.get(Workspace, workspace_id)
    return AutomationSettings(  # business hours start in the workspace's own time zone
        workspace_id=workspace_id, timezone=(workspace.timezone if workspace else None) or "UTC", business_hours={k: [list(i) for i in v] for k, v in DEFAULT_BUSINESS_HOURS.items()},
        knowledge=None, ai_auto_reply=False, pause_minutes=DEFAULT_PAUSE_MINUTES, away_every_hours=DEFAULT_AWAY_EVERY_HOURS,
    )


def _whole_number(form: Mapping, field: str, label: str, low: int, high: int) -> int:
    raw = (form.get(field) or "").strip()
    try:
        value = int(raw)
    except ValueError:
        raise ActionRefused(field, f"{label} must be a whole number.") from None
    if not low <= value <= high:
        raise ActionRefused(field, f"{label} must be between {low} and {high}.")
    return value


def parse_settings_form(form: Mapping) -> dict:
    """Validated values from the settings form; ActionRefused names the first bad field."""
    try:
        timezone = valid_timezone(form.get("timezone"))
    except HoursInvalid as exc:
        raise ActionRefused("timezone", str(exc)) from None
    hours = {}
    for day, name in enumerate(WEEKDAYS):
        try:
            intervals = parse_day(form.get(f"hours_{day}"), name)
        except HoursInvalid as exc:
            raise ActionRefused(f"hours_{day}", str(exc)) from None
        if intervals:
            hours[str(day)] = intervals
    knowledge = (form.get("knowledge") or "").strip()
    if len(knowledge) > MAX_KNOWLEDGE_CHARS:
        raise ActionRefused("knowledge", f"The knowledge text can be at most {MAX_KNOWLEDGE_CHARS:,} characters "
                                         f"(it has {len(knowledge):,}).")
    return {
        "timezone": timezone,
        "business_hours": hours,
        "pause_minutes": _whole_number(form, "pause_minutes", "The pause after a human reply", 0, MAX_PAUSE_MINUTES),
        "away_every_hours": _whole_number(form, "away_every_hours", "The away reply interval", 1, MAX_AWAY_EVERY_HOURS),
        "knowledge": knowledge or None,
        "ai_auto_reply": form.get("ai_auto_reply") in ("on", "1", "true", "yes"),
    }


def save_settings(workspace_id: int, form: Mapping) -> AutomationSettings:
    values = parse_settings_form(form)
    row = db.session.get(AutomationSettings, workspace_id)
    if row is None:
        row = AutomationSettings(workspace_id=workspace_id)
        db.session.add(row)
    for key, value in values.items():
        setattr(row, key, value)
    db.session.commit()
    return row
