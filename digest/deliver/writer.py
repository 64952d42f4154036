"""Group commit of a sender's outcomes: each outcome is written as soon as it is queued,
and the outcomes that arrive while a commit is under way go together in the next one,
so the database keeps up with any number of connections without ever waiting for a
batch size or a timer. A connection waits for its outcome's commit before it takes its
next message (see :mod:`digest.deliver.sender`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from digest import metrics
from digest.deliver.ledger import Claims
from digest.deliver.options import SendReport
from digest.store.outcomes import AttemptResult

log = logging.getLogger(__name__)


class GroupCommit:
    """Outcomes waiting for the next commit, with the futures their connections wait on
    (None: nobody waits, e.g. a message never composed)."""

    def __init__(self, claims: Claims, report: SendReport, settled: Callable[[int], None]) -> None:
        """Write through ``claims``, count in ``report``; ``settled(delivery_id)`` is
        called for every row whose outcome is written."""
        self.claims = claims
        self.report = report
        self.settled = settled
        self._results: list[tuple[AttemptResult, asyncio.Future[None] | None]] = []
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()

    def queue(self, result: AttemptResult, *, wait: bool) -> asyncio.Future[None]:
        """Queue ``result``; the future is done once it is written."""
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._results.append((result, written if wait else None))
        self._wake.set()
        return written

    def wake(self) -> None:
        """Let :meth:`run` look at its end condition again."""
        self._wake.set()

    async def flush(self) -> None:
        """Write every outcome queued, in one transaction."""
        async with self._lock:
            waiting, self._results = self._results, []
            if not waiting:
                return
            results = [result for result, _ in waiting]
            try:
                recorded = await self.claims.record(results)
            except BaseException as exc:
                for _, written in waiting:  # the connections waiting on it stop too
                    if written is not None and not written.done():
                        if isinstance(exc, Exception):
                            written.set_exception(exc)
                        else:
                            written.cancel()
                raise
            for _, written in waiting:
                if written is not None and not written.done():
                    written.set_result(None)
        tally: dict[tuple[str, int | None], int] = {}
        for r in results:
            self.settled(r.delivery_id)
            tally[r.outcome, r.code] = tally.get((r.outcome, r.code), 0) + 1
        for (outcome, code), count in tally.items():
            metrics.message_outcome(outcome, code, count=count)
        self.report.sent += recorded.sent
        self.report.retrying += recorded.retry
        self.report.failed += recorded.failed
        self.report.suppressed += recorded.suppressed
        self.report.untried += recorded.untried
        if recorded.lost:
            self.report.lost += len(recorded.lost)
            log.warning(
                "lease lost before the outcome was written; another sender may send these again",
                extra={"deliveries": list(recorded.lost)},
            )

    async def run(self, finished: asyncio.Event) -> None:
        """Write outcomes as soon as there are any, until ``finished`` and none is left."""
        while not (finished.is_set() and not self._results):
            await self._wake.wait()
            self._wake.clear()
            await self.flush()
