"""The scheduler's decisions: what is due at a given instant, and doing it.

Everything the scheduler does happens in :meth:`DailyTicker.tick`, which takes the
instant as a parameter: the APScheduler adapter (digest/runtime/scheduler.py) calls it every
minute with the real clock, tests call it with simulated instants and drive days, DST
changes and downtime without sleeping. A tick is idempotent, so any number of processes
on one database may run it:

* For each language and each edition date that can be live at ``now``, it plans the
  day (:class:`SendPlanner`): the newsletter's own send time and every send time
  subscribers chose (their local time on their local day, see digest/timing.py). The
  edition is built when the first of them arrives, so a reader east of the newsletter
  still gets the day's edition at their breakfast.
* The first process to reach a date records its decision in ``schedule_runs`` (send, or
  skip and why); the others follow it. After downtime the catch-up policy decides: a
  send time missed by at most [schedule] catch_up_hours is caught up, a later one is
  skipped, and an edition whose every send time was missed is skipped and recorded.
  Only today's edition is ever considered: yesterday's is never sent as today's.
* The edition is built once (digest.daily.build), then fanned out with one delivery row
  per subscriber due at their own send time (re-runnable: ON CONFLICT DO NOTHING), and
  the sender loops deliver the rows as they fall due.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from digest import metrics
from digest.config import Settings
from digest.daily import tracking
from digest.daily.build import build_editions, summarizer_for
from digest.daily.desk import SendDecision, approve_command, send_decision
from digest.errors import DigestError, ValidationError
from digest.ingest import poll_feeds
from digest.models import EditionStatus
from digest.store import Store, catchup, schedule_runs
from digest.store.claims import claimants
from digest.store.desk import approvals
from digest.store.editions import find_edition
from digest.store.fanout import fan_out
from digest.timing import (
    Action,
    DayPlan,
    EditionDecision,
    Target,
    candidate_dates,
    due_at,
    format_duration,
    propose,
    zone,
)

log = logging.getLogger(__name__)

#: schedule_runs.job for the daily edition decision.
EDITION_JOB = "edition"

#: schedule_runs.job for a feed poll slot (run_date and the slot's start, HH:MM UTC).
POLL_JOB = "poll_feeds"


class SendPlanner:
    """Plans a day's sends from the [schedule] settings: each send time's due instant
    and the day's :class:`~digest.timing.DayPlan` (the arithmetic is digest.timing)."""

    def __init__(self, settings: Settings) -> None:
        self.timezone: str = settings.schedule.timezone
        self.send_at: str = settings.schedule.send_at
        self.grace = timedelta(hours=float(settings.schedule.catch_up_hours))
        self.languages: tuple[str, ...] = tuple(settings.newsletter.languages)
        self.invalid: set[tuple[str, str]] = set()  # stored send times we could not read

    def target(self, edition_date: date, timezone: str, send_at: str) -> Target:
        """The send time (``timezone``, ``send_at`` as stored) for ``edition_date``.

        A stored value that cannot be read (an unknown zone, a garbled time) falls back
        to the newsletter's own rather than leaving the subscriber without their edition;
        it is remembered in :attr:`invalid` so the caller can log it.
        """
        try:
            due = due_at(
                edition_date,
                timezone=timezone,
                send_at=send_at,
                default_timezone=self.timezone,
                default_send_at=self.send_at,
            )
            tz, at = timezone or self.timezone, send_at or self.send_at
        except ValidationError:
            self.invalid.add((timezone, send_at))
            due = due_at(
                edition_date, timezone="", send_at="", default_timezone=self.timezone, default_send_at=self.send_at
            )
            tz, at = self.timezone, self.send_at
        return Target(timezone, send_at, due, tz, at)

    def plan(self, edition_date: date, language: str, send_times: Sequence[tuple[str, str]]) -> DayPlan:
        """The day's plan for one language, given the subscribers' distinct send times."""
        newsletter = self.target(edition_date, "", "")
        subscribers = tuple(self.target(edition_date, tz, at) for tz, at in send_times)
        return DayPlan(edition_date, language, newsletter, subscribers)

    def today(self, now: datetime) -> date:
        """The newsletter's calendar day at ``now``."""
        return now.astimezone(zone(self.timezone)).date()


