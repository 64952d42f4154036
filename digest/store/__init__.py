"""The store: the only package that talks SQL. It returns models, hides connections.

Query functions live in one module per concept (articles, subscribers, editions, ...);
:class:`Store` holds the engine they share. The delivery table has several, one per
concern: :mod:`~digest.store.deliveries` (its states, and which function writes each
transition), :mod:`~digest.store.fanout`, :mod:`~digest.store.claims`,
:mod:`~digest.store.outcomes`, :mod:`~digest.store.catchup` and
:mod:`~digest.store.delivery_admin` (the operator's actions and reads).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

from sqlalchemy import Engine

from digest.store.engine import Joined, immediate, make_engine
from digest.store.schema import current_revision, head_revision, require_current, upgrade

__all__ = ["Store", "immediate"]


class Store:
    """A database: an engine plus schema management."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine if engine is not None else make_engine(url)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def init(self) -> tuple[str | None, str]:
        """Create or upgrade the schema; returns (revision before, revision after)."""
        return upgrade(self.engine)

    def check(self) -> None:
        """Raise StoreError unless the schema exists and is current."""
        require_current(self.engine)

    def revision(self) -> str | None:
        """The schema revision the database is at."""
        return current_revision(self.engine)

    @staticmethod
    def head() -> str:
        """The schema revision this version of digest needs."""
        return head_revision()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """One transaction for several store calls (an action's write and its audit row).

        Yields a Store bound to one connection that holds the write lock (``BEGIN
        IMMEDIATE`` on SQLite): every query function called with it joins the
        transaction, committed when the block ends and rolled back if it raises.
        """
        if isinstance(self.engine, Joined):  # nested: join the open transaction
            yield self
            return
        with immediate(self.engine) as conn:
            yield Store(self.url, engine=cast(Engine, Joined(conn)))

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()
