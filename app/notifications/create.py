"""Writing notifications, always in the transaction of the event that causes them, so that a
notification exists exactly when its event does (an inbound message, an assignment, a note) and a
rollback takes both away. Nothing here sends anything: push and mail go out later by jobs that read
the `push_pending` / `email_pending` flags (app.notifications.push and .email), so a Redis outage delays
them and loses nothing.

Who is told what (app.notifications.kinds has the defaults):
- `new_conversation`: every active member, while the new conversation has no assignee;
- `new_message`: the conversation's assignee, one unread row per conversation that counts up;
- `assigned`, `mention`, `follow_up_due`: the person concerned, never for what they did themselves;
- `account_attention`: the workspace's active admins.
Each person's preferences decide the row's channels; a type switched off everywhere writes nothing.

Ingestion's statements (`on_inbound`) are textual SQL made once per size, like app.inbox.unread's
fan-out: the users × conversations product is made by the database in one round trip per delivery.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Iterable

from flask import current_app
from sqlalchemy import Boolean, Integer, String, bindparam, select, text, update

from app.extensions import db
from app.jobs.after_commit import enqueue_after_commit
from app.models import Notification, NotificationPreference, PushSubscription, User, UTCDateTime, utcnow
from app.notifications.kinds import ADMIN_TYPES, DEFAULT_CHANNELS, EMAIL, EMAIL_TYPES, PUSH, allowed_channels

TEXT_MAX = 300


def _mail_on() -> bool:
    return bool(current_app.config.get("MAIL_URL"))


def preferences(user_ids: Iterable[int], type_: str) -> dict[int, int]:
    """Each person's channels for `type_` (their stored choice, else the default)."""
    ids = sorted(set(user_ids))
    stored = dict(db.session.execute(
        select(NotificationPreference.user_id, NotificationPreference.channels)
        .where(NotificationPreference.user_id.in_(ids), NotificationPreference.type == type_)
    ).all()) if ids else {}
    return {uid: stored.get(uid, DEFAULT_CHANNELS[type_]) & allowed_channels(type_) for uid in ids}


def notify(workspace_id: int, type_: str, user_ids: Iterable[int], *, text_: str = "",
           conversation_id: int | None = None, lead_id: int | None = None, account_id: int | None = None,
           actor_id: int | None = None, now: datetime | None = None) -> list[Notification]:
    """Notify the given members (inactive ones, other workspaces' and the actor are left out) in
    the caller's transaction; the caller commits. Returns the rows written."""
    wanted = set(user_ids) - {actor_id}
    if not wanted:
        return []
    query = select(User.id).where(User.id.in_(sorted(wanted)), User.workspace_id == workspace_id, User.active)
    if type_ in ADMIN_TYPES:
        query = query.where(User.role == "admin")
    members = list(db.session.scalars(query))
    channels = preferences(members, type_)
    with_devices = set(db.session.scalars(
        select(PushSubscription.user_id).where(PushSubscription.user_id.in_(members)).distinct())) if members else set()
    mail = _mail_on() and type_ in EMAIL_TYPES
    rows = []
    for user_id in members:
        if not channels[user_id]:
            continue  # switched off everywhere
        rows.append(Notification(
            workspace_id=workspace_id, user_id=user_id, type=type_, conversation_id=conversation_id,
            lead_id=lead_id, account_id=account_id, actor_id=actor_id, text=(text_ or "")[:TEXT_MAX],
            channels=channels[user_id], created_at=now or utcnow(),
            push_pending=bool(channels[user_id] & PUSH) and user_id in with_devices,
            email_pending=mail and bool(channels[user_id] & EMAIL)))
    db.session.add_all(rows)
    if any(row.push_pending for row in rows):
        _push_after_commit()
    return rows


def notify_admins(workspace_id: int, type_: str, **kwargs) -> list[Notification]:
    admins = db.session.scalars(select(User.id).where(User.workspace_id == workspace_id, User.role == "admin"))
    return notify(workspace_id, type_, list(admins), **kwargs)


@dataclass(frozen=True)
class Arrival:
    """New customer messages in one conversation, for `on_inbound`."""

    conversation_id: int
    count: int
    text: str          # the newest message's preview line
    new_thread: bool   # the conversation was created by this delivery
    # Its assignee as the caller holds the row, locked (None: nobody). An existing thread's message
    # is for its assignee only, so with none there is nobody to tell and no statement to send.
    assignee_id: int | None


