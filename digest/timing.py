"""When each subscriber gets the day's edition, and whether a missed one is still sent.

Pure: dates, times and timezones in, instants and decisions out; no clock, no database.

The rules, in one place:

* An edition is dated with a calendar day. A subscriber receives the edition dated D on
  *their own* local day D, at their local send time (the newsletter's timezone and send
  time when they have none). Local day D maps to edition D and to nothing else, so
  nobody gets two editions on one day and nobody gets none, whatever the clocks do.
* A send time that does not exist on a spring-forward day (it falls in the gap) moves to
  the first valid instant after the gap; a send time that happens twice on a fall-back
  day (the fold) is taken at its first occurrence.
* Catch-up after downtime: a missed send is still made while it is less than the grace
  period late *and* it is still the edition's day where the subscriber lives; otherwise
  it is skipped with a reason. Yesterday's edition is never sent as today's.

:class:`DayPlan` gathers an edition date's send times (the newsletter's own and every
group of subscribers') and :func:`propose` turns them into the scheduler's decision.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.errors import ValidationError

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def zone(name: str) -> ZoneInfo:
    """The IANA timezone ``name``; ValidationError naming it when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"unknown timezone {name!r}") from None


def parse_send_at(value: str | time) -> time:
    """An ``HH:MM`` send time (24-hour clock) as a :class:`time`."""
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    m = _HHMM.match(value.strip())
    if not m:
        raise ValidationError(f"send time: expected HH:MM, got {value!r}")
    return time(int(m.group(1)), int(m.group(2)))


def local_instant(day: date, at: time, tz: tzinfo) -> datetime:
    """The instant the wall clock in ``tz`` shows ``at`` on ``day``, as an aware UTC datetime.

    In a spring-forward gap, the first valid instant after the gap (the moment the
    clocks jump); in a fall-back fold, the first of the two occurrences.
    """
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=tz, fold=0)  # fold=0: the earlier offset, i.e. first occurrence
    utc = first.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) == wall:
        return utc
    # ``wall`` does not exist. fold=0 read it with the offset in force before the jump,
    # fold=1 with the offset after; the jump itself lies between the two readings.
    lo = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = utc
    if lo > hi:  # a backwards gap cannot happen, but never loop on a strange zone
        lo, hi = hi, lo
    after = hi.astimezone(tz).utcoffset()
    # Binary search, to the second, for the first instant carrying the new offset.
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(tz).utcoffset() == after:
            hi = mid
        else:
            lo = mid
    return hi


def due_at(
    edition_date: date,
    *,
    timezone: str,
    send_at: str | time | None,
    default_timezone: str,
    default_send_at: str | time,
) -> datetime:
    """When a subscriber is due the edition dated ``edition_date``: their local send time
    on that local day, as an aware UTC datetime.

    Empty ``timezone`` / ``send_at`` mean the newsletter's own (``default_*``).
    """
    tz = zone(timezone or default_timezone)
    at = parse_send_at(send_at if send_at else default_send_at)
    return local_instant(edition_date, at, tz)


def local_date(now: datetime, timezone: str) -> date:
    """The calendar day it is in ``timezone`` at the instant ``now``."""
    _require_aware(now, "now")
    return now.astimezone(zone(timezone)).date()


def edition_date_for(now: datetime, timezone: str) -> date:
    """The edition a reader in ``timezone`` is on at ``now``: the edition dated with their
    local day (local day D corresponds to edition D, on every kind of day)."""
    return local_date(now, timezone)


class Action(enum.StrEnum):
    """What the scheduler does about one scheduled send."""

    SEND = "send"
    SKIP = "skip"


@dataclass(frozen=True)
class Decision:
    """A catch-up decision and the plain-language reason behind it."""

    action: Action
    reason: str
    late_by: timedelta = timedelta(0)

    @property
    def send(self) -> bool:
        """True when the message goes out (on time or caught up)."""
        return self.action is Action.SEND


def catch_up_decision(
    edition_date: date,
    scheduled_at: datetime,
    now: datetime,
    grace: timedelta,
    *,
    timezone: str | None = None,
) -> Decision:
    """Send or skip the edition dated ``edition_date`` that was due at ``scheduled_at``.

    Sent when not late yet, or late by at most ``grace`` while it is still
    ``edition_date`` in ``timezone`` (default: ``scheduled_at``'s own zone). Skipped, with
    the reason, when more than ``grace`` late or when the day there has already moved on:
    yesterday's edition is never sent as today's.
    """
    _require_aware(scheduled_at, "scheduled_at")
    _require_aware(now, "now")
    late = now - scheduled_at
    if late <= timedelta(0):
        return Decision(Action.SEND, "on time")
    tz: tzinfo = zone(timezone) if timezone else scheduled_at.tzinfo or UTC
    today = now.astimezone(tz).date()
    if today > edition_date:
        return Decision(
            Action.SKIP,
            f"missed by {format_duration(late)}: it is already {today.isoformat()} there, "
            f"and the {edition_date.isoformat()} edition is never sent as a later day's",
            late,
        )
    if late > grace:
        return Decision(
            Action.SKIP,
            f"missed by {format_duration(late)}, more than the {format_duration(grace)} catch-up grace",
            late,
        )
    return Decision(
        Action.SEND, f"caught up {format_duration(late)} late, within the {format_duration(grace)} grace", late
    )


