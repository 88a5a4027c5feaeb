"""Business hours: a weekly schedule in the workspace's time zone.

The schedule maps a weekday ("0" = Monday … "6" = Sunday) to opening intervals of local wall-clock
time, e.g. {"0": [["09:00", "17:00"]]}. Whether a moment is inside them is decided on the local
time that `zoneinfo` gives for that moment, so daylight-saving changes need no special case: on
the spring-forward night the skipped hour simply never occurs, and in the repeated autumn hour
both UTC moments read as the same local time.
"""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# "09:00", "9:30", "9" (an hour alone), "17.30", "18h", "9h30", "5pm", "9:30 a.m.": as shop owners write them.
_TIME = re.compile(r"^(\d{1,2})(?:[:.h]([0-5]\d)|h)?(?:\s*([ap])\.?\s*m\.?)?$", re.IGNORECASE)


class HoursInvalid(ValueError):
    """A schedule or time zone an admin must correct; the message names the problem."""


def valid_timezone(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise HoursInvalid("Choose a time zone, e.g. Europe/Berlin.")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise HoursInvalid(f"“{name}” is not a known time zone (use a name like Europe/Berlin or America/New_York).") from None
    return name


def timezone_names() -> list[str]:
    return sorted(available_timezones())


def _minutes(value: str) -> int:
    match = _TIME.match(value.strip())
    hours = int(match.group(1)) if match else -1
    half = match.group(3).lower() if match and match.group(3) else None
    if not match or (half and not 1 <= hours <= 12) or hours > 24:
        raise HoursInvalid(f"“{value.strip()}” is not a time; write it as HH:MM, e.g. 09:00.")
    minutes = int(match.group(2) or 0)
    if half:
        hours = hours % 12 + (12 if half == "p" else 0)  # 12am is midnight, 12pm noon
    if hours == 24 and minutes:
        raise HoursInvalid("24:00 is the latest time of a day.")
    return hours * 60 + minutes


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_day(text: str | None, day_name: str = "This day") -> list[list[str]]:
    """"09:00-12:00, 13:00-17:30" → [["09:00", "12:00"], ["13:00", "17:30"]]; empty = closed.
    Times are normalised (9:00 → 09:00), intervals sorted and must not overlap."""
    intervals: list[tuple[int, int]] = []
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        pieces = re.split(r"\s*[-–—]\s*|\s+to\s+", part)
        if len(pieces) != 2:
            raise HoursInvalid(f"{day_name}: write opening hours like 09:00-17:00 (got “{part}”).")
        try:
            start, end = _minutes(pieces[0]), _minutes(pieces[1])
        except HoursInvalid as exc:
            raise HoursInvalid(f"{day_name}: {exc}") from None
        if start >= end:
            if 0 < end < start < 12 * 60:  # "9-5", a morning to an afternoon: nine to five, most likely
                raise HoursInvalid(f"{day_name}: {part} ends before it starts; for the afternoon write "
                                   f"{_clock(start)}-{_clock(end + 12 * 60)} (or with am and pm).")
            raise HoursInvalid(f"{day_name}: {part} ends before it starts; an interval must end later the same "
                               "day (use 24:00 for midnight, and start the next day at 00:00).")
        intervals.append((start, end))
    intervals.sort()
    for (_, end), (start, _) in zip(intervals, intervals[1:]):
        if start < end:
            raise HoursInvalid(f"{day_name}: the opening intervals overlap.")
    return [[_clock(start), _clock(end)] for start, end in intervals]


def format_day(intervals: list[list[str]] | None) -> str:
    return ", ".join(f"{start}-{end}" for start, end in intervals or [])


def is_open(business_hours: dict, timezone: str, at: datetime) -> bool:
    """Is `at` (an aware datetime) inside the weekly schedule, read in `timezone`?"""
    if at.tzinfo is None:
        raise ValueError("is_open needs an aware datetime")
    local = at.astimezone(ZoneInfo(timezone))
    now = local.hour * 60 + local.minute
    for start, end in (business_hours or {}).get(str(local.weekday()), []):
        if _minutes(start) <= now < _minutes(end):
            return True
    return False