def on_inbound(arrivals: list[Arrival], now: datetime) -> None:
    """A delivery's new customer messages: `new_conversation` for every member while a new thread is
    unassigned, `new_message` for the assignee of an existing one (counting up an unread row). Two
    statements at most, whatever the team's size."""
    fresh = sorted((a for a in arrivals if a.new_thread and a.count), key=lambda a: a.conversation_id)
    known = sorted((a for a in arrivals if not a.new_thread and a.count and a.assignee_id is not None),
                   key=lambda a: a.conversation_id)
    pushed = False
    mail = _mail_on()
    if fresh:
        pushed |= db.session.execute(_fan_out(len(fresh), "new_conversation"),
                                     _params(fresh, now, mail, "new_conversation")).rowcount > 0
    if known:
        pushed |= db.session.execute(_fan_out(len(known), "new_message"),
                                     _params(known, now, mail, "new_message")).rowcount > 0
    if pushed:
        # Whether any row wants a push is not returned (that would cost RETURNING on every
        # delivery); the push job finds nothing to do when none does.
        _push_after_commit()


def retell(conversation_id: int, before: str, after: str) -> None:
    """A customer edited or unsent a message: the notifications that quote it (their text is the
    conversation's preview when it arrived) say what it says now ("Message deleted" once unsent).
    A push or mail already sent cannot be taken back; what the bell shows can. Matched by the words
    (a notification does not name its message): another notification of the same conversation
    quoting the very same words ("ok") is rewritten too. The caller commits."""
    if before and before != after:
        db.session.execute(update(Notification).where(
            Notification.conversation_id == conversation_id, Notification.text == before[:TEXT_MAX])
            .values(text=after[:TEXT_MAX]).execution_options(synchronize_session=False))


def _push_after_commit() -> None:
    """Rows of this transaction want a push: `deliver_push` goes out once it commits (and never
    when it rolls back). Nothing is queued while push is off (no VAPID keys)."""
    from app.notifications.jobs import deliver_push
    from app.pwa import vapid

    if vapid.enabled():
        enqueue_after_commit(deliver_push)


def _params(arrivals: list[Arrival], now: datetime, mail: bool, type_: str) -> dict:
    params = {"now": now, "mail": mail and type_ in EMAIL_TYPES, "default": DEFAULT_CHANNELS[type_],
              "allowed": allowed_channels(type_)}
    for n, arrival in enumerate(arrivals):
        params.update({f"c{n}": arrival.conversation_id, f"n{n}": arrival.count, f"t{n}": (arrival.text or "")[:TEXT_MAX]})
    return params


@lru_cache(maxsize=32)
def _fan_out(size: int, type_: str):
    """The statement for `size` conversations. Recipients: for a new thread every active member
    while it has no assignee; for an existing one its active assignee. The same SQL on PostgreSQL
    and SQLite (3.35+; `&` is bitwise AND in both)."""
    values = ", ".join(f"(:c{n}, :n{n}, :t{n})" for n in range(size))
    if type_ == "new_conversation":
        join = "JOIN users ON users.workspace_id = conversations.workspace_id"
        where = "users.active AND conversations.assignee_id IS NULL"
        conflict = ""
    else:
        join = "JOIN users ON users.id = conversations.assignee_id"
        where = "users.active"
        # One unread row per person and conversation (ux_notifications_open_message) counts up.
        conflict = (" ON CONFLICT (user_id, conversation_id) WHERE read_at IS NULL AND type = 'new_message' "
                    "DO UPDATE SET count = notifications.count + excluded.count, text = excluded.text, "
                    "created_at = excluded.created_at, "
                    "push_pending = notifications.push_pending OR excluded.push_pending, "
                    "email_pending = notifications.email_pending OR excluded.email_pending")
    channels = "(COALESCE(notification_preferences.channels, :default) & :allowed)"
    sql = (
        f"WITH arrived (conversation_id, count, text) AS (VALUES {values}) "
        "INSERT INTO notifications (workspace_id, user_id, type, conversation_id, text, count, channels, "
        "created_at, push_pending, email_pending) "
        f"SELECT conversations.workspace_id, users.id, '{type_}', conversations.id, arrived.text, arrived.count, "
        f"{channels}, :now, "
        f"({channels} & {PUSH}) <> 0 AND EXISTS (SELECT 1 FROM push_subscriptions "
        "WHERE push_subscriptions.user_id = users.id), "
        f":mail AND ({channels} & {EMAIL}) <> 0 "
        "FROM arrived JOIN conversations ON conversations.id = arrived.conversation_id "
        f"{join} "
        "LEFT JOIN notification_preferences ON notification_preferences.user_id = users.id "
        f"AND notification_preferences.type = '{type_}' "
        f"WHERE {where} AND {channels} <> 0"
        f"{conflict}"
    )
    binds = [bindparam("now", type_=UTCDateTime()), bindparam("mail", type_=Boolean()),
             bindparam("default", type_=Integer()), bindparam("allowed", type_=Integer())]
    for n in range(size):
        binds += [bindparam(f"c{n}", type_=Integer()), bindparam(f"n{n}", type_=Integer()),
                  bindparam(f"t{n}", type_=String())]
    return text(sql).bindparams(*binds)
