"""`PATCH /api/v1/accounts/<id>` (admins): how new conversations of the account are assigned
(docs/contract.md, "Pipeline, reports and integrations"). The rules are app.assignment.settings',
as for the Accounts page."""
from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from app import audit
from app.api import bp
from app.api.errors import ApiError
from app.api.params import invalid, json_body
from app.api.serializers import account_json
from app.assignment.settings import MODE_LABELS, chosen_assignee_ids, set_assignment
from app.extensions import db
from app.models import InstagramAccount
from app.scoping import get_or_404, valid_json_id


def _user_ids(body: dict) -> list[int]:
    value = body["assignees"]
    if not isinstance(value, list) or any(valid_json_id(item) is None for item in value):
        raise invalid("assignees", "assignees must be a list of user ids (positive integers)")
    return value


def account_with_assignment(account: InstagramAccount) -> dict:
    """The Account shape with its auto-assignment: the mode and the chosen people (empty: all)."""
    return {**account_json(account), "assignment": account.assignment,
            "assignees": chosen_assignee_ids(account.id)}


@bp.patch("/accounts/<int:account_id>")
def update_account(account_id: int):
    """422 naming `assignment` (not one of the modes) or `assignees` (not active members)."""
    if not current_user.is_admin:
        raise ApiError(403, "forbidden", "Only workspace admins can change an account's assignment.")
    account = get_or_404(InstagramAccount, account_id)
    body = json_body(("assignment", "assignees"))
    assignees = _user_ids(body) if "assignees" in body else None
    mode = body["assignment"] if "assignment" in body else account.assignment
    before = account.assignment
    set_assignment(account, mode, assignees)  # ActionRefused: 422 (app.api.routes)
    if before != account.assignment:
        audit.record("account.assignment", f"Auto-assignment of @{account.username or account.ig_user_id}: "
                     f"{MODE_LABELS[account.assignment].lower()}")
    db.session.commit()
    return jsonify(data=account_with_assignment(account))
