"""An account's auto-assignment settings, as admins set them (the Accounts page and
`PATCH /api/v1/accounts/<id>`): the mode, and optionally the people it chooses among."""
from __future__ import annotations

from sqlalchemy import delete, select

from app.auth.users import workspace_members
from app.errors import ActionRefused
from app.extensions import db
from app.models import ASSIGNMENT_MODES, AccountAssignee, InstagramAccount, User

MODE_LABELS = {"off": "Off", "round_robin": "Round robin", "least_open": "Fewest open conversations"}
REASON_LABELS = {"round_robin": "round robin", "least_open": "fewest open conversations", "manual": "by hand"}


def chosen_assignee_ids(account_id: int) -> list[int]:
    """The people the account's auto-assignment is narrowed to (empty: every eligible member)."""
    return list(db.session.scalars(
        select(AccountAssignee.user_id).where(AccountAssignee.account_id == account_id).order_by(AccountAssignee.user_id)))


def check_mode(mode) -> str:
    if mode not in ASSIGNMENT_MODES:
        raise ActionRefused("assignment", "Choose off, round_robin or least_open.")
    return mode


def set_assignment(account: InstagramAccount, mode: str, assignee_ids=None) -> None:
    """Set the mode and, when `assignee_ids` is given (None leaves them), the chosen people:
    active members of the account's workspace, else ActionRefused naming `assignees`. The caller
    commits. A former member's row stays harmless: the picker takes active people only."""
    account.assignment = check_mode(mode)
    if assignee_ids is None:
        return
    people: list[User] = workspace_members(account.workspace_id, assignee_ids, field="assignees")
    db.session.execute(delete(AccountAssignee).where(AccountAssignee.account_id == account.id))
    db.session.add_all(AccountAssignee(account_id=account.id, user_id=person.id)
                       for person in sorted(people, key=lambda p: p.id))
