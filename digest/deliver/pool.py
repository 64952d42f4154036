"""A pool of SMTP connections (aiosmtplib), each reused for many messages.

One aiosmtplib client serialises its transactions, so a sender keeps ``[smtp]
connections`` of them and sends on all at once. A connection opens on first use
(TLS, STARTTLS and login per ``[smtp]``), stays open across messages and batches, and
is reopened after a failure; the message that met a failed *connection* (refused,
greeted with 421, login or TLS trouble) is tried again on a fresh one a few times
before it counts as a failed attempt.

Messages are pre-built bytes (never ``send_message``, which would serialise an
EmailMessage again for every reader); bytes already in wire form skip aiosmtplib's
per-message re-encoding (see :func:`wire_form`), others go through ``sendmail``.

The pool also notices when the server is down: after a run of connection failures
with no success in between it is *down*, and the sender stops sending until later
instead of burning every reader's attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass, field

import aiosmtplib

from digest.config import Settings, read_secret
from digest.deliver.pacer import SendPacer
from digest.deliver.replies import SmtpOutcome, Stage, Verdict, from_exception, sent
from digest.logs import register_secret
from digest.models import OutgoingMessage

log = logging.getLogger(__name__)

#: Times a message is tried on a fresh connection when the connection fails.
CONNECT_TRIES = 3
#: First pause after a connection failure (doubles per failure in a row), and the cap.
RECONNECT_PAUSE = 0.1
MAX_RECONNECT_PAUSE = 5.0


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

    @classmethod
    def from_settings(cls, settings: Settings) -> SMTPConfig:
        """Read ``[smtp]``; the password comes from its env variable or file."""
        smtp = settings.smtp
        password = (read_secret(settings, "smtp", "password") or "") if smtp.username else ""
        register_secret(password)
        ca_file = str(settings.path(smtp.ca_file)) if smtp.ca_file else ""
        return cls(
            host=smtp.host,
            port=smtp.port,
            security=smtp.security,
            username=smtp.username,
            password=password,
            timeout=float(smtp.timeout_seconds),
            ca_file=ca_file,
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

    async def send(self, message: OutgoingMessage) -> SmtpOutcome:
        """One transaction: MAIL FROM, RCPT TO, DATA with the message's bytes."""
        if not self.connected:
            failed = await self._connect()
            if failed is not None:
                self.failures += 1
                return failed
        assert self.client is not None
        try:
            wire = wire_form(message)
            if wire is not None:
                reply = await _transaction(self.client, message, wire, self.config.timeout)
            else:
                _, reply = await self.client.sendmail(message.mail_from, [message.rcpt_to], message.data)
        except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
            if isinstance(exc, ValueError):  # an address aiosmtplib refuses to put on the wire
                return SmtpOutcome(Verdict.FAILED, Stage.RCPT, None, f"invalid address: {exc}")
            outcome = from_exception(exc)
            if outcome.broken or not self.client.is_connected:
                self.drop()
            return outcome
        self.failures = 0
        self.sent += 1
        return sent(reply)

    def pause(self) -> float:
        """Seconds to wait before reconnecting after ``failures`` failures in a row."""
        if self.failures <= 0:
            return 0.0
        return float(min(MAX_RECONNECT_PAUSE, RECONNECT_PAUSE * 2.0 ** (self.failures - 1)))

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


_PLAIN_ADDRESS = re.compile(r"[!#-;=?-~]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?", re.ASCII)
_LINE_DOT = re.compile(rb"\n\.")  # a literal pattern: sre finds it faster than ``in``


def wire_form(message: OutgoingMessage) -> bytes | None:
    """The message's bytes as DATA puts them on the wire (dots at line starts doubled),
    or None when they need aiosmtplib's full treatment: a bare CR or LF, no final CRLF,
    or an address that is not plain ASCII.

    digest.mail.compose builds CRLF-only bytes, so a few C-speed scans and one replace here
    stand in for aiosmtplib's two regular-expression passes over every 50 KB message
    (normalising line ends, doubling dots), which cost more than the rest of a
    transaction. A bare CR or LF is never sent as it is (it would open the door to SMTP
    smuggling): such bytes go through :meth:`aiosmtplib.SMTP.sendmail`.
    """
    data = message.data
    if not data.endswith(b"\r\n"):
        return None
    rest = data.replace(b"\r\n", b"")
    if b"\r" in rest or b"\n" in rest:
        return None
    for address in (message.mail_from, message.rcpt_to):
        if not address.isascii() or _PLAIN_ADDRESS.fullmatch(address) is None:
            return None
    if _LINE_DOT.search(data):
        data = data.replace(b"\n.", b"\n..")
    return b"." + data if data.startswith(b".") else data


