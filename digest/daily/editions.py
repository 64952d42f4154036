"""The day's editions as a send sees them, without building any: which date, which of
them have something to send, and the operator's fan-out of them, due now.

Kept apart from :mod:`digest.daily.build` (the editorial pipeline, the summarisers,
the language model: over a second of CPU to import) so that a ``digest send`` whose
editions are built, a ``digest worker`` and ``digest status`` never import it;
:func:`digest.daily.send.day_editions` imports the build only when a language is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from digest.config import Settings
from digest.models import Edition, EditionStatus
from digest.store import Store
from digest.timing import edition_date_for


def edition_day(settings: Settings, day: date | None, now: datetime) -> date:
    """``day``, or by default the edition date of ``now``: today in [schedule] timezone."""
    return day or edition_date_for(now, settings.schedule.timezone)


def sendable(editions: Sequence[Edition]) -> list[Edition]:
    """The editions that have something to send (a SKIPPED edition has no items)."""
    return [ed for ed in editions if ed.status is not EditionStatus.SKIPPED and ed.items and ed.id is not None]


def fan_out_now(store: Store, editions: Sequence[Edition], *, now: datetime) -> list[int]:
    """An operator's explicit send: one delivery row per confirmed subscriber of each
    edition's language, due ``now`` whatever their own send time, and the editions'
    rows still waiting (pending, or retry after a backoff) brought forward to ``now``.
    Re-runnable: rows that exist are left alone. Returns the edition ids."""
    from digest.store.delivery_admin import bring_forward, reopen_missed
    from digest.store.fanout import fan_out

    ids = []
    for ed in sendable(editions):
        assert ed.id is not None
        fan_out(store, ed.id, language=ed.language, due_at_for=lambda _tz, _at: now, now=now)
        ids.append(ed.id)
    # An explicit send overrides the scheduler's catch-up rule: rows it skipped as too
    # late (never tried) are due again for subscribers still confirmed.
    reopen_missed(store, ids, now=now)
    bring_forward(store, ids, now=now)
    return ids
