"""Who counts as a user of a workspace when work is handed to someone or someone is called in: the
one rule for a conversation's assignee (app.inbox.actions), a lead's owner (app.leads.actions) and
the teammates a private note mentions (app.inbox.mentions)."""
from __future__ import annotations

from sqlalchemy import select

from app.errors import ActionRefused
from app.extensions import db
from app.models import User
from app.scoping import valid_id

NO_SUCH_USER = "no such user in this workspace"


def workspace_member(workspace_id: int, user_id, *, field: str) -> User:
    """The active user `user_id` of this workspace, or ActionRefused naming `field`. A user of
    another workspace is refused as if it did not exist; a deactivated one (a former member)
    keeps the work they had but is given none."""
    [user] = workspace_members(workspace_id, [user_id], field=field)
    return user


def workspace_members(workspace_id: int, user_ids, *, field: str) -> list[User]:
    """`workspace_member` for several ids in one query: the users in the order given (each once),
    or ActionRefused naming `field` for the first id that is not an active member."""
    wanted = []
    for raw in user_ids:
        user_id = valid_id(raw)
        if user_id is None:
            raise ActionRefused(field, NO_SUCH_USER)
        if user_id not in wanted:
            wanted.append(user_id)
    found = {user.id: user for user in db.session.scalars(
        select(User).where(User.id.in_(wanted), User.workspace_id == workspace_id))} if wanted else {}
    for user_id in wanted:
        user = found.get(user_id)
        if user is None:
            raise ActionRefused(field, NO_SUCH_USER)
        if not user.is_active:
            raise ActionRefused(field, f"{user.display_name} is a former member; choose an active one")
    return [found[user_id] for user_id in wanted]
