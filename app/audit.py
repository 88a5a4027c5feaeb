"""The audit log: who did what in a workspace, and when (Settings → Audit log, admins).

`record()` adds one entry to the caller's transaction, so an entry exists exactly when the change
it describes was committed. Entries are kept (nothing prunes them), read newest first by keyset
pages over (workspace_id, created_at, id), filterable by action and actor, exportable as CSV.
Summaries are written for a person and hold no secret: never a token, a link or a password."""
from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_login import current_user

from app.extensions import db
from app.models import AuditEntry, User, utcnow

# What an entry's action may be, grouped for the page's filter. The one list of them.
ACTIONS = {
    "team": ("team.invite", "team.invite_withdrawn", "team.joined", "team.role", "team.deactivate",
             "team.reactivate", "team.reassign", "team.password_link", "team.password_changed"),
    "accounts": ("account.connect", "account.disconnect", "account.subscribe", "account.assignment", "account.import"),
    "automation": ("automation.rule_created", "automation.rule_changed", "automation.rule_deleted",
                   "automation.settings"),
    "settings": ("settings.workspace", "token.created", "token.revoked"),
    "labels": ("label.created", "label.changed", "label.deleted"),
    "saved replies": ("saved_reply.created", "saved_reply.changed", "saved_reply.deleted"),
    "webhooks": ("webhook.replay",),
    "integrations": ("integration.created", "integration.paused", "integration.resumed", "integration.deleted"),
}
ALL_ACTIONS = tuple(action for group in ACTIONS.values() for action in group)
GROUP_OF = {action: group for group, actions in ACTIONS.items() for action in actions}  # the page's "What" tag


def record(action: str, summary: str, *, workspace_id: int | None = None, actor: User | None = None,
           **detail: Any) -> AuditEntry:
    """One entry in the current transaction. In a request the actor and workspace default to the
    signed-in user's; from the CLI pass `workspace_id` (the actor is then "command line")."""
    if action not in ALL_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user._get_current_object()
    if workspace_id is None:
        if actor is None:
            raise ValueError("an audit entry needs a workspace")
        workspace_id = actor.workspace_id
    entry = AuditEntry(workspace_id=workspace_id, actor_id=actor.id if actor else None,
                       actor_name=(actor.email if actor else "command line"), action=action,
                       summary=summary[:500], detail=detail, created_at=utcnow())
    db.session.add(entry)
    return entry
