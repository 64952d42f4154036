"""The editor's desk: in review mode an edition goes out only once a person approved it.

``[schedule] review = "approve"`` turns it on. The scheduler then builds each edition
``build_lead_minutes`` before its first send time (:func:`build_due`), and at send time
:func:`send_decision` says whether to send, hold (``unapproved = "hold"``) or send
anyway with a warning (``unapproved = "send"``). ``digest send --date`` refuses an
unapproved edition (:func:`require_approved`); test copies (``--to``) are always allowed.
The pure functions take values only; :func:`require_approved` reads the store.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from digest.config import Settings
from digest.errors import DigestError
from digest.models import Approval, Edition
from digest.store import Store
from digest.store.desk import approvals


class NotApproved(DigestError):
    """Review mode is on and an edition is not approved yet."""

    exit_code = 1


class SendDecision(enum.StrEnum):
    """What send time does with an edition."""

    SEND = "send"  # review off, or approved
    HOLD = "hold"  # unapproved, kept back: logged, shown on /admin, a /healthz warning
    SEND_UNAPPROVED = "send_unapproved"  # unapproved, sent anyway: logged and warned too


def review_on(settings: Settings) -> bool:
    """Whether editions need an approval before they are sent."""
    mode: str = settings.schedule.review
    return mode == "approve"


def approve_command(edition_date: date, language: str | None = None) -> str:
    """The command that approves the edition(s) of a date."""
    return f"digest edition approve --date {edition_date.isoformat()}" + (f" --language {language}" if language else "")


def build_due(*, review: str, lead_minutes: int, first_send_at: datetime, now: datetime) -> bool:
    """Whether the edition should be built now: in review mode from ``lead_minutes``
    before its first send time, otherwise at the send time itself (pure)."""
    lead = timedelta(minutes=max(0, lead_minutes)) if review == "approve" else timedelta(0)
    return now >= first_send_at - lead


def send_decision(*, review: str, unapproved: str, approved: bool) -> SendDecision:
    """What to do at send time with an edition (pure)."""
    if review != "approve" or approved:
        return SendDecision.SEND
    return SendDecision.SEND_UNAPPROVED if unapproved == "send" else SendDecision.HOLD


def unapproved(editions: Sequence[Edition], approved: Mapping[int, Approval]) -> list[Edition]:
    """The editions without an approval (pure)."""
    return [ed for ed in editions if ed.id is None or ed.id not in approved]


def first_send_time(settings: Settings, edition_date: date) -> datetime:
    """The newsletter's own send time on ``edition_date``, in UTC (subscribers with their
    own send time may get it earlier; the scheduler's DayPlan knows those)."""
    from digest.timing import local_instant, parse_send_at, zone

    return local_instant(edition_date, parse_send_at(settings.schedule.send_at), zone(settings.schedule.timezone))


def review_warnings(settings: Settings, store: Store, edition_date: date, *, now: datetime) -> list[str]:
    """One line per edition of ``edition_date`` still unapproved after its send time, in
    review mode: what /healthz reports as a warning and the scheduler logs. Empty otherwise."""
    from digest.store.editions import editions_for_date

    if not review_on(settings) or now < first_send_time(settings, edition_date):
        return []
    editions = editions_for_date(store, settings.newsletter.name, edition_date)
    approved = approvals(store, [ed.id for ed in editions if ed.id is not None])
    decision = send_decision(review="approve", unapproved=settings.schedule.unapproved, approved=False)
    what = "held" if decision is SendDecision.HOLD else "sent without an approval"
    return [
        f"edition {ed.edition_date.isoformat()} {ed.language} {what}: approve it with "
        f"`{approve_command(ed.edition_date, ed.language)}`"
        for ed in unapproved(editions, approved)
    ]


def require_approved(settings: Settings, store: Store, editions: Sequence[Edition]) -> None:
    """NotApproved, naming the command to run, when review mode is on and one of
    ``editions`` is not approved; nothing otherwise."""
    if not review_on(settings) or not editions:
        return
    waiting = unapproved(editions, approvals(store, [ed.id for ed in editions if ed.id is not None]))
    if not waiting:
        return
    day = waiting[0].edition_date
    languages = ", ".join(ed.language for ed in waiting)
    command = approve_command(day, waiting[0].language if len(waiting) == 1 else None)
    raise NotApproved(
        f"review mode: the {day.isoformat()} edition ({languages}) is not approved, nothing was sent; "
        f"approve it with `{command}` (or on /admin/editions/{day.isoformat()})"
    )


@dataclass(frozen=True)
class EditionLine:
    """One edition as the dashboard and the desk show it."""

    edition: Edition
    send_at: datetime
    approval: Approval | None
    review: bool
    counts: dict[str, int]
    warning: str  # "held" or "sent_unapproved" once send time passed unapproved

    @property
    def started(self) -> bool:
        """Whether any delivery row exists (its content is locked)."""
        return sum(self.counts.values()) > 0


def edition_lines(settings: Settings, store: Store, day: date, now: datetime) -> list[EditionLine]:
    """The editions of ``day`` with their send time, review state and delivery counts."""
    from digest.store.delivery_admin import counts
    from digest.store.editions import editions_for_date

    editions = editions_for_date(store, settings.newsletter.name, day)
    approved = approvals(store, [e.id for e in editions if e.id is not None])
    review = review_on(settings)
    at = first_send_time(settings, day)
    lines = []
    for ed in editions:
        assert ed.id is not None
        approval = approved.get(ed.id)
        warning = ""
        if now >= at:
            decision = send_decision(
                review=settings.schedule.review,
                unapproved=settings.schedule.unapproved,
                approved=approval is not None,
            )
            warning = "" if decision is SendDecision.SEND else decision.value
        lines.append(EditionLine(ed, at, approval, review, counts(store, [ed.id]), warning))
    return lines
