"""The queue between a sender's feeder and its connections (:class:`Jobs`): bounded for
the feeder, and a job a throttled connection could not send goes back to its front for
another connection, still counted unfinished (so ``join`` waits for it)."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from digest.models import OutgoingMessage
from digest.store.claims import ClaimedDelivery


@dataclass
class Job:
    """A claimed row and its message (None when it could not be composed)."""

    row: ClaimedDelivery
    message: OutgoingMessage | None
    error: str = ""
    requeued: int = 0  # times a throttling server sent it back to the queue


class Jobs:
    """The queue between the feeder and the connections: bounded for the feeder, and a
    job a throttled connection could not send goes back to its front for another."""

    def __init__(self, size: int) -> None:
        """A queue holding at most ``size`` jobs waiting."""
        self.size = size
        self._jobs: deque[Job] = deque()
        self._unfinished = 0
        self._changed = asyncio.Event()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def put(self, job: Job) -> None:
        """Queue a new job, waiting for room."""
        while len(self._jobs) >= self.size:
            await self._changed.wait()
        self._jobs.append(job)
        self._unfinished += 1
        self._notify()

    def put_back(self, job: Job) -> None:
        """A job taken but not sent: first in line again (still unfinished)."""
        self._jobs.appendleft(job)
        self._notify()

    async def get(self) -> Job:
        """The next job, waiting for one."""
        while not self._jobs:
            await self._changed.wait()
        job = self._jobs.popleft()
        self._notify()
        return job

    def done(self) -> None:
        """A job taken is settled (its outcome queued for writing)."""
        self._unfinished -= 1
        self._notify()

    async def join(self) -> None:
        """Wait until every job queued is settled."""
        while self._unfinished:
            await self._changed.wait()