async def _transaction(client: aiosmtplib.SMTP, message: OutgoingMessage, wire: bytes, timeout: float) -> str:
    """MAIL, RCPT, DATA with ``wire`` (see :func:`wire_form`): what ``sendmail`` does,
    raising the same exceptions (so replies classify alike), without re-validating the
    addresses and re-encoding the bytes."""
    if client.is_ehlo_or_helo_needed:
        await client.ehlo()
    mail = [b"FROM:<" + message.mail_from.encode("ascii") + b">"]
    if client.supports_extension("size"):
        mail.append(b"SIZE=%d" % len(message.data))  # RFC 1870: the size before dot-stuffing
    try:
        response = await client.execute_command(b"MAIL", *mail)
        if response.code != 250:
            raise aiosmtplib.SMTPSenderRefused(response.code, response.message, message.mail_from)
        response = await client.execute_command(b"RCPT", b"TO:<" + message.rcpt_to.encode("ascii") + b">")
        if response.code not in (250, 251):
            refused = aiosmtplib.SMTPRecipientRefused(response.code, response.message, message.rcpt_to)
            raise aiosmtplib.SMTPRecipientsRefused([refused])
        response = await client.execute_command(b"DATA")
        if response.code != 354:
            raise aiosmtplib.SMTPDataError(response.code, response.message)
        protocol = client.protocol
        if protocol is None:
            raise aiosmtplib.SMTPServerDisconnected("Connection lost")
        protocol.write(wire)
        protocol.write(b".\r\n")
        response = await protocol.read_response(timeout=timeout)
        if response.code != 250:
            raise aiosmtplib.SMTPDataError(response.code, response.message)
    except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused):
        if client.is_connected:  # reset the envelope for the next message, as sendmail does
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await client.rset()
        raise
    return response.message


class Pool:
    """``size`` connections to one server sharing one pacer, and whether that
    server seems down."""

    def __init__(
        self, config: SMTPConfig, size: int, *, pacer: SendPacer | None = None, down_after: int | None = None
    ) -> None:
        self.config = config
        self.pacer = pacer or SendPacer()
        self.connections = [Connection(config, i) for i in range(max(1, size))]
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

    async def _send(self, connection: Connection, message: OutgoingMessage) -> SmtpOutcome:
        await self.pacer.acquire()
        outcome = await connection.send(message)
        if outcome.throttle:
            self.pacer.slow_down()
            log.warning("SMTP server throttling; slowing down", extra={"reply": outcome.message})
        elif outcome.verdict is Verdict.SENT:
            self.pacer.accepted()
        return outcome

    async def deliver(self, connection: Connection, message: OutgoingMessage) -> SmtpOutcome:
        """Send ``message`` on ``connection`` at the pool's pace; a connection failure
        is retried on a fresh connection up to :data:`CONNECT_TRIES` times (pausing in
        between). Throttling replies slow the whole pool down."""
        outcome = await self._send(connection, message)
        tries = 1
        while outcome.stage is Stage.CONNECT and outcome.verdict is Verdict.RETRY:
            self.failures_in_row += 1
            self.last_error = outcome.message
            if outcome.fatal:
                self.fatal = outcome.message
            if tries >= CONNECT_TRIES or self.down:
                return outcome
            log.info(
                "SMTP connection failed; reconnecting",
                extra={"connection": connection.index, "error": outcome.message, "pause": connection.pause()},
            )
            await asyncio.sleep(connection.pause())
            outcome = await self._send(connection, message)
            tries += 1
        if outcome.fatal:
            self.fatal = outcome.message
        if outcome.verdict is not Verdict.RETRY or outcome.stage is not Stage.UNKNOWN:
            self.failures_in_row = 0
        return outcome

    async def close(self) -> None:
        """Close every connection."""
        await asyncio.gather(*(c.close() for c in self.connections), return_exceptions=True)

    @property
    def opened(self) -> int:
        """Connections opened so far (reuse shows as few openings for many messages)."""
        return sum(c.opened for c in self.connections)


async def send_each(config: SMTPConfig, messages: list[OutgoingMessage]) -> list[SmtpOutcome]:
    """Send a few messages one after the other on one connection (test copies):
    each one's outcome, in order; nothing is written anywhere."""
    pool = Pool(config, 1)
    try:
        return [await pool.deliver(pool.connections[0], m) for m in messages]
    finally:
        await pool.close()
