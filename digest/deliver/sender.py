"""The sender loop: claim a batch of due rows, make their messages, mark ``sending``,
send over the pool, write each outcome; again until nothing is due (or, for a worker,
for ever).

Within a batch the work is a pipeline, so the database never stalls the connections:

* the *feeder* makes the next few messages (one per connection), marks exactly
  those rows ``sending`` in one transaction, and queues them; at any moment the rows
  in ``sending`` are the ones queued or on the wire — after a crash, the only ones a
  reader might get twice;
* one *worker* per connection takes messages off the queue and sends them;
* each outcome is committed as soon as its reply arrives (on a thread and a
  connection of its own), ``sent`` only for a 250, retries with their backoff; the
  connection sends the next message's envelope and bytes meanwhile, but not its final
  dot until that commit is done. Replies that arrive while a commit is under way are
  written together by the next one (group commit), so the database keeps up with any
  number of connections — and after a ``kill -9`` each connection has at most one
  message the server took whose outcome is not written: the duplicates a crash can
  make are at most the connections.

Leases are renewed while a batch runs; rows not started when the loop stops (a stop
request, a server that went down) are released for another sender at once, and rows
marked ``sending`` but not yet on the wire go back to wait uncharged (``untried``), so a
stop request ends the loop within seconds. Outcomes pass the :class:`Breaker` first:
when refusals of ours or temporary ones dominate it trips, nothing more goes out, and
the attempts its evidence cost are given back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from digest.config import Settings
from digest.deliver.breaker import Breaker
from digest.deliver.jobs import Job, Jobs
from digest.deliver.ledger import Claims
from digest.deliver.options import SenderOptions, SendReport
from digest.deliver.pacer import SendPacer
from digest.deliver.pool import Connection, Pool, SMTPConfig
from digest.deliver.replies import SmtpOutcome, Stage, Verdict, attempt_result
from digest.deliver.writer import GroupCommit
from digest.logs import mask_email, mask_emails
from digest.models import DeliveryState, OutgoingMessage
from digest.store import Store
from digest.store.claims import ClaimedDelivery

log = logging.getLogger(__name__)

#: Pause after the server went down, doubling while it stays down, at most this.
DOWN_PAUSE = 5.0
MAX_DOWN_PAUSE = 300.0
#: Times a message refused by a throttling server goes back to the queue before it is
#: put back to wait (no attempt charged).
MAX_REQUEUES = 3


class MessageSource(Protocol):
    """What the sender needs to get each claimed row's message (the service's edition
    messages adapt :class:`digest.mail.compose.EditionComposer` to it)."""

    def message_for(self, delivery: ClaimedDelivery) -> OutgoingMessage:
        """The finished message (envelope and bytes) for one claimed delivery."""
        ...


def utcnow() -> datetime:
    """The real clock, the default of ``run_sender(now=...)``."""
    return datetime.now(UTC)


class Sender:
    """One sender: its claims, its pool of connections, its report."""

    def __init__(
        self,
        store: Store,
        options: SenderOptions,
        smtp: SMTPConfig,
        messages: MessageSource,
        *,
        sender_id: str,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        edition_ids: Collection[int] | None = None,
    ) -> None:
        self.options = options
        self.messages = messages
        self.sender_id = sender_id
        self.clock = clock
        self.rng = rng or random.Random()
        self.pacer = SendPacer(options.rate_per_second)
        # Set by a stop request or a tripped breaker: nothing more goes on the wire.
        self.halt = asyncio.Event()
        self.pool = Pool(smtp, options.connections, pacer=self.pacer, stop=self.halt)
        self.breaker = Breaker()
        self.claims = Claims(
            store,
            sender_id,
            batch=options.batch_size,
            lease=options.lease,
            in_flight_policy=options.in_flight_policy,
            soft_limit=options.soft_limit,
            soft_days=options.soft_days,
            clock=clock,
            edition_ids=edition_ids,
        )
        self.report = SendReport()
        self._held: set[int] = set()  # claimed rows without a written outcome
        self._started: set[int] = set()  # held rows marked sending
        self._fresh = 0  # rows claimed on their first attempt (what the breaker judges)
        self.writer = GroupCommit(self.claims, self.report, self._settled)

    def _settled(self, delivery_id: int) -> None:
        self._held.discard(delivery_id)
        self._started.discard(delivery_id)

    # The loop -----------------------------------------------------------------------

    async def run(self, stop: asyncio.Event, *, keep_polling: bool = False, poll_seconds: float = 5.0) -> SendReport:
        """Send until nothing is due (or, with ``keep_polling``, until ``stop`` is set).

        One pipeline for the whole run: the feeder claims batch after batch while the
        connections keep sending, so no batch boundary leaves them idle. A stop request
        ends it within seconds: messages on the wire finish, the rest go back to wait.
        """
        queue = Jobs(len(self.pool.connections))
        finished = asyncio.Event()
        try:
            await self.claims.find_dead()
            async with asyncio.TaskGroup() as group:
                group.create_task(self.writer.run(finished))
                group.create_task(self._renew_leases(finished))
                watcher = group.create_task(self._watch_stop(stop))
                workers = [group.create_task(self._work(c, queue)) for c in self.pool.connections]
                try:
                    await self._feed(queue, stop, keep_polling=keep_polling, poll_seconds=poll_seconds)
                    await queue.join()  # every message marked sending is sent and settled
                finally:
                    for task in (*workers, watcher):  # idle on an empty queue (unless cancelled from outside)
                        task.cancel()
                    await asyncio.gather(*workers, watcher, return_exceptions=True)
                    finished.set()
                    self.writer.wake()
        finally:
            self.report.interrupted = stop.is_set()
            await self._shutdown()
        return self.report

    async def _watch_stop(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self.halt.set()

    async def _feed(self, queue: Jobs, stop: asyncio.Event, *, keep_polling: bool, poll_seconds: float) -> None:
        """Claim batches; make a window of messages at a time, mark those rows
        sending in one transaction, queue them for the connections."""
        down_pause = DOWN_PAUSE
        window = max(8, 2 * len(self.pool.connections))
        while not stop.is_set():
            rows = await self.claims.claim()
            if rows:
                self.report.claimed += len(rows)
                self._fresh += sum(1 for r in rows if r.attempts == 0 and r.state is DeliveryState.PENDING)
                self.breaker.expected = self._fresh
                self.report.editions.update(r.edition_id for r in rows)
                self._held.update(r.id for r in rows)
                for start in range(0, len(rows), window):
                    if self.halt.is_set() or self.pool.down:
                        break
                    await self._queue_window(rows[start : start + window], queue)
                unstarted = [r.id for r in rows if r.id in self._held and r.id not in self._started]
                if unstarted:  # stopped, or the server went down: free them for the next sender
                    self.report.released += await self.claims.release(unstarted)
                    self._held.difference_update(unstarted)
            if self.pool.fatal:
                self.report.fatal = self.pool.fatal
                log.error("sending stopped", extra={"error": self.pool.fatal})
                return
            if self.breaker.tripped is not None:
                await queue.join()
                await self._settle_trip()
                if not keep_polling:
                    return
                await _wait(stop, down_pause)
                down_pause = min(MAX_DOWN_PAUSE, down_pause * 2)
                self.breaker, self.report.stopped, self._fresh = Breaker(), "", 0
                if not stop.is_set():
                    self.halt.clear()
                continue
            if self.pool.down:
                self.report.server_down = self.pool.last_error
                log.warning("SMTP server unavailable", extra={"error": self.pool.last_error})
                if not keep_polling:
                    return
                await _wait(stop, down_pause)
                down_pause = min(MAX_DOWN_PAUSE, down_pause * 2)
                self.pool.reset()
                continue
            down_pause = DOWN_PAUSE
            if not rows:
                if not keep_polling:
                    return
                await _wait(stop, poll_seconds)
                await self.claims.find_dead()

    async def _queue_window(self, rows: list[ClaimedDelivery], queue: Jobs) -> None:
        jobs = []
        for row in rows:
            jobs.append(self._prepare(row))
            # Composing (and signing: ~2 ms of RSA each) a whole window at once would
            # leave every connection's reply unread meanwhile: let them go on between two.
            await asyncio.sleep(0)
        ours = await self.claims.mark_sending([j.row.id for j in jobs])
        for job in jobs:
            if job.row.id not in ours:
                self.report.lost += 1
                self._held.discard(job.row.id)
                continue
            self._started.add(job.row.id)
            if job.message is None:  # nothing went out: no need to wait for its commit
                self._queue_result(job, SmtpOutcome(Verdict.FAILED, Stage.UNKNOWN, None, job.error))
            else:
                await queue.put(job)

    async def _settle_trip(self) -> None:
        """The breaker tripped: every outcome is written; give back the attempts its
        evidence cost the readers."""
        await self.writer.flush()
        self.report.stopped = self.breaker.describe()
        self.report.stopped_fault = self.breaker.tripped.value if self.breaker.tripped else ""
        log.error("sending stopped", extra={"error": self.report.stopped})
        if self.breaker.evidence:
            # Written on every refunded row: the reply that stopped the send may name one
            # reader's address (554 5.7.1 <a@b>: ...), which no other reader's row may show.
            note = mask_emails(f"not charged: the send stopped ({self.report.stopped})")
            self.report.refunded += await self.claims.refund(self.breaker.evidence, note)
            self.breaker.evidence = []

    async def _shutdown(self) -> None:
        try:
            await self.writer.flush()
            if self.breaker.tripped is not None and self.breaker.evidence:
                await self._settle_trip()
            if self._held:  # every row claimed is in _held until its outcome is written
                self.report.released += await self.claims.release(sorted(self._held))
            await self.pool.close()
            self.report.connections_opened = self.pool.opened
            self.report.throttled = self.pacer.throttled
            self.report.pool_limit = self.pool.limit
            if self.report.editions:
                await self.claims.finish(self.report.editions)
        finally:
            self.claims.close()

    def _prepare(self, row: ClaimedDelivery) -> Job:
        try:
            return Job(row, self.messages.message_for(row))
        except Exception as exc:  # a bad row must not stop the send of everyone else
            log.exception("could not compose a message", extra={"delivery": row.id})
            return Job(row, None, f"could not compose the message: {type(exc).__name__}: {exc}")

    async def _work(self, connection: Connection, queue: Jobs) -> None:
        """Send the queued messages on one connection, while the pool allows it.

        The next message's envelope and bytes go out while the previous outcome is
        being committed, but its final dot waits for that commit (``ready``): a crash
        never leaves more than one sent-but-unwritten message per connection.
        """
        written: asyncio.Future[None] | None = None  # the commit of this connection's last outcome
        while True:
            if connection.index >= self.pool.limit and connection.connected:
                await connection.close()  # the server allows fewer connections: free ours
            await self.pool.admit(connection.index)
            job = await queue.get()
            assert job.message is not None
            if connection.index >= self.pool.limit and not self.halt.is_set():
                queue.put_back(job)  # the pool shrank while this connection waited
                continue
            if self.halt.is_set():
                reason = self.report.stopped or self.breaker.describe() or "not sent: the send was stopped"
                outcome = SmtpOutcome(Verdict.UNTRIED, Stage.CONNECT, None, reason)
            elif self.pool.down:  # don't knock on a closed door: retry later
                reason = self.pool.fatal or f"SMTP server unavailable: {self.pool.last_error}"
                outcome = SmtpOutcome(Verdict.UNTRIED, Stage.CONNECT, None, reason)
            else:
                outcome = await self.pool.deliver(connection, job.message, ready=written)
                if outcome.throttle and not outcome.charged and job.requeued < MAX_REQUEUES:
                    job.requeued += 1  # not this connection's to send now: another takes it
                    queue.put_back(job)
                    continue
            try:
                written = self._queue_result(job, outcome, wait=True)
            finally:
                queue.done()

    # Outcomes -----------------------------------------------------------------------

    def _queue_result(self, job: Job, outcome: SmtpOutcome, *, wait: bool = False) -> asyncio.Future[None]:
        """Queue the outcome for the flusher's next group commit; the future returned
        is done once it is written (awaited by the connection with ``wait``)."""
        message_id = job.message.message_id if job.message is not None else ""
        was_tripped = self.breaker.tripped is not None
        fresh = job.row.attempts == 0 and job.row.state is DeliveryState.PENDING
        if self.breaker.observe(job.row.id, outcome, first_attempt=fresh):
            if not was_tripped:
                self.halt.set()  # nothing more goes out; the evidence is refunded at the end
                log.error("sending stopping", extra={"error": self.breaker.describe()})
            elif outcome.charged and outcome.verdict is not Verdict.SENT:
                outcome = replace(outcome, verdict=Verdict.UNTRIED)  # after the trip: not charged
        result = attempt_result(
            job.row,
            outcome,
            now=self.clock(),
            message_id=message_id,
            max_attempts=self.options.max_attempts,
            retry_base_seconds=self.options.retry_base_seconds,
            rng=self.rng,
        )
        if result.outcome == "untried" and outcome.throttle:
            # A server still throttling after the requeues: wait a little before trying again.
            result = replace(result, retry_at=result.at + timedelta(seconds=self.options.retry_base_seconds))
        if result.outcome not in ("sent", "untried"):
            log.info(
                "delivery " + ("will be retried" if result.outcome == "retry" else "failed"),
                extra={
                    "delivery": job.row.id,
                    "to": mask_email(job.row.subscriber.email),
                    "attempt": job.row.attempts + 1,
                    "reply": result.message,
                    "fault": result.fault,
                    "suppressed": bool(result.suppress),
                },
            )
            self.report.last_errors = [*self.report.last_errors[-4:], result.message]
        return self.writer.queue(result, wait=wait)

    async def _renew_leases(self, finished: asyncio.Event) -> None:
        interval = max(0.5, self.options.lease.total_seconds() / 3)
        while not finished.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(finished.wait(), timeout=interval)
            if not finished.is_set():
                await self.claims.renew(sorted(self._held))


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def run_sender(
    store: Store,
    settings: Settings,
    messages: MessageSource,
    *,
    sender_id: str,
    stop: asyncio.Event,
    now: Callable[[], datetime] = utcnow,
    keep_polling: bool = False,
    poll_seconds: float = 5.0,
    edition_ids: Collection[int] | None = None,
    rng: random.Random | None = None,
) -> SendReport:
    """Run one sender loop with ``settings``' [smtp] options.

    Returns when nothing is due any more, or — with ``keep_polling`` (``digest worker``,
    ``digest serve``) — when ``stop`` is set, polling every ``poll_seconds`` meanwhile.
    On stop it finishes the messages on the wire and releases the rest of its claim.
    ``edition_ids`` limits it to those editions (an operator's ``digest send``).
    """
    sender = Sender(
        store,
        SenderOptions.from_settings(settings),
        SMTPConfig.from_settings(settings),
        messages,
        sender_id=sender_id,
        clock=now,
        rng=rng,
        edition_ids=edition_ids,
    )
    return await sender.run(stop, keep_polling=keep_polling, poll_seconds=poll_seconds)
