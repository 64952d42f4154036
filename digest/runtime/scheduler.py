"""The APScheduler adapter: the jobs that call the orchestrator with the real clock.

The decisions themselves (what is due, building, fan-out, catch-up) live in
digest.daily.tick; this module only runs :meth:`DailyTicker.tick` every minute and the
feed poll every [schedule] poll_feeds_minutes, in worker threads, and reports its state
for /healthz. Only the service's composition root (digest.runtime.service) imports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from apscheduler.jobstores.memory import MemoryJobStore  # type: ignore[import-untyped]
from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

from digest import metrics
from digest.daily.tick import DailyTicker, TickReport

log = logging.getLogger(__name__)
_T = TypeVar("_T")

#: /healthz reports the scheduler down when no tick succeeded for this long.
STALE_AFTER = timedelta(minutes=5)


class ScheduleRunner:
    """The APScheduler 3 side: an AsyncIOScheduler with an in-memory job store.

    The job store is in memory on purpose: several processes share a database, never a
    job store, and every job is idempotent, so each process runs its own copy and the
    database (unique editions, ON CONFLICT fan-out, SKIP LOCKED claims, the first
    recorded decision) keeps them from doing anything twice. The cost is that
    APScheduler cannot know about runs missed while the process was down; the catch-up
    tick at start-up (:meth:`catch_up`) is what decides about those.

    Jobs, and why their misfire settings are what they are:

    * ``tick`` at second 0 of every minute (send times are HH:MM). ``coalesce=True``: if
      the loop was held up and several runs are owed, one tick does everything due at
      its ``now``. ``misfire_grace_time=None``: a late tick always runs — it reads the
      clock itself and the catch-up rules, not APScheduler, judge lateness.
      ``max_instances=1``: a slow tick (a build) is never overlapped by the next.
    * ``poll_feeds`` every [schedule] poll_feeds_minutes, first run at start-up.
      ``coalesce=True``: one poll fetches everything new, owed polls add nothing.
      ``misfire_grace_time`` = one interval: a poll later than that is dropped, the next
      one is due anyway. ``max_instances=1``: slow feeds never pile up polls.
    """

    def __init__(self, ticker: DailyTicker, *, clock: Callable[[], datetime]) -> None:
        self.ticker = ticker
        self.clock = clock
        self.poll_minutes: int = ticker.settings.schedule.poll_feeds_minutes
        self.scheduler = AsyncIOScheduler(timezone=UTC, jobstores={"default": MemoryJobStore()})
        self.last_tick: datetime | None = None
        self.last_error: str = ""
        self.next_send: datetime | None = None
        self.warnings: list[str] = []  # from the last tick (review mode: unapproved editions)
        self._lock = asyncio.Lock()
        self._inflight: set[asyncio.Future[Any]] = set()

    async def catch_up(self) -> TickReport:
        """The start-up tick: decide about sends missed while the service was down."""
        return await self.run_tick(start_up=True)

    def start(self) -> None:
        """Add the jobs and start the scheduler (inside the running event loop)."""
        self.scheduler.add_job(
            self._tick_job,
            CronTrigger(second=0, timezone=UTC),
            id="tick",
            name="build, fan out and catch up what is due",
            coalesce=True,
            misfire_grace_time=None,
            max_instances=1,
            replace_existing=True,
        )
        if self.poll_minutes > 0:
            self.scheduler.add_job(
                self._poll_job,
                IntervalTrigger(minutes=self.poll_minutes, timezone=UTC),
                id="poll_feeds",
                name="poll registered feeds",
                coalesce=True,
                misfire_grace_time=self.poll_minutes * 60,
                max_instances=1,
                next_run_time=self.clock() + timedelta(seconds=5),
                replace_existing=True,
            )
        self.scheduler.start()
        log.info("scheduler started", extra={"jobs": [job.id for job in self.scheduler.get_jobs()]})

    async def shutdown(self) -> None:
        """Start no new job; let the tick or poll under way finish."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler stops on the loop's next turn
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)

    async def run_tick(self, *, start_up: bool = False) -> TickReport:
        """One tick at the clock's ``now``, in a worker thread (the loop keeps serving)."""
        async with self._lock:
            now = self.clock()
            started = time.perf_counter()
            try:
                report = await self._in_thread(functools.partial(self.ticker.tick, now, start_up=start_up))
                self.next_send = await self._in_thread(self.ticker.next_send, now)
            except Exception as exc:
                metrics.TICKS.labels(result="error").inc()
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("scheduler tick failed")
                raise
            finally:
                metrics.TICK_SECONDS.observe(time.perf_counter() - started)
            metrics.TICKS.labels(result="ok").inc()
            self.last_tick, self.last_error = now, ""
            self.warnings = list(report.held)  # review mode: editions unapproved at send time
            return report

    async def _in_thread(self, func: Callable[..., _T], *args: Any) -> _T:
        # Shielded and tracked: APScheduler's shutdown cancels job coroutines, and a
        # database transaction must not be abandoned half-way; shutdown() awaits it.
        future = asyncio.ensure_future(asyncio.to_thread(func, *args))
        self._inflight.add(future)
        future.add_done_callback(self._inflight.discard)
        return await asyncio.shield(future)

    async def _tick_job(self) -> None:
        # Errors are logged and counted in run_tick. A cancellation comes from the
        # executor's shutdown: the shielded work goes on and shutdown() awaits it.
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await self.run_tick()

    async def _poll_job(self) -> None:
        try:
            await self._in_thread(self.ticker.poll, self.clock())
        except asyncio.CancelledError:
            pass  # shutting down: the poll finishes in its thread, shutdown() awaits it
        except Exception:
            log.exception("feed poll failed")

    def status(self, now: datetime) -> dict[str, Any]:
        """For /healthz: running or not, each job's next run, the last good tick, the
        next send. ``running`` is False when the scheduler stopped or when no tick has
        succeeded for :data:`STALE_AFTER` (ticks failing, or stuck): either way nothing
        would be sent on time."""
        jobs = [
            {"id": job.id, "next_run_time": job.next_run_time.isoformat() if job.next_run_time else None}
            for job in self.scheduler.get_jobs()
        ]
        stale = self.last_tick is None or now - self.last_tick > STALE_AFTER
        return {
            "running": bool(self.scheduler.running) and not stale,
            "stale": stale,
            "jobs": jobs,
            "last_tick": self.last_tick.isoformat() if self.last_tick else None,
            "last_error": self.last_error,
            "next_send": self.next_send.isoformat() if self.next_send else None,
            "warnings": list(self.warnings),
        }
