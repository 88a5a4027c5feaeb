"""Who counts as a user of a workspace when work is handed to someone: the one rule for a
conversation's assignee (app.inbox.actions) and a lead's owner (app.leads.actions)."""
from __future__ import annotations

from sqlalchemy import select

from app.errors import ActionRefused
from app.extensions import db
from app.models import User
from app.scoping import valid_id


def workspace_member(workspace_id: int, user_id, *, field: str) -> User:
    """The active user `user_id` of this workspace, or ActionRefused naming `field`. A user of
    another workspace is refused as if it did not exist; a deactivated one (a former member)
    keeps the work they had but is given none."""
    user_id = valid_id(user_id)
    user = None if user_id is None else db.session.scalar(
        select(User).where(User.id == user_id, User.workspace_id == workspace_id))
    if user is None:
        raise ActionRefused(field, "no such user in this workspace")
    if not user.is_active:
        raise ActionRefused(field, f"{user.display_name} is a former member; choose an active one")
    return user
