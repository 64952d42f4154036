"""A real SMTP server for tests: aiosmtpd on port 0, recording what it receives,
with faults injected per recipient or per command.

Usage::

    from smtp_server import SMTPServer

    with SMTPServer() as smtp:                      # listening on 127.0.0.1:<free port>
        smtp.fail_recipient("b@example.org", "451 4.2.0 try later", times=2)
        smtp.fail_command("DATA", "554 5.7.1 rejected", times=1)
        smtp.disconnect_on("DATA")                   # drop the connection after the data, no reply
        smtp.stall_on("RCPT", seconds=5)             # answer late (client timeouts)
        smtp.fail_greeting("421 4.3.2 busy")         # next connection greeted with 421 and closed
        smtp.limit_connections(2)                    # a 3rd simultaneous connection gets 421 (Postfix's
                                                     # smtpd_client_connection_count_limit)
        smtp.refuse_connections()                    # the relay is down: connection refused ...
        smtp.accept_connections()                    # ... until it is back, on the same port
        smtp.reset()                                 # every fault and record forgotten (between tests)
        ... send to smtp.host, smtp.port ...
        smtp.wait_for(3)                             # block until 3 messages arrived
        smtp.received[0].message()["Subject"]

A fault fires ``times`` times (``None``: for ever) and is then spent, so "451 twice,
then accepted" is one call. Recipient faults match the address case-insensitively.
``recipient=`` limits a command fault to envelopes holding that recipient. The server
runs in its own thread and event loop, so sync and async tests can both use it.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session, syntax

COMMANDS = frozenset({"CONNECT", "EHLO", "MAIL", "RCPT", "DATA"})


@dataclass(frozen=True)
class Received:
    """One accepted message: its envelope and the exact bytes received."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    peer: tuple[str, int] | None = None
    at: float = 0.0

    def message(self) -> EmailMessage:
        """The bytes parsed with the modern email policy (defects raise)."""
        policy = email.policy.default.clone(raise_on_defect=True)
        msg = email.message_from_bytes(self.data, policy=policy)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class Fault:
    """What to do instead of the normal answer: reply with ``reply``, drop the
    connection, or wait ``stall_seconds`` first."""

    reply: str = ""
    times: int | None = 1
    disconnect: bool = False
    stall_seconds: float = 0.0
    recipient: str = ""
    fired: int = 0

    def spent(self) -> bool:
        """True once it has fired ``times`` times."""
        return self.times is not None and self.fired >= self.times


@dataclass
class RecordingHandler:
    """aiosmtpd handler: records accepted messages, applies the registered faults."""

    received: list[Received] = field(default_factory=list)
    commands: list[tuple[str, str]] = field(default_factory=list)
    rcpt_faults: dict[str, list[Fault]] = field(default_factory=dict)
    command_faults: dict[str, list[Fault]] = field(default_factory=dict)
    connections: int = 0
    open_connections: int = 0  # connections open right now
    connection_limit: int | None = None  # simultaneous connections allowed (None: any)
    limit_reply: str = "421 4.7.0 Error: too many connections from 127.0.0.1"
    refused_over_limit: int = 0  # connections greeted with limit_reply
    open_sessions: set[SMTP] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.arrived = threading.Condition(self.lock)

    def take(self, faults: list[Fault], envelope: Envelope | None = None) -> Fault | None:
        """The first live fault of ``faults`` (consuming one of its shots)."""
        with self.lock:
            for fault in faults:
                if fault.spent():
                    continue
                if fault.recipient and (
                    envelope is None or fault.recipient not in {r.lower() for r in envelope.rcpt_tos}
                ):
                    continue
                fault.fired += 1
                return fault
        return None

    async def apply(self, server: SMTP, fault: Fault) -> str | None:
        """Carry out ``fault``; the reply to send, or None after a disconnect."""
        if fault.stall_seconds:
            await asyncio.sleep(fault.stall_seconds)
        if fault.disconnect:
            assert server.transport is not None
            server.transport.abort()
            # connection_lost cancels this coroutine; nothing more is answered.
            await asyncio.sleep(3600)
            return None
        return fault.reply or None

    async def command_fault(self, server: SMTP, command: str, envelope: Envelope | None) -> str | None:
        """The reply a fault on ``command`` dictates, if one is live."""
        fault = self.take(self.command_faults.get(command, []), envelope)
        if fault is None:
            return None
        return await self.apply(server, fault)

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        self.commands.append(("EHLO", hostname))
        reply = await self.command_fault(server, "EHLO", envelope)
        if reply:
            return [reply]
        session.host_name = hostname
        return responses

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        self.commands.append(("MAIL", address))
        reply = await self.command_fault(server, "MAIL", envelope)
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        self.commands.append(("RCPT", address))
        fault = self.take(self.rcpt_faults.get(address.lower(), []))
        if fault is not None:
            reply = await self.apply(server, fault)
            if reply:
                return reply
        reply = await self.command_fault(server, "RCPT", envelope)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.commands.append(("DATA", ",".join(envelope.rcpt_tos)))
        reply = await self.command_fault(server, "DATA", envelope)
        if reply:
            return reply
        data = envelope.original_content or b""
        with self.arrived:
            self.received.append(
                Received(
                    mail_from=envelope.mail_from or "",
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    data=bytes(data),
                    peer=session.peer if isinstance(session.peer, tuple) else None,
                    at=time.monotonic(),
                )
            )
            self.arrived.notify_all()
        return "250 OK queued"


