"""Follow-ups: when a lead should be picked up again, who is reminded, and the due list.

- Whose follow-up it is: the lead's owner, else (no owner) the assignee of its conversation. The
  due list's "mine" and the clock's `follow_up_due` reminder (app.leads.jobs) follow this one rule.
- Times: the panel's quick picks and its `datetime-local` field are read in the viewer's zone
  (app.inbox.localtime), stored in UTC; "today" on the due list is the viewer's day.
- The due list reads `ix_leads_follow_up` (workspace, next_follow_up_at; only leads with one)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.inbox.localtime import UnusableMoment, typed_moment, user_zone
from app.models import Contact, Conversation, Lead, User, utcnow
from app.scoping import scoped

QUICK_PICKS = {
    "tomorrow": "Tomorrow 9:00",
    "monday": "Next Monday 9:00",
    "3days": "In 3 days",
}
UPCOMING_LIMIT = 100  # the due list shows this many upcoming ones (overdue and today are never cut)
DUE_LIST_LIMIT = 500


def follow_up_time(preset: str | None, custom: str | None, now: datetime | None = None) -> datetime | None:
    """The follow-up a form chose, in UTC: a quick pick, or a `datetime-local` value read in the
    viewer's zone. None for an empty choice; ValueError (with a sentence) for one that cannot be read.
    Whether the time is acceptable is app.leads.actions' rule."""
    now = now or utcnow()
    zone = user_zone()
    today = now.astimezone(zone).date()
    if preset:
        if preset == "tomorrow":
            day = today + timedelta(days=1)
        elif preset == "monday":
            day = today + timedelta(days=7 - today.weekday())  # the coming Monday (a week on when today is one)
        elif preset == "3days":
            day = today + timedelta(days=3)
        else:
            raise ValueError("Choose one of the quick picks.")
        return datetime.combine(day, time(9, 0), tzinfo=zone).astimezone(timezone.utc)
    if custom and custom.strip():
        try:
            return typed_moment(custom, zone)
        except UnusableMoment as exc:
            raise ValueError("That is not a date and time." if exc.unreadable else "That date is out of range.") from None
    return None


def local_input_value(value: datetime | None) -> str:
    """A stored time as a `datetime-local` field's value in the viewer's zone ("2030-01-31T09:00")."""
    if value is None:
        return ""
    return value.astimezone(user_zone()).strftime("%Y-%m-%dT%H:%M")


def follower_id(lead: Lead) -> int | None:
    """Who follows this lead up: its owner, else its conversation's assignee."""
    if lead.owner_id is not None:
        return lead.owner_id
    return lead.conversation.assignee_id if lead.conversation is not None else None


def reminds_someone(lead: Lead) -> bool:
    """Whether a follow-up on this lead would be on someone's list and remind them: its follower is
    an active member (a former member's follow-ups remind no one: app.notifications.create)."""
    follower = follower_id(lead)
    return follower is not None and bool(db.session.scalar(select(User.active).where(User.id == follower)))


def _mine(user_id: int):
    return or_(Lead.owner_id == user_id, and_(Lead.owner_id.is_(None), Conversation.assignee_id == user_id))


@dataclass
class DueList:
    overdue: list[Lead] = field(default_factory=list)
    today: list[Lead] = field(default_factory=list)
    upcoming: list[Lead] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.today or self.upcoming)


def due_list(user, everyone: bool = False, now: datetime | None = None) -> DueList:
    """The workspace's follow-ups in time order, in three groups: overdue (due before now), today
    (the rest of the viewer's day) and upcoming; only `user`'s unless `everyone`."""
    now = now or utcnow()
    zone = user_zone()
    end_of_today = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(0), tzinfo=zone)
    query = (scoped(Lead).outerjoin(Conversation, Conversation.id == Lead.conversation_id)
             .where(Lead.next_follow_up_at.is_not(None))
             .options(joinedload(Lead.contact).joinedload(Contact.account), joinedload(Lead.owner),
                      joinedload(Lead.conversation).joinedload(Conversation.assignee))
             .order_by(Lead.next_follow_up_at, Lead.id).limit(DUE_LIST_LIMIT))
    if not everyone:
        query = query.where(_mine(user.id))
    result = DueList()
    for lead in db.session.scalars(query).unique():
        if lead.next_follow_up_at <= now:
            result.overdue.append(lead)
        elif lead.next_follow_up_at < end_of_today:
            result.today.append(lead)
        elif len(result.upcoming) < UPCOMING_LIMIT:
            result.upcoming.append(lead)
    return result
