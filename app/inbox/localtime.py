"""The viewer's local time: clock times, day headings and snooze presets in their time zone.

The browser reports its IANA zone in a `tz` cookie (static/js/app.js); the server renders every
time with it so full pages and htmx fragments agree. Without the cookie (first visit, no JS) times
are shown in UTC, which is still correct, only less convenient."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import has_request_context, request

from app.models import utcnow

TZ_COOKIE = "tz"


_ZONE_MEMO = "igdm.localtime.zone"


def user_zone():
    """The zone the signed-in person chose in their profile; else the browser's (its `tz`
    cookie); else, before the browser has said, the workspace's. Worked out once per request
    (a list page asks for every time it shows) and kept in its environ, which lives exactly as
    long as the request; `forget_zone` after a change of zone or of who is signed in."""
    if not has_request_context():
        return timezone.utc
    zone = request.environ.get(_ZONE_MEMO)
    if zone is None:
        zone = request.environ[_ZONE_MEMO] = _zone_of_request()
    return zone


def forget_zone() -> None:
    """The request's zone is to be worked out again (the person or workspace changed theirs, or
    someone signed in)."""
    if has_request_context():
        request.environ.pop(_ZONE_MEMO, None)


def _zone_of_request():
    if request.path.startswith("/api/"):
        return timezone.utc  # the JSON API speaks UTC, whoever asks
    name = _profile_zone_name() or unquote(request.cookies.get(TZ_COOKIE) or "").strip()
    if not name or len(name) > 64:
        name = _workspace_zone_name()
    try:
        return ZoneInfo(name) if name else timezone.utc
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return timezone.utc


def _profile_zone_name() -> str | None:
    from flask_login import current_user

    if current_user and current_user.is_authenticated:
        return current_user.timezone
    return None


def _workspace_zone_name() -> str | None:
    from flask_login import current_user

    if current_user and current_user.is_authenticated:
        return current_user.workspace.timezone
    return None


def to_local(value: datetime | None) -> datetime | None:
    """`value` in the viewer's zone; in UTC when that would leave datetime's range (a time
    within hours of year 1 or 9999, e.g. a row stored before ingestion bounded event times)."""
    if not value:
        return None
    try:
        return value.astimezone(user_zone())
    except OverflowError:
        return value.astimezone(timezone.utc)


# Times read from users and tokens are kept this far inside datetime's range, so that showing
# them in any zone (offsets stay within a day) or subtracting a short overlap cannot overflow.
_EDGE = timedelta(days=2)
EARLIEST = datetime.min.replace(tzinfo=timezone.utc) + _EDGE
LATEST = datetime.max.replace(tzinfo=timezone.utc) - _EDGE


def in_utc(value: datetime) -> datetime:
    """An aware datetime from user input, in UTC; ValueError when it is too near year 1 or 9999
    to be a real moment (converting or shifting it would overflow)."""
    try:
        moment = value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("the date is out of range") from None
    if not EARLIEST <= moment <= LATEST:
        raise ValueError("the date is out of range")
    return moment


def clock(value: datetime | None) -> str:
    """"14:05" in the viewer's zone."""
    local = to_local(value)
    return local.strftime("%H:%M") if local else ""


def day_label(value: datetime | None, now: datetime | None = None) -> str:
    """"Today", "Yesterday", "Monday 3 March", "3 March 2023" — headings between days in a thread."""
    local = to_local(value)
    if local is None:
        return ""
    today = (now or utcnow()).astimezone(user_zone()).date()
    day = local.date()
    if day == today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    if day.year == today.year:
        return f"{local.strftime('%A')} {day.day} {local.strftime('%B')}"
    return f"{day.day} {local.strftime('%B')} {day.year}"


def local_day(value: datetime) -> date:
    return to_local(value).date()


def day_start_utc(day: date) -> datetime:
    """Local midnight of `day`, in UTC: the sort key of that day's heading in the thread."""
    try:
        return datetime.combine(day, time(0, 0), tzinfo=user_zone()).astimezone(timezone.utc)
    except OverflowError:  # year 1 east of UTC: the day's UTC midnight sorts the same
        return datetime.combine(day, time(0, 0), tzinfo=timezone.utc)


def short_datetime(value: datetime | None, now: datetime | None = None) -> str:
    """"Tue 4 Mar, 14:05" (the year only when it is not this one) — for list rows."""
    local = to_local(value)
    if local is None:
        return ""
    this_year = (now or utcnow()).astimezone(user_zone()).year
    year = "" if local.year == this_year else f" {local.year}"
    return f"{local.strftime('%a')} {local.day} {local.strftime('%b')}{year}, {local.strftime('%H:%M')}"


def full_datetime(value: datetime | None) -> str:
    """"Tue 4 Mar 2025, 14:05" — for tooltips and snooze times."""
    local = to_local(value)
    if local is None:
        return ""
    return f"{local.strftime('%a')} {local.day} {local.strftime('%b %Y, %H:%M')}"


SNOOZE_PRESETS = {
    "1h": "In 1 hour",
    "tomorrow": "Tomorrow 9:00",
    "nextweek": "Next week (Monday 9:00)",
}


def snooze_until(preset: str | None, custom: str | None, now: datetime | None = None) -> datetime | None:
    """When a snooze ends, from a preset or a `datetime-local` value read in the viewer's zone.

    Returns None for an empty choice and raises ValueError for one that cannot be read, so the
    route can say which it was; whether the time is acceptable is `actions.set_status`'s rule."""
    now = now or utcnow()
    zone = user_zone()
    local_now = now.astimezone(zone)
    if preset:
        if preset == "1h":
            return now + timedelta(hours=1)
        if preset == "tomorrow":
            day = local_now.date() + timedelta(days=1)
            return datetime.combine(day, time(9, 0), tzinfo=zone).astimezone(timezone.utc)
        if preset == "nextweek":
            day = local_now.date() + timedelta(days=7 - local_now.weekday())
            return datetime.combine(day, time(9, 0), tzinfo=zone).astimezone(timezone.utc)
        raise ValueError("unknown snooze choice")
    if custom:
        try:
            return typed_moment(custom, zone)
        except UnusableMoment as exc:
            raise ValueError("the snooze time is not a valid date and time" if exc.unreadable
                             else "the snooze time is not a date within the next year") from None
    return None


class UnusableMoment(ValueError):
    def __init__(self, unreadable: bool) -> None:
        super().__init__("not a date and time" if unreadable else "out of range")
        self.unreadable = unreadable


def typed_moment(text: str, zone) -> datetime:
    """A time typed in a form (a `datetime-local` value, or ISO 8601 with an offset) as UTC; without
    an offset it is in `zone`, the viewer's. The one home of that rule (snooze, follow-ups)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UnusableMoment(unreadable=True) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        return in_utc(moment)
    except ValueError:
        raise UnusableMoment(unreadable=False) from None

