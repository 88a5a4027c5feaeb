"""What a person sees of their notifications: the bell's count and its poll token, the news a poll
brings for desktop alerts, the keyset-paged list (the /notifications page and the API), and each
row's headline, target and customer.

The bell's poll (GET /notifications/bell, app.notifications.routes) must be cheap on every page of
every open tab, so the state it compares is one aggregate over the person's unread rows, read
through ix_notifications_user_unread (user_id, id WHERE read_at IS NULL) and capped at SCAN_CAP
rows: their in-app count, their highest id (a new row) and their latest `created_at` (a
`new_message` row counting up keeps its id and takes the new message's time,
app.notifications.create). Equal state: 204. A row committed after a later-stamped one can be
seen late by a poll (its time is not newer than the token's); it still counts in the bell, only
its desktop alert is skipped. Rows past the cap (a person with over SCAN_CAP unread) are not
watched; the badge says "99+" long before."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import g, url_for
from sqlalchemy import and_, case, func, or_, select

from app.extensions import db
from app.models import Contact, Conversation, InstagramAccount, Notification
from app.notifications.kinds import DESKTOP, IN_APP
from app.pagination import MAX_CURSOR_LENGTH, BadCursor, decode_token, encode_token
from app.scoping import valid_json_id

SCAN_CAP = 1000   # unread rows the bell's state reads at most
NEWS_MAX = 8      # desktop alerts one poll may bring (a burst shows its newest)
POLL_SECONDS = 10  # the bell's poll interval; tests may set BELL_POLL_SECONDS lower

HEADLINES = {
    "new_conversation": "New conversation",
    "new_message": "New message",
    "assigned": "Assigned to you",
    "mention": "You were mentioned",
    "follow_up_due": "Follow-up due",
    "account_attention": "Account needs attention",
}


def _unread_of(user_id: int):
    return and_(Notification.user_id == user_id, Notification.read_at.is_(None))


def in_app():
    return Notification.channels.op("&")(IN_APP) != 0


@dataclass(frozen=True)
class BellState:
    count: int                       # unread rows shown in the app
    newest_id: int                   # 0 with none
    newest_at: datetime | None
    # The top bar's other count, the inbox badge (app.inbox.queries.unread_total): the bell's poll
    # runs on every page, so a rep on the leads board or in Settings sees customers write too
    # (only the inbox has a poll of its own).
    inbox_unread: int = 0

    def token(self) -> str:
        return encode_token({"n": self.count, "m": self.newest_id,
                             "t": self.newest_at.isoformat() if self.newest_at else None, "u": self.inbox_unread})

    @classmethod
    def from_token(cls, token: str | None) -> BellState | None:
        """The state a client holds; None for a token this code did not make."""
        try:
            payload = decode_token(token or "", MAX_CURSOR_LENGTH)
            count, newest_id, at, inbox = payload["n"], payload["m"], payload["t"], payload.get("u", 0)
            if any(not isinstance(n, int) or isinstance(n, bool) or n < 0 for n in (count, inbox)):
                return None
            if newest_id != 0 and valid_json_id(newest_id) is None:
                return None
            moment = datetime.fromisoformat(at) if at is not None else None
            if moment is not None and moment.tzinfo is None:
                return None
        except (ValueError, TypeError, KeyError):
            return None
        return cls(count=count, newest_id=newest_id, newest_at=moment, inbox_unread=inbox)


def _bell_columns(user_id: int) -> tuple:
    """The newest SCAN_CAP unread rows of the person, aggregated: count shown, newest id and time."""
    recent = (select(Notification.id, Notification.created_at, Notification.channels)
              .where(_unread_of(user_id)).order_by(Notification.id.desc()).limit(SCAN_CAP).subquery())
    return (func.coalesce(func.sum(case((recent.c.channels.op("&")(IN_APP) != 0, 1), else_=0)), 0),
            func.coalesce(func.max(recent.c.id), 0),
            func.max(recent.c.created_at))


def bell_state(user_id: int) -> BellState:
    """The top bar's counts of the person: the bell's state and the inbox badge, in one statement
    (the bell's poll, and every full page through `page_counts`)."""
    from app.inbox.queries import unread_total_select

    from app.inbox.queries import UNREAD_BADGE_MAX

    unread = unread_total_select(user_id).scalar_subquery()
    total, count, newest_id, newest_at = db.session.execute(select(unread, *_bell_columns(user_id))).one()
    # Past the badge's "99+" the exact total changes nothing on screen: capped, so a busy inbox
    # does not turn every tab's bell poll into an answer.
    return BellState(count=int(count), newest_id=int(newest_id), newest_at=newest_at,
                     inbox_unread=min(int(total or 0), UNREAD_BADGE_MAX + 1))


def bell_changed(since: BellState | None, state: BellState) -> bool:
    """Whether the bell itself must be drawn again (not only the inbox badge beside it)."""
    return since is None or (since.count, since.newest_id, since.newest_at) != (state.count, state.newest_id, state.newest_at)


@dataclass(frozen=True)
class PageCounts:
    unread: int        # the inbox badge (app.inbox.queries.unread_total)
    bell: BellState


def page_counts(user) -> PageCounts:
    """`bell_state` of the signed-in person, read once per page (every full page draws both counts
    in the top bar) and kept for the rest of the request."""
    if "page_counts" not in g:
        state = bell_state(user.id)
        g.page_counts = PageCounts(unread=state.inbox_unread, bell=state)
    return g.page_counts


def news_since(user_id: int, since: BellState) -> list[Notification]:
    """Unread rows that go to the desktop and are newer than `since` (new, or counted up), newest
    first: what static/js/notify.js may show as system notifications."""
    newer = Notification.id > since.newest_id
    if since.newest_at is not None:
        newer = or_(newer, Notification.created_at > since.newest_at)
    recent = (select(Notification.id).where(_unread_of(user_id)).order_by(Notification.id.desc())
              .limit(SCAN_CAP).scalar_subquery())
    return list(db.session.scalars(
        select(Notification).where(Notification.id.in_(recent), Notification.channels.op("&")(DESKTOP) != 0, newer)
        .order_by(Notification.id.desc()).limit(NEWS_MAX)))


# -- the list -----------------------------------------------------------------------------------

def encode_page_cursor(notification_id: int) -> str:
    return encode_token({"before": notification_id})


def decode_page_cursor(cursor: str) -> int:
    try:
        payload = decode_token(cursor, MAX_CURSOR_LENGTH)
        before = valid_json_id(payload["before"]) if isinstance(payload, dict) else None
    except (ValueError, KeyError):
        before = None
    if before is None:
        raise BadCursor("cursor is not valid")
    return before


def page(user_id: int, *, unread_only: bool = False, cursor: str | None = None,
         limit: int = 30) -> tuple[list[Notification], str | None]:
    """The person's in-app notifications, newest first, keyset-paged by id along ix_notifications_user
    (or ix_notifications_user_unread); BadCursor for a cursor this code did not make."""
    query = select(Notification).where(Notification.user_id == user_id, in_app())
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if cursor:
        query = query.where(Notification.id < decode_page_cursor(cursor))
    rows = list(db.session.scalars(query.order_by(Notification.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_page_cursor(rows[-1].id) if more else None)


@dataclass(frozen=True)
class Shown:
    """A row as the bell's page and the desktop alert show it."""

    notification: Notification
    headline: str
    customer: str | None   # the conversation's customer, or the account for account_attention
    url: str               # where opening it leads


def headline(notification: Notification) -> str:
    title = HEADLINES[notification.type]
    if notification.type == "new_message" and notification.count > 1:
        return f"{notification.count} new messages"
    return title


def target_url(notification: Notification) -> str:
    if notification.conversation_id is not None:
        return url_for("inbox.conversation", conversation_id=notification.conversation_id)
    if notification.lead_id is not None:
        return url_for("leads.index")
    if notification.account_id is not None:
        return url_for("accounts.index")
    return url_for("notifications.index")


def shown(rows: list[Notification]) -> list[Shown]:
    """Headline, customer and target for each row; two queries whatever the number of rows."""
    conversation_ids = {n.conversation_id for n in rows if n.conversation_id}
    customers = {}
    if conversation_ids:
        customers = {cid: contact.display_name for cid, contact in db.session.execute(
            select(Conversation.id, Contact).join(Contact, Contact.id == Conversation.contact_id)
            .where(Conversation.id.in_(conversation_ids)))}
    account_ids = {n.account_id for n in rows if n.account_id and not n.conversation_id}
    accounts = dict(db.session.execute(
        select(InstagramAccount.id, InstagramAccount.username).where(InstagramAccount.id.in_(account_ids)))
    ) if account_ids else {}
    result = []
    for n in rows:
        customer = None
        if n.conversation_id in customers:
            customer = customers[n.conversation_id]
        elif n.account_id in accounts:
            customer = f"@{accounts[n.account_id]}" if accounts[n.account_id] else None
        result.append(Shown(n, headline(n), customer, target_url(n)))
    return result


def alert(item: Shown) -> dict:
    """What static/js/notify.js needs for one system notification. The tag is the conversation, so
    a busy chat replaces its previous alert instead of stacking."""
    n = item.notification
    title = f"{item.headline}: {item.customer}" if item.customer else item.headline
    tag = f"conversation-{n.conversation_id}" if n.conversation_id else f"notification-{n.id}"
    return {"id": n.id, "title": title, "body": n.text, "url": item.url, "tag": tag}