@dataclass
class TickReport:
    """What one tick did, for logs and tests."""

    now: datetime
    decisions: list[EditionDecision] = field(default_factory=list)
    built: list[tuple[date, str]] = field(default_factory=list)
    fanned_out: int = 0
    skipped_rows: int = 0
    held: list[str] = field(default_factory=list)  # review mode: unapproved at send time (warnings)
    rolled_up: int = 0  # raw click/open events rolled into daily totals ([tracking] retention_days)


def skip_missed_rows(store: Store, settings: Settings, now: datetime) -> int:
    """After downtime: skip the delivery rows still pending more than [schedule]
    catch_up_hours after their due time (they were missed, never tried), with the reason.
    Returns how many. Callers check first that no sender holds a live claim, since then
    late rows are a backlog being worked through, not missed sends."""
    grace = SendPlanner(settings).grace
    skipped = catchup.skip_overdue(
        store,
        before=now - grace,
        reason=f"not sent: the service was down at the send time, more than the "
        f"{format_duration(grace)} catch-up grace ago",
        now=now,
    )
    if skipped:
        log.warning("missed deliveries skipped", extra={"rows": skipped, "grace": format_duration(grace)})
    return skipped


def catch_up_senders(store: Store, settings: Settings, now: datetime) -> int:
    """The start of a sender-only process (``digest worker``): when nobody is sending,
    apply the catch-up rule to rows left pending by downtime (:func:`skip_missed_rows`)."""
    if claimants(store, now=now):
        return 0
    return skip_missed_rows(store, settings, now)


def _fields(plan: DayPlan) -> dict[str, str]:
    return {"edition_date": plan.edition_date.isoformat(), "language": plan.language}


