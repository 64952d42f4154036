"""Per-subscriber due times across DST gaps, folds and half-hour offsets; catch-up decisions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.errors import ValidationError
from digest.timing import (
    Action,
    catch_up_decision,
    due_at,
    edition_date_for,
    format_duration,
    local_instant,
    parse_send_at,
)

NEWSLETTER = {"default_timezone": "Africa/Casablanca", "default_send_at": "07:00"}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_kolkata_half_hour_offset_gives_0130_utc() -> None:
    assert due_at(date(2026, 3, 23), timezone="Asia/Kolkata", send_at="07:00", **NEWSLETTER) == utc(2026, 3, 23, 1, 30)


def test_empty_timezone_and_send_time_use_the_newsletters() -> None:
    # Casablanca is UTC+1 outside Ramadan, UTC+0 during it (2026: 15 Feb - 22 Mar).
    assert due_at(date(2026, 1, 10), timezone="", send_at="", **NEWSLETTER) == utc(2026, 1, 10, 6, 0)
    assert due_at(date(2026, 3, 1), timezone="", send_at=None, **NEWSLETTER) == utc(2026, 3, 1, 7, 0)
    assert due_at(date(2026, 1, 10), timezone="", send_at="09:15", **NEWSLETTER) == utc(2026, 1, 10, 8, 15)
    assert due_at(date(2026, 1, 10), timezone="Europe/Paris", send_at="", **NEWSLETTER) == utc(2026, 1, 10, 6, 0)


def test_send_time_in_spring_forward_gap_moves_to_end_of_gap() -> None:
    # New York, 8 March 2026: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
    assert due_at(date(2026, 3, 8), timezone="America/New_York", send_at="02:30", **NEWSLETTER) == utc(2026, 3, 8, 7)
    assert due_at(date(2026, 3, 8), timezone="America/New_York", send_at="02:00", **NEWSLETTER) == utc(2026, 3, 8, 7)
    # Paris, 29 March 2026: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
    assert due_at(date(2026, 3, 29), timezone="Europe/Paris", send_at="02:59", **NEWSLETTER) == utc(2026, 3, 29, 1)
    # Casablanca, 22 March 2026: 02:00 +00 jumps to 03:00 +01 (02:00 UTC).
    assert due_at(date(2026, 3, 22), timezone="Africa/Casablanca", send_at="02:30", **NEWSLETTER) == utc(2026, 3, 22, 2)
    # The minute after the gap is an ordinary time.
    assert due_at(date(2026, 3, 8), timezone="America/New_York", send_at="03:00", **NEWSLETTER) == utc(2026, 3, 8, 7)


def test_half_hour_dst_gap_lord_howe() -> None:
    # Lord Howe Island moves its clocks by 30 minutes: 4 Oct 2026, 02:00 +10:30 -> 02:30 +11.
    got = due_at(date(2026, 10, 4), timezone="Australia/Lord_Howe", send_at="02:10", **NEWSLETTER)
    assert got == utc(2026, 10, 3, 15, 30)
    assert got.astimezone(ZoneInfo("Australia/Lord_Howe")).strftime("%H:%M") == "02:30"


def test_send_time_in_fall_back_fold_takes_first_occurrence() -> None:
    # New York, 1 November 2026: 01:00-02:00 happens twice (EDT, then EST).
    got = due_at(date(2026, 11, 1), timezone="America/New_York", send_at="01:30", **NEWSLETTER)
    assert got == utc(2026, 11, 1, 5, 30)
    # Casablanca, 15 February 2026 (Ramadan): 03:00 +01 goes back to 02:00 +00.
    got = due_at(date(2026, 2, 15), timezone="Africa/Casablanca", send_at="02:30", **NEWSLETTER)
    assert got == utc(2026, 2, 15, 1, 30)


def test_local_send_time_kept_across_dst_so_utc_shifts() -> None:
    tz = "America/New_York"
    before = due_at(date(2026, 3, 7), timezone=tz, send_at="07:00", **NEWSLETTER)
    after = due_at(date(2026, 3, 9), timezone=tz, send_at="07:00", **NEWSLETTER)
    assert (before.hour, after.hour) == (12, 11)


def test_unknown_timezone_and_bad_send_time_are_named() -> None:
    with pytest.raises(ValidationError, match="Mars/Olympus"):
        due_at(date(2026, 1, 1), timezone="Mars/Olympus", send_at="07:00", **NEWSLETTER)
    with pytest.raises(ValidationError, match="25:00"):
        due_at(date(2026, 1, 1), timezone="", send_at="25:00", **NEWSLETTER)
    with pytest.raises(ValidationError):
        parse_send_at("7h")
    assert parse_send_at(" 07:05 ") == time(7, 5)


def test_edition_date_is_the_readers_local_day() -> None:
    now = utc(2026, 3, 22, 22, 0)
    assert edition_date_for(now, "Asia/Kolkata") == date(2026, 3, 23)
    assert edition_date_for(now, "America/New_York") == date(2026, 3, 22)
    with pytest.raises(ValueError, match="naive"):
        edition_date_for(datetime(2026, 3, 22, 22, 0), "UTC")


ZONES = [
    "Africa/Casablanca",
    "Europe/Paris",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Pacific/Chatham",
    "America/St_Johns",
]


@given(
    tz=st.sampled_from(ZONES),
    day=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
)
def test_one_due_instant_per_local_day_at_the_local_send_time(tz: str, day: date, hour: int, minute: int) -> None:
    at = time(hour, minute)
    z = ZoneInfo(tz)
    today = local_instant(day, at, z)
    tomorrow = local_instant(day + timedelta(days=1), at, z)
    local = today.astimezone(z)
    # Due on that local day, at the send time, or (in a gap) at the first instant after it.
    assert local.date() == day
    assert local.replace(tzinfo=None) >= datetime.combine(day, at)
    if local.time() != at:
        # Only in a gap: the minute before the instant had another offset.
        assert (today - timedelta(seconds=1)).astimezone(z).utcoffset() != local.utcoffset()
    # Strictly ordered and about a day apart, so no day gets two and none gets zero.
    assert timedelta(hours=21) <= tomorrow - today <= timedelta(hours=27)


def test_catch_up_two_hours_late_is_sent() -> None:
    due = utc(2026, 3, 23, 6, 0)
    d = catch_up_decision(date(2026, 3, 23), due, due + timedelta(hours=2), timedelta(hours=3), timezone="Europe/Paris")
    assert d.action is Action.SEND and d.send
    assert "2h" in d.reason and d.late_by == timedelta(hours=2)


def test_catch_up_five_hours_late_is_skipped_with_reason() -> None:
    due = utc(2026, 3, 23, 6, 0)
    d = catch_up_decision(date(2026, 3, 23), due, due + timedelta(hours=5), timedelta(hours=3), timezone="Europe/Paris")
    assert d.action is Action.SKIP and not d.send
    assert d.reason == "missed by 5h, more than the 3h catch-up grace"


def test_catch_up_boundary_and_not_late() -> None:
    due = utc(2026, 3, 23, 6, 0)
    grace = timedelta(hours=3)
    assert catch_up_decision(date(2026, 3, 23), due, due + grace, grace, timezone="UTC").send
    assert not catch_up_decision(date(2026, 3, 23), due, due + grace + timedelta(seconds=1), grace, timezone="UTC").send
    early = catch_up_decision(date(2026, 3, 23), due, due - timedelta(hours=1), grace, timezone="UTC")
    assert early.send and early.reason == "on time"
    assert not catch_up_decision(date(2026, 3, 23), due, due + timedelta(seconds=1), timedelta(0), timezone="UTC").send


def test_catch_up_never_sends_yesterdays_edition_as_todays() -> None:
    # Due 23:00 Paris on the 23rd; the service is back at 00:30 on the 24th: within the
    # grace, but it is already the next day there.
    due = due_at(date(2026, 3, 23), timezone="Europe/Paris", send_at="23:00", **NEWSLETTER)
    now = due + timedelta(minutes=90)
    d = catch_up_decision(date(2026, 3, 23), due, now, timedelta(hours=3), timezone="Europe/Paris")
    assert not d.send
    assert "already 2026-03-24" in d.reason
    # The same instant, seen from New York, is still the 23rd: sent.
    assert catch_up_decision(date(2026, 3, 23), due, now, timedelta(hours=3), timezone="America/New_York").send


def test_catch_up_uses_scheduled_at_zone_by_default() -> None:
    paris = ZoneInfo("Europe/Paris")
    due = datetime(2026, 3, 23, 23, 0, tzinfo=paris)
    assert not catch_up_decision(date(2026, 3, 23), due, due + timedelta(hours=1, minutes=1), timedelta(hours=3)).send


def test_format_duration() -> None:
    assert [format_duration(timedelta(seconds=s)) for s in (45, 300, 7200, 7500, 90000, 86400)] == [
        "45s",
        "5m",
        "2h",
        "2h 05m",
        "1d 1h",
        "1d",
    ]
