"""Where deliveries stand: the one delivery-status report.

:func:`delivery_status` answers ``digest status`` (text and ``--json``);
:func:`edition_deliveries` answers the admin API's edition status and the admin
console; :func:`send_summary` is the closing summary of ``digest send``. All three read
the same queries, so every door shows the same figures. Printing stays with the doors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from digest.config import Settings
from digest.daily.editions import edition_day
from digest.deliver.ledger import local_dead_senders
from digest.models import Edition
from digest.store import Store
from digest.store import delivery_admin as admin
from digest.store.delivery_admin import DeliveryRow as DeliveryRow  # re-exported for the CLI
from digest.store.delivery_admin import counts
from digest.store.delivery_snapshot import Snapshot, snapshots
from digest.store.editions import edition_rows_for_date

#: Rows listed per state at most (the text report shows fewer; --json all of these).
ROW_LIMIT = 1000


@dataclass(frozen=True)
class DeliveryLine:
    """One delivery row as the status report lists it."""

    row: DeliveryRow
    #: In-flight rows only: the sender holding the claim is gone (its process died or
    #: its lease ran out); None for rows in other states.
    sender_dead: bool | None = None

    @property
    def suppressed(self) -> bool:
        """The subscriber's address is suppressed (it bounced)."""
        return self.row.subscriber_status == "bounced"

    def as_dict(self) -> dict[str, Any]:
        """The row as plain data (the shape of ``digest status --json``)."""
        r = self.row
        out: dict[str, Any] = {
            "id": r.id,
            "edition_id": r.edition_id,
            "email": r.email,
            "state": r.state,
            "attempts": r.attempts,
            "last_code": r.last_code,
            "last_error": r.last_error,
            "due_at": r.due_at.isoformat(),
            "claimed_by": r.claimed_by or None,
            "lease_until": r.lease_until.isoformat() if r.lease_until else None,
            "updated_at": r.updated_at.isoformat(),
            "suppressed": self.suppressed,
            "fault": r.fault,
        }
        if self.sender_dead is not None:
            out["sender_dead"] = self.sender_dead
        return out


@dataclass(frozen=True)
class EditionDeliveries:
    """One edition's deliveries: counts by state and the rows that need a look."""

    edition: Edition
    counts: dict[str, int]
    next_retry: datetime | None
    resent_after_crash: int
    in_flight: list[DeliveryLine] = field(default_factory=list)
    held: list[DeliveryLine] = field(default_factory=list)
    failed: list[DeliveryLine] = field(default_factory=list)
    retrying: list[DeliveryLine] = field(default_factory=list)
    #: Rows waiting with a note (put back untried, or given their attempt back).
    pending: list[DeliveryLine] = field(default_factory=list)
    #: Until when the next sends retry rows failed for a temporary reason.
    retried_until: datetime | None = None

    @property
    def total(self) -> int:
        """Every delivery row of the edition."""
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        """Plain data (the shape of one edition in ``digest status --json``)."""
        return {
            "id": self.edition.id,
            "language": self.edition.language,
            "status": self.edition.status.value,
            "counts": self.counts,
            "next_retry": self.next_retry.isoformat() if self.next_retry else None,
            "resent_after_crash": self.resent_after_crash,
            "in_flight": [line.as_dict() for line in self.in_flight],
            "held": [line.as_dict() for line in self.held],
            "failed": [line.as_dict() for line in self.failed],
            "retrying": [line.as_dict() for line in self.retrying],
            "pending": [line.as_dict() for line in self.pending],
            "retried_until": self.retried_until.isoformat() if self.retried_until else None,
        }


@dataclass(frozen=True)
class StatusReport:
    """Every edition of a date and where its deliveries stand."""

    day: date
    now: datetime
    editions: list[EditionDeliveries]

    def as_dict(self) -> dict[str, Any]:
        """Plain data: exactly what ``digest status --json`` prints."""
        return {
            "date": self.day.isoformat(),
            "now": self.now.isoformat(),
            "editions": [ed.as_dict() for ed in self.editions],
        }


