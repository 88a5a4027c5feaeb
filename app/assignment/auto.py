"""Auto-assignment: ingestion gives each new conversation, and each unassigned one that a customer's
message reopens, to an available person, in turn (round robin) or to whoever has the fewest open
conversations (least open, ties in turn).

Who can be picked: active agents and admins of the workspace (admins answer customers in small teams;
an admin who should not get any is left out by the account's chosen people, or says "away") who are
effectively available (app.assignment.availability), narrowed to the account's chosen people
(account_assignees) when an admin chose some. Nobody available: the conversation stays unassigned
and everyone is told about it as before (app.notifications.create.on_inbound).

Fairness under concurrent deliveries: the account row is locked (SELECT ... FOR NO KEY UPDATE) before its
turn (`assignment_last_user_id`) is read, and the turn moves in the same transaction, so deliveries
for the same account take turns one after the other: no two conversations get the same turn and no
turn is skipped. Least open counts open conversations across the whole workspace, so a per-account
lock is not enough there: two accounts sharing people, with deliveries at the same instant, would
both see the same person as least loaded. So before any account row, a transaction-scoped advisory
lock keyed by the workspace is taken (`_lock_workspaces`): every auto-assignment of a workspace runs
one after the other. Locks are taken after the delivery's conversation rows (workspaces, then
accounts, each in id order), the same order `finish()`'s last_webhook_at update already takes the
account in.

Manual assignment always wins: only conversations with no assignee are considered, and a person's
assignment (app.inbox.actions.assign_all) records the reason "manual".
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Iterable

from sqlalchemy import Integer, cast, func, literal, select, update

from app.assignment.availability import available_clause
from app.extensions import db
from app.integrations import events as webhook_events
from app.leads import ownership
from app.models import AccountAssignee, Conversation, InstagramAccount, User, Workspace, utcnow
from app.notifications import events as notification_events

ELIGIBLE_ROLES = ("agent", "admin")
# Conversations that still need their assignee's work: least open counts these.
OPEN_STATUSES = ("open", "pending")


def candidates(account: InstagramAccount, auto_away_minutes: int, now: datetime) -> list[int]:
    """Ids of the people the account may assign to right now, in turn order (by id)."""
    query = (select(User.id).where(User.workspace_id == account.workspace_id, User.role.in_(ELIGIBLE_ROLES),
                                   available_clause(auto_away_minutes, now))
             .order_by(User.id))
    chosen = select(AccountAssignee.user_id).where(AccountAssignee.account_id == account.id)
    if db.session.scalar(select(chosen.exists())):
        query = query.where(User.id.in_(chosen))
    return list(db.session.scalars(query))


def in_turn(ids: list[int], last: int | None) -> list[int]:
    """`ids` (ascending) starting with the first one after `last`, wrapping around."""
    if last is None:
        return list(ids)
    after = [i for i in ids if i > last]
    return after + [i for i in ids if i <= last]


def open_counts(workspace_id: int, user_ids: list[int]) -> dict[int, int]:
    """Open and pending conversations assigned to each person, in the whole workspace (their load,
    whichever account it came from)."""
    rows = db.session.execute(
        select(Conversation.assignee_id, func.count())
        .where(Conversation.workspace_id == workspace_id, Conversation.assignee_id.in_(user_ids),
               Conversation.status.in_(OPEN_STATUSES))
        .group_by(Conversation.assignee_id)).all()
    counts = {user_id: 0 for user_id in user_ids}
    counts.update({user_id: count for user_id, count in rows})
    return counts


def _pick(mode: str, ids: list[int], last: int | None, counts: dict[int, int] | None) -> int:
    order = in_turn(ids, last)
    if mode == "least_open":
        # min() keeps the first of equals: ties go to whoever is next in turn.
        return min(order, key=lambda user_id: counts[user_id])
    return order[0]


def release_from_former_members(conversation_ids: list[int]) -> int:
    """Conversations coming back (a customer's message reopens them, a snooze runs out) whose
    assignee has left the team (deactivated) are nobody's now: unassigned, in the caller's
    transaction, so auto-assignment or the Unassigned view gives them to someone present rather
    than to a name nobody answers for ("Reassign their work" hands over only what is open; a
    customer may come back months later). Returns how many; the session's rows follow."""
    if not conversation_ids:
        return 0
    former = select(User.id).where(User.active.is_(False))
    return db.session.execute(
        update(Conversation).where(Conversation.id.in_(conversation_ids), Conversation.assignee_id.in_(former))
        .values(assignee_id=None, assignment_reason=None, assigned_at=None)
        .execution_options(synchronize_session="fetch")).rowcount or 0


def assign_arrivals(conversations: Iterable[Conversation], now: datetime | None = None, *,
                    lead_owners: bool = True) -> list[Conversation]:
    """Give each unassigned conversation of an account with auto-assignment on to the next person,
    in the caller's transaction (the caller commits; rows are flushed). Conversations in id order;
    returns those assigned. The assignee gets an `assigned` notification and a
    `conversation.assigned` webhook event in the same transaction. `lead_owners=False`: the caller
    gives their leads the assignee itself (ingestion: a new conversation's lead does not exist yet)."""
    now = now or utcnow()
    by_account: dict[int, list[Conversation]] = defaultdict(list)
    for conversation in conversations:
        if conversation.assignee_id is None:
            by_account[conversation.account_id].append(conversation)
    assigned: list[Conversation] = []
    _lock_workspaces({c.workspace_id for theirs in by_account.values() for c in theirs})
    for account_id in sorted(by_account):  # one lock order for every delivery
        account = db.session.scalar(
            select(InstagramAccount).where(InstagramAccount.id == account_id)
            # FOR NO KEY UPDATE: the delivery already holds FOR KEY SHARE on this row (its new rows'
            # foreign keys); plain FOR UPDATE conflicts with another delivery's KEY SHARE and the two
            # upgrades deadlock. NO KEY UPDATEs still exclude each other, which serialises the turn.
            .with_for_update(key_share=True).execution_options(populate_existing=True))
        if account is None or account.assignment == "off":
            continue  # turned off since the delivery read it
        auto_away = db.session.scalar(select(Workspace.auto_away_minutes).where(Workspace.id == account.workspace_id))
        ids = candidates(account, auto_away, now)
        if not ids:
            continue  # nobody available: unassigned, and everyone hears of it
        counts = open_counts(account.workspace_id, ids) if account.assignment == "least_open" else None
        for conversation in sorted(by_account[account_id], key=lambda c: c.id):
            user_id = _pick(account.assignment, ids, account.assignment_last_user_id, counts)
            conversation.assignee_id = user_id
            conversation.assignment_reason = account.assignment
            conversation.assigned_at = now
            account.assignment_last_user_id = user_id
            if counts is not None:
                counts[user_id] += 1
            assigned.append(conversation)
    if assigned:
        db.session.flush()
        if lead_owners:
            ownership.follow_assignees(assigned, now)  # their leads without an owner become the assignee's
        _announce(assigned)
    return assigned


# The first key of PostgreSQL's two-key advisory locks: auto-assignment's namespace (the second key is
# the workspace id), so no other advisory lock taken by id can collide with it.
WORKSPACE_LOCK_SPACE = 0x4153  # "AS"


def _lock_workspaces(workspace_ids: set[int]) -> None:
    """Serialise auto-assignment per workspace until the transaction ends (see the module's
    docstring). Taken for both modes, not only least open: a mode is only known for sure under the
    account's lock, which must come after this one, and an account switched to least open in between
    would otherwise count unlocked. Round robin pays little: the lock is held from here to the
    delivery's commit, a few statements. SQLite needs nothing: it has one writer at a time."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for workspace_id in sorted(workspace_ids):
        db.session.execute(select(func.pg_advisory_xact_lock(cast(literal(WORKSPACE_LOCK_SPACE), Integer),
                                                              cast(literal(workspace_id), Integer))))


def _announce(assigned: list[Conversation]) -> None:
    """The assignee's `assigned` notification and the CRM's webhook event, per person and workspace."""
    by_user: dict[int, list[Conversation]] = defaultdict(list)
    by_workspace: dict[int, list[Conversation]] = defaultdict(list)
    for conversation in assigned:
        by_user[conversation.assignee_id].append(conversation)
        by_workspace[conversation.workspace_id].append(conversation)
    for user_id, theirs in by_user.items():
        notification_events.conversations_assigned(theirs, user_id, None)
    for theirs in by_workspace.values():
        webhook_events.conversations_assigned(theirs)
