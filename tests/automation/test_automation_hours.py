"""Business hours: parsing the weekly schedule, and reading it in a time zone across DST changes."""
from datetime import datetime, timedelta, timezone

import pytest

from app.automation.hours import HoursInvalid, is_open, parse_day, valid_timezone

UTC = timezone.utc
WEEKDAYS_9_TO_5 = {str(day): [["09:00", "17:00"]] for day in range(5)}


@pytest.mark.parametrize("text, expected", [
    ("09:00-17:00", [["09:00", "17:00"]]),
    ("9:00 - 12:00, 13:00–17:30", [["09:00", "12:00"], ["13:00", "17:30"]]),
    ("13:00-17:00; 08:00-12:00", [["08:00", "12:00"], ["13:00", "17:00"]]),
    ("18:00 to 24:00", [["18:00", "24:00"]]),
    # As shop owners write them: an hour alone, a dot or an h, am and pm.
    ("9-17", [["09:00", "17:00"]]),
    ("8.30-12, 14h-18h30", [["08:30", "12:00"], ["14:00", "18:30"]]),
    ("9am-5pm", [["09:00", "17:00"]]),
    ("9:30 a.m. - 12 PM, 1pm-5:30pm", [["09:30", "12:00"], ["13:00", "17:30"]]),
    ("12am-6am", [["00:00", "06:00"]]),
    ("", []),
    ("  ", []),
])
def test_parse_day(text, expected):
    assert parse_day(text) == expected


@pytest.mark.parametrize("text, message", [
    ("9-5", "for the afternoon write 09:00-17:00"),
    ("9x-5", "not a time"),
    ("13pm-14:00", "not a time"),
    ("0am-5am", "not a time"),
    ("9m-10", "not a time"),
    ("09:00", "write opening hours like"),
    ("17:00-09:00", "ends before it starts"),
    ("09:00-09:00", "ends before it starts"),
    ("25:00-26:00", "not a time"),
    ("24:30-24:45", "24:00 is the latest"),
    ("09:00-12:00, 11:00-13:00", "overlap"),
    ("09:60-10:00", "not a time"),
])
def test_parse_day_refuses_with_a_reason(text, message):
    with pytest.raises(HoursInvalid, match=message):
        parse_day(text, "Monday")


def test_time_zone_names_are_checked():
    assert valid_timezone(" Europe/Berlin ") == "Europe/Berlin"
    for bad in ("", "Mars/Olympus", "../etc/passwd", "Europe/"):
        with pytest.raises(HoursInvalid):
            valid_timezone(bad)


def test_open_and_closed_in_the_schedules_time_zone():
    # Monday 2 June 2025: Berlin is UTC+2, New York UTC-4.
    assert is_open(WEEKDAYS_9_TO_5, "Europe/Berlin", datetime(2025, 6, 2, 7, 0, tzinfo=UTC))  # 09:00 Berlin
    assert not is_open(WEEKDAYS_9_TO_5, "Europe/Berlin", datetime(2025, 6, 2, 6, 59, tzinfo=UTC))  # 08:59
    assert is_open(WEEKDAYS_9_TO_5, "Europe/Berlin", datetime(2025, 6, 2, 14, 59, tzinfo=UTC))  # 16:59
    assert not is_open(WEEKDAYS_9_TO_5, "Europe/Berlin", datetime(2025, 6, 2, 15, 0, tzinfo=UTC))  # 17:00 closes
    assert not is_open(WEEKDAYS_9_TO_5, "America/New_York", datetime(2025, 6, 2, 7, 0, tzinfo=UTC))  # 03:00 NY
    # Friday 23:30 UTC is already Saturday 01:30 in Berlin: the weekday is the local one.
    late_friday = {"4": [["00:00", "24:00"]]}
    assert is_open(late_friday, "UTC", datetime(2025, 6, 6, 23, 30, tzinfo=UTC))
    assert not is_open(late_friday, "Europe/Berlin", datetime(2025, 6, 6, 23, 30, tzinfo=UTC))


def test_spring_forward_in_berlin():
    # Sunday 30 March 2025, the last Sunday of March: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
    sunday_early = {"6": [["01:00", "04:00"]]}
    assert is_open(sunday_early, "Europe/Berlin", datetime(2025, 3, 30, 0, 30, tzinfo=UTC))  # 01:30 CET
    assert is_open(sunday_early, "Europe/Berlin", datetime(2025, 3, 30, 1, 30, tzinfo=UTC))  # 03:30 CEST
    assert not is_open(sunday_early, "Europe/Berlin", datetime(2025, 3, 30, 2, 0, tzinfo=UTC))  # 04:00 CEST
    # The skipped hour never happens: an interval inside it is never open that night.
    skipped = {"6": [["02:00", "03:00"]]}
    night = [datetime(2025, 3, 29, 20, 0, tzinfo=UTC) + timedelta(minutes=m) for m in range(0, 12 * 60, 5)]
    assert not any(is_open(skipped, "Europe/Berlin", at) for at in night)
    # Monday 9:00 local is 08:00 UTC before the change and 07:00 UTC after it.
    assert is_open(WEEKDAYS_9_TO_5, "Europe/Berlin", datetime(2025, 3, 24, 8, 0, tzinfo=UTC))
    assert not is_open(WEEKDAYS_9_TO_5, "Europe/Berlin", datetime(2025, 3, 24, 7, 30, tzinfo=UTC))
    assert is_open(WEEKDAYS_9_TO_5, "Europe/Berlin", datetime(2025, 3, 31, 7, 0, tzinfo=UTC))
    assert not is_open(WEEKDAYS_9_TO_5, "Europe/Berlin", datetime(2025, 3, 31, 6, 30, tzinfo=UTC))


def test_fall_back_in_berlin():
    # Sunday 26 October 2025, the last Sunday of October: 03:00 CEST falls back to 02:00 CET (01:00 UTC),
    # so 02:00-03:00 local happens twice and both are inside a 02:00-03:00 interval.
    repeated = {"6": [["02:00", "03:00"]]}
    assert is_open(repeated, "Europe/Berlin", datetime(2025, 10, 26, 0, 30, tzinfo=UTC))  # 02:30 CEST
    assert is_open(repeated, "Europe/Berlin", datetime(2025, 10, 26, 1, 30, tzinfo=UTC))  # 02:30 CET
    assert not is_open(repeated, "Europe/Berlin", datetime(2025, 10, 26, 2, 0, tzinfo=UTC))  # 03:00 CET
    # Monday 9:00 local is 07:00 UTC before the change and 08:00 UTC after it.
    assert is_open(WEEKDAYS_9_TO_5, "Europe/Berlin", datetime(2025, 10, 20, 7, 0, tzinfo=UTC))
    assert not is_open(WEEKDAYS_9_TO_5, "Europe/Berlin", datetime(2025, 10, 27, 7, 30, tzinfo=UTC))
    assert is_open(WEEKDAYS_9_TO_5, "Europe/Berlin", datetime(2025, 10, 27, 8, 0, tzinfo=UTC))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        is_open(WEEKDAYS_9_TO_5, "UTC", datetime(2025, 6, 2, 9, 0))
