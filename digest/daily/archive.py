"""The archive's reads, for the pages that show past editions: a reader's own copy
(:mod:`digest.web.archive`) and the public archive (:mod:`digest.web.public_archive`).

An edition is public once its sends are done (see :mod:`digest.store.archive`); these
functions are what the web doors call, so that they import no store module.
"""

from __future__ import annotations

from datetime import date, datetime

from digest.models import Edition
from digest.store import Store
from digest.store import archive as store


def edition(db: Store, edition_id: int) -> Edition | None:
    """The edition with this id as readers got it, or None."""
    return store.edition(db, edition_id)


def is_published(db: Store, edition_id: int, *, now: datetime) -> bool:
    """Whether the edition is in the public archive at ``now``."""
    return store.is_published(db, edition_id, now=now)


def published(db: Store, *, now: datetime, limit: int, offset: int = 0) -> tuple[list[Edition], int]:
    """One page of the public archive, newest first, and how many editions it holds."""
    return store.published(db, now=now, limit=limit, offset=offset)


def published_edition(db: Store, edition_date: date, language: str, *, now: datetime) -> Edition | None:
    """The public edition of ``edition_date`` in ``language``, or None (not built, or not public yet)."""
    return store.published_edition(db, edition_date, language, now=now)
