"""The archive's reads, for the pages that show past editions: a reader's own copy
(:mod:`digest.web.archive`) and the public archive (:mod:`digest.web.public_archive`).

An edition is public once its sends are finished, or once ``[web] archive_after`` (a
local time of its day; by default its latest send time) has passed (see
:mod:`digest.store.archive`); these functions are what the web doors call, so that
they import no store module.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from digest.config import Settings
from digest.models import Edition
from digest.store import Store
from digest.store import archive as store


def edition(db: Store, edition_id: int) -> Edition | None:
    """The edition with this id as readers got it, or None."""
    return store.edition(db, edition_id)


def public_before(settings: Settings, now: datetime) -> date | None:
    """With ``[web] archive_after`` set: editions dated before this day are past that
    time at ``now`` (today's once the local time has come). None when it is empty: an
    edition's own latest send time decides."""
    raw: str = settings.web.archive_after
    if not raw:
        return None
    local = now.astimezone(ZoneInfo(settings.schedule.timezone))
    hour, minute = (int(part) for part in raw.split(":"))
    return local.date() + timedelta(days=1) if local.time() >= time(hour, minute) else local.date()


def is_published(db: Store, settings: Settings, edition_id: int, *, now: datetime) -> bool:
    """Whether the edition is in the public archive at ``now``."""
    return store.is_published(db, edition_id, now=now, public_before=public_before(settings, now))


def published(
    db: Store, settings: Settings, *, now: datetime, limit: int, offset: int = 0
) -> tuple[list[Edition], int]:
    """One page of the public archive, newest first, and how many editions it holds."""
    return store.published(db, now=now, limit=limit, offset=offset, public_before=public_before(settings, now))


def published_edition(
    db: Store, settings: Settings, edition_date: date, language: str, *, now: datetime
) -> Edition | None:
    """The public edition of ``edition_date`` in ``language``, or None (not built, or not public yet)."""
    return store.published_edition(db, edition_date, language, now=now, public_before=public_before(settings, now))