class _FaultySMTP(SMTP):
    """aiosmtpd's SMTP with a hook on the greeting, so a connection can be refused."""

    def __init__(self, handler: RecordingHandler, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._greeted = False
        self._recording = handler

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._recording.open_sessions.add(self)

    def connection_lost(self, error: Exception | None) -> None:
        self._recording.open_sessions.discard(self)
        if self._greeted:
            with self._recording.lock:
                self._recording.open_connections -= 1
        super().connection_lost(error)

    async def push(self, status: Any) -> None:
        if not self._greeted:
            self._greeted = True
            with self._recording.lock:
                self._recording.connections += 1
                self._recording.open_connections += 1
                limit = self._recording.connection_limit
                over = limit is not None and self._recording.open_connections > limit
                if over:
                    self._recording.refused_over_limit += 1
            if over:
                await super().push(self._recording.limit_reply)
                assert self.transport is not None
                self.transport.close()
                await asyncio.sleep(3600)  # connection_lost cancels the session
            fault = self._recording.take(self._recording.command_faults.get("CONNECT", []))
            if fault is not None:
                reply = await self._recording.apply(self, fault)
                if reply:
                    await super().push(reply)
                assert self.transport is not None
                self.transport.close()
                # connection_lost cancels the session; nothing more is answered.
                await asyncio.sleep(3600)
        await super().push(status)

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        """DATA as aiosmtpd answers it, the message read in 64 KB chunks instead of one
        ``readuntil`` per line: aiosmtpd's line loop was half of a test worker's CPU while
        a sender under test sent it a few thousand 50 KB messages."""
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        data = bytearray()
        searched = 0
        while True:
            chunk = await self._reader.read(1 << 16)
            if not chunk:  # the client went away mid-message: nothing was received
                return
            data += chunk
            if data.startswith(b".\r\n"):
                end, rest = 0, 3
                break
            found = data.find(b"\r\n.\r\n", max(0, searched - 4))
            if found >= 0:
                end, rest = found + 2, found + 5
                break
            searched = len(data)
        if rest < len(data):  # a pipelined next command: back to the reader for the session
            self._reader._buffer[0:0] = data[rest:]  # type: ignore[attr-defined]
        limit = self.data_size_limit
        if limit and end > limit:
            await self.push("552 Error: Too much mail data")
            self._set_post_data_state()
            return
        # RFC 5321 4.5.2: a line's leading dot was added by the client; remove it.
        original = _LEADING_DOT.sub(rb"\1", bytes(data[:end]))
        self.envelope.content = original
        self.envelope.original_content = original
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push(status)


_LEADING_DOT = re.compile(rb"(^|\r\n)\.")


class _Port0Controller(Controller):
    """aiosmtpd's Controller, bound to a free port chosen by the kernel."""

    def factory(self) -> SMTP:
        return _FaultySMTP(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        # The controller connects to itself once to finish starting; with port 0 it
        # must first learn which port the kernel gave it.
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SMTPServer:
    """A local SMTP server on 127.0.0.1 and a free port; a context manager."""

    def __init__(
        self, *, host: str = "127.0.0.1", data_size_limit: int = 32 * 1024 * 1024, **smtp_options: Any
    ) -> None:
        """``smtp_options`` go to aiosmtpd: ``ssl_context`` (implicit TLS), or SMTP's
        ``tls_context``, ``require_starttls``, ``authenticator``, ``auth_require_tls``..."""
        self.handler = RecordingHandler()
        self._controller = _Port0Controller(
            self.handler,
            hostname=host,
            port=0,
            server_hostname="smtp.test",
            data_size_limit=data_size_limit,
            ready_timeout=10.0,
            **smtp_options,
        )
        self.host = host
        self.port = 0

    def start(self) -> SMTPServer:
        """Start listening; ``port`` is set afterwards."""
        self._controller.start()
        self.port = self._controller.port
        # The controller's own start-up probe counts as a connection; forget it.
        with self.handler.lock:
            self.handler.connections = 0
        return self

    def stop(self) -> None:
        """Stop the server and its thread."""
        self._controller.stop()

    def __enter__(self) -> SMTPServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # What arrived -------------------------------------------------------------

    @property
    def received(self) -> list[Received]:
        """Messages accepted so far (a copy)."""
        with self.handler.lock:
            return list(self.handler.received)

    @property
    def connections(self) -> int:
        """Client connections opened so far."""
        with self.handler.lock:
            return self.handler.connections

    def messages_to(self, address: str) -> list[Received]:
        """Accepted messages whose envelope includes ``address``."""
        low = address.lower()
        return [r for r in self.received if low in {a.lower() for a in r.rcpt_tos}]

    def wait_for(self, count: int, *, timeout: float = 10.0) -> list[Received]:
        """Block until at least ``count`` messages arrived; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self.handler.arrived:
            while len(self.handler.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} messages, got {len(self.handler.received)}")
                self.handler.arrived.wait(left)
            return list(self.handler.received)

    def clear(self) -> None:
        """Forget what was received, every fault and the connection limit, and listen
        again if it was refusing connections (:meth:`reset` also drops open connections)."""
        with self.handler.lock:
            self.handler.received.clear()
            self.handler.commands.clear()
            self.handler.rcpt_faults.clear()
            self.handler.command_faults.clear()
            self.handler.connections = 0
            self.handler.connection_limit = None
            self.handler.refused_over_limit = 0
        self.accept_connections()

    @property
    def refused_over_limit(self) -> int:
        """Connections greeted with the limit's 421 so far."""
        with self.handler.lock:
            return self.handler.refused_over_limit

    def limit_connections(self, limit: int | None, reply: str = "") -> None:
        """Allow at most ``limit`` simultaneous connections (None: any); one more is
        greeted with ``reply`` (a 421) and closed, as Postfix does."""
        with self.handler.lock:
            self.handler.connection_limit = limit
            if reply:
                self.handler.limit_reply = reply

    def refuse_connections(self) -> None:
        """Stop listening: connecting gives "connection refused" (the relay is down).
        Connections already open stay open."""
        server = self._controller.server
        if server is None or not server.is_serving():
            return
        loop = self._controller.loop
        asyncio.run_coroutine_threadsafe(_close(server), loop).result(timeout=10)

    def accept_connections(self) -> None:
        """Listen again on the same port after :meth:`refuse_connections`."""
        server = self._controller.server
        if server is not None and server.is_serving():
            return
        loop = self._controller.loop

        async def reopen() -> Any:
            return await self._controller._create_server()

        self._controller.server = asyncio.run_coroutine_threadsafe(reopen(), loop).result(timeout=10)

    def reset(self) -> None:
        """Make the server as good as new between tests: drop the connections still open
        (a client of the last test must not deliver into the next one), then :meth:`clear`."""
        loop = self._controller.loop
        dropped = threading.Event()

        def drop() -> None:
            for session in list(self.handler.open_sessions):
                if session.transport is not None:
                    session.transport.abort()
            # abort() schedules connection_lost, which cancels the session's task: let
            # both run before the test goes on.
            loop.call_soon(loop.call_soon, dropped.set)

        if loop.is_running():
            loop.call_soon_threadsafe(drop)
            dropped.wait(5)
        self.clear()

    # Faults -------------------------------------------------------------------

    def fail_recipient(self, address: str, reply: str, *, times: int | None = None) -> Fault:
        """Answer RCPT TO:<address> with ``reply`` (e.g. "550 5.1.1 unknown")."""
        return self._add_rcpt(address, Fault(reply=reply, times=times))

    def stall_recipient(self, address: str, seconds: float, *, times: int | None = 1) -> Fault:
        """Answer RCPT TO:<address> only after ``seconds``."""
        return self._add_rcpt(address, Fault(stall_seconds=seconds, times=times))

    def fail_command(self, command: str, reply: str, *, times: int | None = 1, recipient: str = "") -> Fault:
        """Answer ``command`` (EHLO, MAIL, RCPT, DATA) with ``reply``."""
        return self._add_command(command, Fault(reply=reply, times=times, recipient=recipient.lower()))

    def disconnect_on(self, command: str, *, times: int | None = 1, recipient: str = "") -> Fault:
        """Drop the connection instead of answering ``command`` (for DATA: after the
        data was received, before the 250 — the at-least-once window)."""
        return self._add_command(command, Fault(disconnect=True, times=times, recipient=recipient.lower()))

    def stall_on(self, command: str, seconds: float, *, times: int | None = 1) -> Fault:
        """Answer ``command`` only after ``seconds``."""
        return self._add_command(command, Fault(stall_seconds=seconds, times=times))

    def fail_greeting(self, reply: str = "421 4.3.2 Service not available", *, times: int | None = 1) -> Fault:
        """Greet the next connection(s) with ``reply`` and close them."""
        return self._add_command("CONNECT", Fault(reply=reply, times=times))

    def _add_rcpt(self, address: str, fault: Fault) -> Fault:
        with self.handler.lock:
            self.handler.rcpt_faults.setdefault(address.lower(), []).append(fault)
        return fault

    def _add_command(self, command: str, fault: Fault) -> Fault:
        command = command.upper()
        if command not in COMMANDS:
            raise ValueError(f"unknown command {command!r}; one of {sorted(COMMANDS)}")
        with self.handler.lock:
            self.handler.command_faults.setdefault(command, []).append(fault)
        return fault


async def _close(server: asyncio.AbstractServer) -> None:
    server.close()  # stops listening; the sessions open go on


def running_server() -> Iterator[SMTPServer]:
    """Generator for a pytest fixture: ``smtp = pytest.fixture(running_server)``."""
    with SMTPServer() as server:
        yield server
