"""A pool of SMTP connections (aiosmtplib), each reused for many messages.

One aiosmtplib client serialises its transactions, so a sender keeps ``[smtp]
connections`` of them and sends on all at once. A connection opens on first use
(TLS, STARTTLS and login per ``[smtp]``), stays open across messages and batches, and
is reopened after a failure; the message that met a failed *connection* (refused,
greeted with 421, login or TLS trouble) is tried again on a fresh one a few times
before it counts as a failed attempt.

Messages are pre-built bytes (never ``send_message``, which would serialise an
EmailMessage again for every reader); bytes already in wire form skip aiosmtplib's
per-message re-encoding (see :mod:`digest.deliver.wire`), others go through ``sendmail``.

The pool also notices when the server is down: after a run of connection failures
with no success in between it is *down*, and the sender stops sending until later
instead of burning every reader's attempts.

``[smtp] connections`` is a ceiling, not a target. The pool opens connections one at a
time as messages go through (slow start); a 421 at the greeting while others are open
means the server allows no more: the pool shrinks to the connections it has (:attr:`Pool.limit`;
the connections beyond it close once their message is done) and grows back one
connection after :data:`GROW_AFTER` accepted messages, waiting twice as long after each
shrink. Repeated rate-limit replies (4.7.x) within :data:`THROTTLE_SECONDS` halve it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Coroutine
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiosmtplib

from digest.config import Settings, read_secret
from digest.deliver.pacer import SendPacer
from digest.deliver.replies import Fault, SmtpOutcome, Stage, Verdict, from_exception, sent
from digest.deliver.wire import transaction, wire_form
from digest.errors import DeliveryError
from digest.logs import register_secret
from digest.models import OutgoingMessage

log = logging.getLogger(__name__)

#: Times a message is tried on a fresh connection when the connection fails.
CONNECT_TRIES = 3
#: First pause after a connection failure (doubles per failure in a row; ``[smtp]
#: reconnect_pause_ms`` sets it), and the cap.
RECONNECT_PAUSE = 0.1
MAX_RECONNECT_PAUSE = 5.0
#: Accepted messages after which a throttled pool tries one more connection (doubled
#: after each shrink), and the rate-limit replies within THROTTLE_SECONDS that halve it.
GROW_AFTER = 200
THROTTLE_REPLIES = 3
THROTTLE_SECONDS = 10.0


@dataclass(frozen=True)
class SMTPConfig:
    """Where and how to connect: the ``[smtp]`` keys a connection needs."""

    host: str
    port: int
    security: str = "none"  # none, starttls, tls
    username: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 30.0
    ca_file: str = ""
    #: Seconds before the first reconnection after a failure (then doubled per failure).
    reconnect_pause: float = RECONNECT_PAUSE

    @classmethod
    def from_settings(cls, settings: Settings) -> SMTPConfig:
        """Read ``[smtp]``; the password comes from its env variable or file."""
        smtp = settings.smtp
        password = (read_secret(settings, "smtp", "password") or "") if smtp.username else ""
        register_secret(password)
        ca_file = str(settings.path(smtp.ca_file)) if smtp.ca_file else ""
        if ca_file and not Path(ca_file).is_file():
            raise DeliveryError(f"[smtp] ca_file {ca_file}: no such file (to check {smtp.host}'s certificate)")
        return cls(
            host=smtp.host,
            port=smtp.port,
            security=smtp.security,
            username=smtp.username,
            password=password,
            timeout=float(smtp.timeout_seconds),
            ca_file=ca_file,
            reconnect_pause=smtp.reconnect_pause_ms / 1000,
        )

    def client(self) -> aiosmtplib.SMTP:
        """A new, unconnected aiosmtplib client."""
        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            timeout=self.timeout,
            use_tls=self.security == "tls",
            # never None: aiosmtplib would upgrade opportunistically, against "security = none"
            start_tls=self.security == "starttls",
            cert_bundle=self.ca_file or None,
            username=self.username or None,
            password=self.password if self.username else None,
        )


class Connection:
    """One SMTP client, connected on demand and reused."""

    def __init__(self, config: SMTPConfig, index: int) -> None:
        self.config = config
        self.index = index
        self.client: aiosmtplib.SMTP | None = None
        self.failures = 0  # connection failures in a row
        self.sent = 0
        self.opened = 0

    @property
    def connected(self) -> bool:
        """True while the client holds an open connection."""
        return self.client is not None and self.client.is_connected

    async def _connect(self) -> SmtpOutcome | None:
        client = self.config.client()
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            outcome = from_exception(exc)
            return SmtpOutcome(
                Verdict.RETRY, Stage.CONNECT, outcome.code, outcome.message, throttle=outcome.throttle,
                broken=True, fatal=outcome.fatal,
            )  # fmt: skip
        self.client = client
        self.opened += 1
        return None

    async def send(self, message: OutgoingMessage, ready: Awaitable[None] | None = None) -> SmtpOutcome:
        """One transaction: MAIL FROM, RCPT TO, DATA with the message's bytes; ``ready``
        is awaited before the message is handed over (see :func:`transaction`)."""
        if not self.connected:
            failed = await self._connect()
            if failed is not None:
                self.failures += 1
                return failed
        assert self.client is not None
        handed_over = [False]  # set once the message's final dot is on the wire
        wire = None
        try:
            wire = wire_form(message)
            if wire is not None:
                reply = await transaction(self.client, message, wire, self.config.timeout, handed_over, ready)
            else:
                if ready is not None:
                    await ready
                _, reply = await self.client.sendmail(message.mail_from, [message.rcpt_to], message.data)
        except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
            if isinstance(exc, ValueError):  # an address aiosmtplib refuses to put on the wire
                return SmtpOutcome(Verdict.FAILED, Stage.RCPT, None, f"invalid address: {exc}")
            outcome = from_exception(exc)
            if outcome.broken or not self.client.is_connected:
                self.drop()
            if outcome.stage is Stage.UNKNOWN and wire is not None and not handed_over[0]:
                # Lost or timed out before the message was handed over: it cannot have
                # been delivered, so nobody is charged (a fault of the connection: ours).
                outcome = replace(outcome, stage=Stage.MAIL, fault=Fault.OURS)
            return outcome
        self.failures = 0
        self.sent += 1
        return sent(reply)

    def pause(self) -> float:
        """Seconds to wait before reconnecting after ``failures`` failures in a row."""
        if self.failures <= 0:
            return 0.0
        return float(min(MAX_RECONNECT_PAUSE, self.config.reconnect_pause * 2.0 ** (self.failures - 1)))

    def drop(self) -> None:
        """Forget a broken connection (the next send opens a new one)."""
        if self.client is not None:
            self.client.close()
        self.client = None

    async def close(self) -> None:
        """QUIT politely, or just close."""
        client, self.client = self.client, None
        if client is None or not client.is_connected:
            return
        try:
            await asyncio.wait_for(client.quit(), timeout=min(5.0, self.config.timeout))
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            client.close()


class Pool:
    """Up to ``size`` connections to one server sharing one pacer: how many the server
    accepts now (:attr:`limit`), and whether it seems down."""

    def __init__(
        self,
        config: SMTPConfig,
        size: int,
        *,
        pacer: SendPacer | None = None,
        down_after: int | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        self.config = config
        self.pacer = pacer or SendPacer()
        self.connections = [Connection(config, i) for i in range(max(1, size))]
        self.ceiling = len(self.connections)
        self.limit = 1  # slow start: one more connection per accepted message
        self.slow_start = True
        self.grow_after = GROW_AFTER
        self.shrinks = 0
        self._accepted_since = 0
        self._throttle_times: list[float] = []
        self._changed = asyncio.Event()
        self.stop = stop or asyncio.Event()
        # Down after this many connection failures in a row across the pool.
        self.down_after = down_after if down_after is not None else max(4, 2 * len(self.connections))
        self.failures_in_row = 0
        self.last_error = ""
        self.fatal = ""

    @property
    def down(self) -> bool:
        """True when the server refused every recent connection (or a fatal error)."""
        return bool(self.fatal) or self.failures_in_row >= self.down_after

    def reset(self) -> None:
        """Try again after a pause: forget the failures (not a fatal error)."""
        self.failures_in_row = 0

    # How many connections -----------------------------------------------------------

    def _set_limit(self, limit: int, why: str) -> None:
        limit = max(1, min(self.ceiling, limit))
        if limit == self.limit:
            return
        log.log(
            logging.WARNING if limit < self.limit else logging.INFO,
            "SMTP connections " + ("reduced" if limit < self.limit else "increased"),
            extra={"connections": limit, "was": self.limit, "reason": why},
        )
        self.limit = limit
        self._accepted_since = 0
        self._changed.set()
        self._changed = asyncio.Event()

    def shrink(self, limit: int, why: str) -> None:
        """The server accepts no more than ``limit`` connections for now: wait twice as
        long as last time before trying one more."""
        self.slow_start = False
        self.shrinks += 1
        self.grow_after = GROW_AFTER * 2 ** (self.shrinks - 1)
        self._set_limit(min(limit, self.limit), why)

    def _accepted(self) -> None:
        if self.slow_start:
            self._set_limit(self.limit + 1, "slow start")
            return
        self._accepted_since += 1
        if self._accepted_since >= self.grow_after and self.limit < self.ceiling:
            self._set_limit(self.limit + 1, f"{self._accepted_since} messages accepted")

    def _rate_limited(self, outcome: SmtpOutcome) -> None:
        now = time.monotonic()
        self._throttle_times = [t for t in self._throttle_times if t > now - THROTTLE_SECONDS] + [now]
        if len(self._throttle_times) >= THROTTLE_REPLIES and self.limit > 1:
            self._throttle_times.clear()
            self.shrink(self.limit // 2, outcome.message)

    async def admit(self, index: int) -> bool:
        """Wait until connection ``index`` may send (it is within :attr:`limit`);
        False when the pool was stopped meanwhile."""
        while index >= self.limit and not self.stop.is_set():
            await _first_of(self._changed.wait(), self.stop.wait())
        return not self.stop.is_set()

    # Sending ------------------------------------------------------------------------

    async def _send(
        self, connection: Connection, message: OutgoingMessage, ready: Awaitable[None] | None = None
    ) -> SmtpOutcome:
        if self.stop.is_set():
            return SmtpOutcome(Verdict.UNTRIED, Stage.CONNECT, None, "not sent: the send was stopped")
        if self.pacer.would_wait():  # a pause or a rate: wait, unless the send stops meanwhile
            if not await _first_of(self.pacer.acquire(), self.stop.wait()):
                return SmtpOutcome(Verdict.UNTRIED, Stage.CONNECT, None, "not sent: the send was stopped")
        else:
            await self.pacer.acquire()
        outcome = await connection.send(message, ready)
        if outcome.throttle:
            self.pacer.slow_down()
            log.warning("SMTP server throttling; slowing down", extra={"reply": outcome.message})
            if outcome.stage is not Stage.CONNECT:
                self._rate_limited(outcome)
        elif outcome.verdict is Verdict.SENT:
            self.pacer.accepted()
            self._accepted()
        return outcome

    async def deliver(
        self, connection: Connection, message: OutgoingMessage, *, ready: Awaitable[None] | None = None
    ) -> SmtpOutcome:
        """Send ``message`` on ``connection`` at the pool's pace, handing it over once
        ``ready`` is done (the connection's previous outcome written). A 421 at the greeting
        while other connections are open shrinks the pool (the message is the caller's
        to send on another); any other connection failure is retried on a fresh
        connection up to :data:`CONNECT_TRIES` times, pausing in between."""
        outcome = await self._send(connection, message, ready)
        tries = 1
        while outcome.stage is Stage.CONNECT and outcome.verdict is Verdict.RETRY:
            others = sum(1 for c in self.connections if c is not connection and c.connected)
            if outcome.throttle and others:
                self.shrink(others, outcome.message)
                return outcome
            self.failures_in_row += 1
            self.last_error = self._where(outcome.message)
            if outcome.fatal:
                self.fatal = self._where(outcome.message)
            if tries >= CONNECT_TRIES or self.down:
                return outcome
            log.info(
                "SMTP connection failed; reconnecting",
                extra={"connection": connection.index, "error": outcome.message, "pause": connection.pause()},
            )
            await _first_of(asyncio.sleep(connection.pause()), self.stop.wait())
            outcome = await self._send(connection, message, ready)
            tries += 1
        if outcome.fatal:
            self.fatal = self._where(outcome.message)
        if outcome.code is not None or outcome.verdict is Verdict.SENT:
            self.failures_in_row = 0  # the server answered: it is up
        elif outcome.verdict is not Verdict.UNTRIED:  # no reply at all: count it towards "down"
            self.failures_in_row += 1
            self.last_error = self._where(outcome.message)
        return outcome

    def _where(self, message: str) -> str:
        return f"{self.config.host}:{self.config.port}: {message}"

    async def close(self) -> None:
        """Close every connection."""
        await asyncio.gather(*(c.close() for c in self.connections), return_exceptions=True)

    @property
    def opened(self) -> int:
        """Connections opened so far (reuse shows as few openings for many messages)."""
        return sum(c.opened for c in self.connections)


async def _first_of(work: Coroutine[Any, Any, Any], interrupt: Coroutine[Any, Any, Any]) -> bool:
    """Run ``work`` unless ``interrupt`` finishes first (then ``work`` is cancelled);
    True when ``work`` completed."""
    task, other = asyncio.ensure_future(work), asyncio.ensure_future(interrupt)
    try:
        await asyncio.wait({task, other}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        left = [f for f in (task, other) if not f.done()]
        for pending in left:
            pending.cancel()
        if left:
            # asyncio.wait, never ``await pending`` under suppress(CancelledError): a
            # cancellation of *this* task arriving while a child winds down would be taken
            # for the child's and swallowed, and the caller would go on waiting (a sender
            # stopping its connections then waited for ever).
            await asyncio.wait(left)
    return task.done() and not task.cancelled()


async def send_each(config: SMTPConfig, messages: list[OutgoingMessage]) -> list[SmtpOutcome]:
    """Send a few messages one after the other on one connection (test copies):
    each one's outcome, in order; nothing is written anywhere."""
    pool = Pool(config, 1)
    try:
        return [await pool.deliver(pool.connections[0], m) for m in messages]
    finally:
        await pool.close()