class DailyTicker:
    """Everything due at an instant, for one newsletter on one database."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.planner = SendPlanner(settings)
        self.newsletter: str = settings.newsletter.name
        self.summarizer = summarizer_for(settings)  # chosen once per process ([summarize] backend)
        self._warned: set[tuple[date, str]] = set()  # build problems already logged
        self._fanned: dict[int, tuple[object, int]] = {}  # edition id -> state at the last full fan-out
        self._editions: dict[tuple[date, str], int | None] = {}  # (date, language) -> id, None: nothing to send
        # Review mode (digest.daily.desk): build early, fan out only once approved.
        self.review: str = settings.schedule.review
        # With a model to call ([summarize] backend = "openai"), build ahead too: the calls
        # happen then, within their deadline, and the send never waits for them.
        ahead = settings.summarize.deadline_minutes if settings.summarize.backend == "openai" else 0
        self.lead = timedelta(minutes=settings.schedule.build_lead_minutes if self.review == "approve" else ahead)
        self._held: set[tuple[date, str]] = set()  # unapproved editions already logged

    def tick(self, now: datetime, *, start_up: bool = False) -> TickReport:
        """Decide, build and fan out whatever is due at ``now``; idempotent.

        ``start_up``: the first tick after the process starts. If no sender anywhere
        holds a live claim, the service was down, and rows still pending from before
        are judged by the catch-up rules too (skipped when missed for too long). In a
        running service a late row is a backlog being worked through, not a missed
        send, and is left to the senders.
        """
        report = TickReport(now)
        sweep = start_up and not claimants(self.store, now=now)
        if sweep:
            report.skipped_rows += skip_missed_rows(self.store, self.settings, now)
        for language in self.planner.languages:
            send_times = schedule_runs.send_times(self.store, language=language)
            for day in candidate_dates(now):
                plan = self.planner.plan(day, language, send_times)
                if now >= plan.build_at:
                    self._run_day(plan, now, report, sweep=sweep)
                elif now >= plan.build_at - self.lead and plan.edition_date == self.planner.today(now):
                    self._build(plan, now, report)  # review mode: ready for the editors before it is due
        report.rolled_up = self._roll_up(now)
        if self.planner.invalid:
            for tz, at in sorted(self.planner.invalid):
                log.warning(
                    "unreadable subscriber send time; the newsletter's is used instead",
                    extra={"timezone": tz, "send_at": at},
                )
            self.planner.invalid.clear()
        return report

    def _roll_up(self, now: datetime) -> int:
        """Roll up the click and open events past their retention. Every tick asks (one
        indexed look-up when there is nothing to do); the roll-up itself is serialised
        between processes and takes whole days, so it happens once per day."""
        rolled = tracking.roll_up(self.store, self.settings, now)
        if rolled:
            log.info("tracking events rolled up", extra={"events": rolled})
        return rolled

    def poll(self, now: datetime) -> bool:
        """Poll the registered feeds, unless another process already did in this
        [schedule] poll_feeds_minutes slot (several machines must not fetch every
        publisher twice). Returns True when this process polled."""
        minutes = max(1, int(self.settings.schedule.poll_feeds_minutes))
        utc = now.astimezone(UTC)
        slot = (utc.hour * 60 + utc.minute) // minutes * minutes
        _, ours = schedule_runs.decide_once(
            self.store,
            job=POLL_JOB,
            run_date=utc.date(),
            language=f"{slot // 60:02d}:{slot % 60:02d}",  # the third key: the slot's start
            outcome="run",
            reason=f"polled by {socket.gethostname()}:{os.getpid()}",
            now=now,
        )
        if not ours:
            log.debug("feeds already polled in this slot by another process")
            return False
        poll_feeds(self.store, self.settings, now=now)
        return True

    def next_send(self, now: datetime) -> datetime | None:
        """The next send time after ``now`` of any edition, for /healthz and simulations."""
        upcoming: list[datetime] = []
        for language in self.planner.languages:
            send_times = schedule_runs.send_times(self.store, language=language)
            for day in (*candidate_dates(now), candidate_dates(now)[-1] + timedelta(days=1)):
                plan = self.planner.plan(day, language, send_times)
                upcoming += [t.due for t in plan.targets if t.due > now]
        return min(upcoming, default=None)

    def _run_day(self, plan: DayPlan, now: datetime, report: TickReport, *, sweep: bool) -> None:
        grace = self.planner.grace
        run = schedule_runs.decision(self.store, job=EDITION_JOB, run_date=plan.edition_date, language=plan.language)
        if run is None:
            proposal = propose(plan, now, grace)
            if proposal.action is Action.SKIP and plan.edition_date != self.planner.today(now):
                return  # only today's missed edition is decided; older ones are long gone
            run, ours = schedule_runs.decide_once(
                self.store,
                job=EDITION_JOB,
                run_date=plan.edition_date,
                language=plan.language,
                outcome=proposal.action.value,
                reason=proposal.reason,
                now=now,
            )
            if ours:
                report.decisions.append(proposal)
                self._log_decision(proposal)
        if run.outcome != Action.SEND.value:
            return
        still_open = any(plan.decide(t, now, grace).send for t in plan.targets)
        if still_open:
            edition_id = self._build(plan, now, report)
        else:  # the day is over: nothing to build or add, at most rows to settle
            found = find_edition(self.store, self.newsletter, plan.edition_date, plan.language)
            edition_id = found.id if found is not None else None
        if edition_id is not None and still_open and not self._approved_or_sent_anyway(plan, edition_id, report):
            return
        if edition_id is not None:
            report.fanned_out += self._fan_out(plan, edition_id, now, add=still_open, sweep=sweep)

    def _approved_or_sent_anyway(self, plan: DayPlan, edition_id: int, report: TickReport) -> bool:
        """Review mode at send time: True to fan out (approved, or [schedule] unapproved =
        "send"), False to hold. An unapproved edition is logged once per process and
        reported (the scheduler shows it on /healthz; /admin shows it too)."""
        if self.review != "approve":
            return True
        approved = edition_id in approvals(self.store, [edition_id])
        decision = send_decision(review=self.review, unapproved=self.settings.schedule.unapproved, approved=approved)
        if decision is SendDecision.SEND:
            return True
        key = (plan.edition_date, plan.language)
        what = "held" if decision is SendDecision.HOLD else "sent without an approval"
        report.held.append(
            f"edition {plan.edition_date.isoformat()} {plan.language} {what}: approve it with "
            f"`{approve_command(plan.edition_date, plan.language)}`"
        )
        if key not in self._held:
            self._held.add(key)
            log.warning(f"edition not approved at send time: {what}", extra=_fields(plan))
        return decision is SendDecision.SEND_UNAPPROVED

    def _build(self, plan: DayPlan, now: datetime, report: TickReport) -> int | None:
        """The edition's id, building it first if no process has yet; None when it
        cannot go out (no article in the window, or the build failed)."""
        key = (plan.edition_date, plan.language)
        if key in self._editions:  # stored editions never change: look once per process
            return self._editions[key]
        existed = find_edition(self.store, self.newsletter, plan.edition_date, plan.language) is not None
        try:
            (edition,) = build_editions(
                self.store,
                self.settings,
                edition_date=plan.edition_date,
                now=now,
                languages=[plan.language],
                summarizer=self.summarizer,
            )
        except DigestError as exc:
            # Retried at every tick while the day is open; said once per process.
            if key not in self._warned:
                self._warned.add(key)
                log.error("edition build failed", extra={**_fields(plan), "error": str(exc)})
            return None
        if edition.id is None:  # no article yet in a window still open: nothing stored, look again later
            return None
        if not existed:
            report.built.append(key)
            metrics.edition_built(plan.language)
            log.info("edition built", extra={**_fields(plan), "items": len(edition.items), "status": edition.status})
        sendable = edition.status != EditionStatus.SKIPPED and bool(edition.items)
        if not sendable:
            log.warning("edition has no article: nothing to send", extra=_fields(plan))
        self._editions[key] = edition.id if sendable else None
        for old in [k for k in self._editions if k[0] < plan.edition_date - timedelta(days=3)]:
            del self._editions[old]
        return self._editions[key]

    def _fan_out(self, plan: DayPlan, edition_id: int, now: datetime, *, add: bool, sweep: bool) -> int:
        """Give every confirmed subscriber of the language a row due at their send time,
        except the send times the catch-up rules skipped: those get a skipped row that
        says why (and, with ``sweep``, their rows still pending from before the downtime
        are skipped too). Idempotent; the full pass runs only when the audience or the
        set of skipped send times changed since this process last ran it."""
        grace = self.planner.grace
        missed = [(t, d) for t in plan.subscribers if not (d := plan.decide(t, now, grace)).send]
        state = (schedule_runs.audience_fingerprint(self.store, language=plan.language), len(missed))
        if not sweep and self._fanned.get(edition_id) == state:
            return 0
        for target, decision in missed:
            catchup.skip_missed(
                self.store,
                edition_id,
                language=plan.language,
                timezone=target.timezone,
                send_at=target.send_at,
                due=target.due,
                reason=f"not sent: {target.label} {decision.reason}",
                now=now,
                pending_too=sweep,
            )
        added = 0
        if add:
            added = fan_out(
                self.store,
                edition_id,
                language=plan.language,
                due_at_for=lambda tz, at: self.planner.target(plan.edition_date, tz, at).due,
                now=now,
            )
        if len(self._fanned) > 64:  # a few days of editions; older ones never come back
            self._fanned.clear()
        self._fanned[edition_id] = state
        if added:
            log.info("edition fanned out", extra={**_fields(plan), "rows": added})
        return added

    def _log_decision(self, proposal: EditionDecision) -> None:
        fields = {
            "edition_date": proposal.edition_date.isoformat(),
            "language": proposal.language,
            "decision": proposal.action.value,
            "reason": proposal.reason,
        }
        if proposal.action is Action.SKIP:
            metrics.schedule_decision("skipped")
            log.warning("edition skipped", extra=fields)
        else:
            metrics.schedule_decision("on_time" if proposal.reason.startswith("on time") else "caught_up")
            log.info("edition due", extra=fields)
