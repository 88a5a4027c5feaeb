"""The simulator's "past conversation": messages put into the stand-in's Conversations API for one
account, as if exchanged before it was connected, for the history import (Accounts → Import
history) to find. Nothing is written to the inbox here: the import brings it in, by its own path.

One message per line; a line starting with ">" is the business's answer. The lines are spread two
minutes apart, starting the chosen number of days ago.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app

from app.demo.simulator import SimulationRefused, _account, _customer
from app.models import InstagramAccount
from app.standin import new_mid

MAX_LINES = 20
MAX_DAYS_AGO = 60
MAX_LINE_CHARS = 1000


@dataclass(frozen=True)
class HistorySeed:
    account: InstagramAccount
    username: str
    messages: int
    days_ago: int


def seed_history(form: Mapping[str, str]) -> HistorySeed:
    """Validate the form and add the lines to the mounted stand-in's history; SimulationRefused
    (naming the field) on bad input, nothing added then."""
    control = current_app.extensions.get("standin")
    if control is None:
        raise SimulationRefused("history_text", "The Meta stand-in is not mounted here (demo mode only).")
    account = _account(form.get("account_id"))
    username, igsid = _customer(account, form.get("username"), form.get("contact_id"))
    raw_days = (form.get("days_ago") or "").strip()
    if not raw_days.isdigit() or not 1 <= int(raw_days) <= MAX_DAYS_AGO:
        raise SimulationRefused("days_ago", f"Say how many days ago it happened: 1 to {MAX_DAYS_AGO}.")
    lines = [line.strip() for line in (form.get("history_text") or "").splitlines() if line.strip()]
    if not lines:
        raise SimulationRefused("history_text", "Type the conversation, one message per line.")
    if len(lines) > MAX_LINES or any(len(line) > MAX_LINE_CHARS for line in lines):
        raise SimulationRefused("history_text", f"Keep it to {MAX_LINES} lines of at most {MAX_LINE_CHARS} characters.")
    start = control.now() - int(raw_days) * 86400
    messages = []
    for n, line in enumerate(lines):
        ours = line.startswith(">")
        text = line[1:].strip() if ours else line
        if text:
            messages.append({"mid": new_mid(account.ig_user_id), "at": start + n * 120, "from_customer": not ours,
                             "text": text})
    if not messages:
        raise SimulationRefused("history_text", "Type the conversation, one message per line.")
    control.add_history(account.ig_user_id, igsid, messages)
    return HistorySeed(account=account, username=username, messages=len(messages), days_ago=int(raw_days))