def edition_deliveries(
    store: Store, edition: Edition, *, now: datetime, give_up_after_hours: float = 24.0
) -> EditionDeliveries:
    """Where ``edition``'s deliveries stand at ``now``; rows failed for a temporary
    reason are retried by later sends until ``give_up_after_hours`` after it was built."""
    assert edition.id is not None
    snap = snapshots(store, [edition.id], limit=ROW_LIMIT)[edition.id]
    return _from_snapshot(edition, snap, now, give_up_after_hours)


def _from_snapshot(edition: Edition, snap: Snapshot, now: datetime, give_up_after_hours: float) -> EditionDeliveries:
    in_flight = snap.rows["sending"]
    dead = set(local_dead_senders({r.claimed_by for r in in_flight if r.claimed_by}))
    return EditionDeliveries(
        edition=edition,
        counts=snap.counts,
        next_retry=snap.next_due,
        resent_after_crash=snap.resent_after_crash,
        in_flight=[
            DeliveryLine(r, r.claimed_by in dead or (r.lease_until is not None and r.lease_until < now))
            for r in in_flight
        ],
        held=[DeliveryLine(r) for r in snap.rows["held"]],
        failed=[DeliveryLine(r) for r in snap.rows["failed"]],
        retrying=[DeliveryLine(r) for r in snap.rows["retry"]],
        pending=[DeliveryLine(r) for r in snap.rows["pending"]],  # the ones with a note
        retried_until=(edition.built_at + timedelta(hours=give_up_after_hours)) if edition.built_at else None,
    )


def delivery_status(store: Store, settings: Settings, day: date | None, *, now: datetime) -> StatusReport:
    """``digest status``: every stored edition of ``day`` (default: today in the
    newsletter's timezone) and its deliveries at ``now`` (four statements in all: the
    editions without their items, then :func:`digest.store.delivery_snapshot.snapshots`)."""
    day = edition_day(settings, day, now)
    editions = [ed for ed in edition_rows_for_date(store, settings.newsletter.name, day) if ed.id is not None]
    hours = float(settings.smtp.give_up_after_hours)
    snaps = snapshots(store, [ed.id for ed in editions if ed.id is not None], limit=ROW_LIMIT)
    return StatusReport(
        day, now, [_from_snapshot(ed, snaps[ed.id], now, hours) for ed in editions if ed.id is not None]
    )


@dataclass(frozen=True)
class SendSummary:
    """Where the rows of the editions just sent stand (the end of ``digest send``)."""

    editions: list[Edition]
    counts: dict[str, int]
    next_retry: datetime | None
    resent_after_crash: int
    failures: list[DeliveryRow]
    possible_duplicates: int = 0  # of those resent, the most that can have been delivered twice


def send_summary(store: Store, editions: Sequence[Edition], *, failures: int = 10, connections: int = 1) -> SendSummary:
    """Counts by state over ``editions``, the next retry, rows resent after a crash (and
    how many of them can be duplicates with ``connections`` per sender) and the first
    ``failures`` failed rows."""
    ids = [ed.id for ed in editions if ed.id is not None]
    return SendSummary(
        editions=list(editions),
        counts=counts(store, ids),
        next_retry=admin.next_due(store, ids),
        resent_after_crash=admin.resent_after_crash(store, ids),
        failures=admin.rows_in(store, ids, ["failed"], limit=failures),
        possible_duplicates=admin.possible_duplicates(store, ids, per_sender=connections),
    )


def left_to_send(store: Store, edition_ids: Sequence[int], *, now: datetime) -> int:
    """Rows of the editions due at ``now`` or in flight: what a progress bar waits for."""
    return admin.due_count(store, now=now, edition_ids=edition_ids) + counts(store, edition_ids)["sending"]
