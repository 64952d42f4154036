"""A sender's side of the delivery table: its claims, marks and outcomes, run on one
database thread of its own so the event loop (and the SMTP connections on it) never
waits for the database.

Every call goes through :mod:`digest.store.claims` or :mod:`digest.store.outcomes` with
this sender's id, so every write is guarded by ``claimed_by``. :func:`local_dead_senders` recognises senders of
this machine whose process is gone (a crash, a SIGKILL): their rows are taken back at
once instead of after their lease.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import os
import socket
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from digest.store import Store, outcomes
from digest.store import claims as db
from digest.store.claims import ClaimedDelivery
from digest.store.delivery_admin import finish_editions
from digest.store.outcome_writer import OutcomeWriter
from digest.store.outcomes import AttemptResult, Recorded

_T = TypeVar("_T")


_RUNS = itertools.count(1000)  # above the indexes of a service's own senders (0, 1, ...)


def sender_id(index: int = 0) -> str:
    """``host:pid:index``: names a sender so an operator (and :func:`local_dead_senders`)
    can tell which machine and process holds a row."""
    return f"{socket.gethostname()}:{os.getpid()}:{index}"


def new_sender_id() -> str:
    """A sender id no other sender loop of this process has used (``host:pid:n``), so two
    sends in one process never share claims and each run's attempts can be told apart."""
    return sender_id(next(_RUNS))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    try:  # a zombie (killed, not yet reaped) is dead for our purpose
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def local_dead_senders(ids: Iterable[str], *, host: str | None = None) -> list[str]:
    """Sender ids of this machine whose process no longer runs."""
    host = host or socket.gethostname()
    dead = []
    for sid in ids:
        parts = sid.split(":")
        if len(parts) < 2 or parts[0] != host or not parts[1].isdigit():
            continue
        pid = int(parts[1])
        if pid != os.getpid() and not _pid_alive(pid):
            dead.append(sid)
    return dead


class Claims:
    """This sender's claims on the delivery table (async; one database thread)."""

    def __init__(
        self,
        store: Store,
        sender: str,
        *,
        batch: int,
        lease: timedelta,
        in_flight_policy: str,
        soft_limit: int,
        soft_days: float = 0.0,
        clock: Callable[[], datetime],
        edition_ids: Collection[int] | None = None,
    ) -> None:
        self.store = store
        self.sender = sender
        self.batch = batch
        self.lease = lease
        self.policy = in_flight_policy
        self.soft_limit = soft_limit
        self.soft_days = soft_days
        self.clock = clock
        self.edition_ids = list(edition_ids) if edition_ids is not None else None
        self.dead: list[str] = []
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digest-db")
        # Outcomes have a connection of their own with their SQL written once
        # (OutcomeWriter) and, on PostgreSQL, a thread of their own: a reply's commit
        # never waits behind a claim. SQLite has one writer at a time: there a second
        # thread would only meet the database's lock and its busy-wait sleeps.
        if store.engine.dialect.name == "sqlite":
            self._outcomes = self._executor
        else:
            self._outcomes = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digest-outcomes")
        self._writer = OutcomeWriter(store, sender)

    async def _run(self, func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(func, *args, **kwargs))

    async def find_dead(self) -> list[str]:
        """Look for crashed senders of this machine; their rows become claimable now."""
        live = await self._run(db.claimants, self.store, now=self.clock())
        self.dead = local_dead_senders(c for c in live if c != self.sender)
        return self.dead

    async def claim(self) -> list[ClaimedDelivery]:
        """The next batch of due rows, leased to this sender."""
        return await self._run(
            db.claim,
            self.store,
            self.sender,
            batch=self.batch,
            now=self.clock(),
            lease=self.lease,
            in_flight_policy=self.policy,
            edition_ids=self.edition_ids,
            dead_senders=self.dead,
        )

    async def mark_sending(self, ids: Sequence[int]) -> set[int]:
        """Mark rows ``sending`` before their transactions; the ids still ours."""
        return await self._run(db.mark_sending, self.store, self.sender, ids, now=self.clock(), lease=self.lease)

    async def record(self, results: Sequence[AttemptResult]) -> Recorded:
        """Write outcomes (sent only after a 250), attempts and suppressions, on the
        outcome thread."""
        loop = asyncio.get_running_loop()
        write = functools.partial(
            outcomes.record,
            self.store,
            self.sender,
            results,
            soft_limit=self.soft_limit,
            soft_days=self.soft_days,
            prepared=self._writer,
        )
        return await loop.run_in_executor(self._outcomes, write)

    async def refund(self, ids: Sequence[int], note: str) -> int:
        """Give back the attempts a stopped send charged (see :func:`outcomes.refund`)."""
        return await self._run(outcomes.refund, self.store, ids, now=self.clock(), note=note)

    async def renew(self, ids: Sequence[int]) -> int:
        """Extend the lease on rows still held."""
        return await self._run(db.renew, self.store, self.sender, ids, until=self.clock() + self.lease)

    async def release(self, ids: Sequence[int] | None = None) -> int:
        """Give back rows not started, for another sender to take at once."""
        return await self._run(db.release, self.store, self.sender, ids, now=self.clock())

    async def finish(self, edition_ids: Collection[int]) -> list[int]:
        """Mark sent the editions with nothing left to do."""
        return await self._run(finish_editions, self.store, edition_ids, now=self.clock())

    def close(self) -> None:
        """Stop the database threads (after the calls under way)."""
        self._outcomes.submit(self._writer.close).result()
        self._outcomes.shutdown(wait=True)
        self._executor.shutdown(wait=True)
