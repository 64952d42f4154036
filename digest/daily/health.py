"""What /healthz and /metrics read from the database: whether it answers with the
current schema, and the delivery backlog (:mod:`digest.web.ops` serves them)."""

from __future__ import annotations

from datetime import datetime

from digest.store import Store, schedule_runs
from digest.store.schedule_runs import Backlog

__all__ = ["Backlog", "Store", "check_database", "delivery_backlog"]


def check_database(db: Store) -> None:
    """Raise a DigestError unless the database answers with the current schema."""
    db.check()


def delivery_backlog(db: Store, *, now: datetime) -> Backlog:
    """The deliveries due and in flight at ``now``."""
    return schedule_runs.backlog(db, now=now)