def format_duration(delta: timedelta) -> str:
    """A short human duration: ``45s``, ``5m``, ``2h``, ``2h 05m``, ``1d 3h``."""
    seconds = int(abs(delta).total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes:02d}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name}: naive datetime {value!r}; pass an aware datetime")


# An edition's day: every send time, and what the catch-up rules make of them ------------

#: A tick this close after a send time counts as on time (the job fires every minute).
ON_TIME = timedelta(minutes=2)


@dataclass(frozen=True)
class Target:
    """One send time for an edition date: the newsletter's own, or a subscriber group's.

    ``timezone`` and ``send_at`` are as stored (empty = the newsletter's); ``due`` is the
    UTC instant that local time falls on for the edition date.
    """

    timezone: str
    send_at: str
    due: datetime
    zone: str  # the timezone in force (the newsletter's when ``timezone`` is empty)
    at: str  # the local send time in force, HH:MM

    @property
    def label(self) -> str:
        """``07:00 Europe/Paris``."""
        return f"{self.at} {self.zone}"


@dataclass(frozen=True)
class DayPlan:
    """Every send time of one edition (date, language) and what follows from them."""

    edition_date: date
    language: str
    newsletter: Target
    subscribers: tuple[Target, ...]

    @property
    def targets(self) -> tuple[Target, ...]:
        """The newsletter's send time, then the subscribers' own."""
        return (self.newsletter, *self.subscribers)

    @property
    def build_at(self) -> datetime:
        """When the edition must exist: the earliest send time of the day."""
        return min(t.due for t in self.targets)

    @property
    def last_due(self) -> datetime:
        """The latest send time of the day."""
        return max(t.due for t in self.targets)

    def decisions(self, now: datetime, grace: timedelta) -> list[tuple[Target, Decision]]:
        """The catch-up decision for every send time, at ``now``."""
        return [(t, self.decide(t, now, grace)) for t in self.targets]

    def decide(self, target: Target, now: datetime, grace: timedelta) -> Decision:
        """Send or skip one send time at ``now`` (see :func:`digest.timing.catch_up_decision`)."""
        return catch_up_decision(self.edition_date, target.due, now, grace, timezone=target.zone)


def candidate_dates(now: datetime) -> tuple[date, ...]:
    """Edition dates that can be live somewhere at ``now``.

    Local days on Earth run from UTC-12 to UTC+14, so at any instant every local date is
    the UTC date or one day either side of it; an older edition's every send time has
    passed on a later local day, and it is never sent.
    """
    today = now.astimezone(UTC).date()
    return (today - timedelta(days=1), today, today + timedelta(days=1))


@dataclass(frozen=True)
class EditionDecision:
    """What a tick decided (or found decided) for one edition date and language."""

    edition_date: date
    language: str
    action: Action
    reason: str
    sending: tuple[str, ...] = ()  # send times that still get the edition
    skipped: tuple[str, ...] = ()  # send times missed beyond the catch-up rules


def propose(plan: DayPlan, now: datetime, grace: timedelta) -> EditionDecision:
    """The scheduler's decision about ``plan``'s edition at ``now`` (``now`` >= build time).

    Sent when at least one send time is still ahead or within the catch-up rules (the
    missed ones are named and skipped); skipped, with the reason, when every send time
    was missed.
    """
    decided = plan.decisions(now, grace)
    sending = tuple(t.label for t, d in decided if d.send)
    skipped = tuple(f"{t.label} ({d.reason})" for t, d in decided if not d.send)
    late = now - plan.build_at
    if not sending:
        # Every send time was missed; the least late one says why the edition goes out to nobody.
        target, best = min(decided, key=lambda td: td[1].late_by)
        reason = f"every send time missed; the last one, {target.label}, was {best.reason}"
        return EditionDecision(plan.edition_date, plan.language, Action.SKIP, reason, (), skipped)
    reason = "on time" if late <= ON_TIME else f"caught up: started {format_duration(late)} after the first send time"
    if skipped:
        reason += f"; skipped {len(skipped)} missed send time(s): " + "; ".join(skipped)
    return EditionDecision(plan.edition_date, plan.language, Action.SEND, reason, sending, skipped)
