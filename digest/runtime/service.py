"""The long-running service: web app, scheduler and sender loops in one asyncio loop.

``digest serve`` runs :func:`serve`; ``digest worker`` runs :func:`work` (sender loops
only). Both stop cleanly on SIGTERM or SIGINT:

1. the web server stops accepting connections and finishes the requests under way;
2. the scheduler starts no new job and the tick under way completes (a tick is a few
   database transactions; it is never cut in the middle);
3. the sender loops are asked to stop: each finishes the messages it has in flight and
   releases the rest of its claim, so another process can take those rows at once
   instead of waiting for the lease to expire. A loop still busy after
   ``drain_seconds`` is cancelled; its claimed rows come back when the lease expires.

A second signal during shutdown stops waiting for the web server's open connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import uvicorn
from starlette.types import ASGIApp

from digest.config import Settings
from digest.daily.tick import DailyTicker, catch_up_senders
from digest.deliver.ledger import sender_id as deliver_sender_id
from digest.deliver.local_inbox import CaptureServer
from digest.deliver.messages import EditionMessages
from digest.deliver.sender import run_sender
from digest.runtime.scheduler import ScheduleRunner
from digest.store import Store
from digest.web.app import create_app
from digest.web.ops import ops_app, with_ops

log = logging.getLogger(__name__)

#: Seconds the sender loops get to finish their in-flight messages on shutdown.
DRAIN_SECONDS = 30.0

Clock = Callable[[], datetime]
#: Starts one sender loop: (sender_id, stop event) -> coroutine that returns when stopped.
SenderLoop = Callable[[str, asyncio.Event], Awaitable[object]]


def utcnow() -> datetime:
    """The real clock (the service's only reading of it; everything below takes ``now``)."""
    return datetime.now(UTC)


def sender_ids(count: int) -> list[str]:
    """Names for this process's sender loops, ``host:pid:n`` (digest.deliver.ledger), so
    an operator reading ``claimed_by`` knows which machine and process holds a row."""
    return [deliver_sender_id(i) for i in range(count)]


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the service owns SIGTERM/SIGINT and shuts
    the parts down in order (uvicorn would re-raise the signal at the end of serve())."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class Stopper:
    """The stop request: set by SIGTERM/SIGINT (or by a test), awaited by the service."""

    event: asyncio.Event = field(default_factory=asyncio.Event)
    signals: int = 0
    on_second: list[Callable[[], None]] = field(default_factory=list)

    def request(self, signum: int | None = None) -> None:
        """Ask the service to stop; a second request hurries the shutdown."""
        self.signals += 1
        if signum is not None:
            log.info("stop requested", extra={"signal": signal.Signals(signum).name})
        if self.signals > 1:
            for hurry in self.on_second:
                hurry()
        self.event.set()

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """Route SIGTERM and SIGINT to :meth:`request` while the service runs (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        loop = asyncio.get_running_loop()
        handled = (signal.SIGTERM, signal.SIGINT)
        for sig in handled:
            loop.add_signal_handler(sig, self.request, sig)
        try:
            yield
        finally:
            for sig in handled:
                loop.remove_signal_handler(sig)


@dataclass
class Senders:
    """Sender loops running as tasks, and their orderly stop."""

    loop: SenderLoop
    ids: Sequence[str]
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[object]] = field(default_factory=list)

    def start(self) -> None:
        """Start one task per sender id."""
        for sender_id in self.ids:
            task = asyncio.create_task(self._run(sender_id), name=f"sender {sender_id}")
            self.tasks.append(task)

    async def _run(self, sender_id: str) -> object:
        log.info("sender started", extra={"sender": sender_id})
        try:
            return await self.loop(sender_id, self.stop)
        finally:
            log.info("sender stopped", extra={"sender": sender_id})

    def failed(self) -> BaseException | None:
        """The error of a loop that ended on its own, if one did."""
        for task in self.tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                return task.exception()
        return None

    async def drain(self, seconds: float = DRAIN_SECONDS) -> None:
        """Ask every loop to stop, wait up to ``seconds``, then cancel the stragglers."""
        self.stop.set()
        if not self.tasks:
            return
        done, pending = await asyncio.wait(self.tasks, timeout=seconds)
        for task in pending:
            log.warning("sender did not stop in time; cancelled", extra={"task": task.get_name()})
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=5)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                exc = task.exception()
                log.error("sender failed", extra={"task": task.get_name(), "error": repr(exc)})


class Scheduled(Protocol):
    """What the service needs from the scheduler (digest.runtime.scheduler.ScheduleRunner)."""

    async def catch_up(self) -> object:
        """Run one tick at start-up: the catch-up policy decides about missed sends."""
        ...

    def start(self) -> None:
        """Start the timed jobs."""
        ...

    async def shutdown(self) -> None:
        """Stop the jobs and wait for the one under way."""
        ...


@dataclass
class Listening:
    """Where the web app ended up listening (the real port when asked for port 0)."""

    host: str
    port: int

    @property
    def url(self) -> str:
        """``http://host:port``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (0: a free port); OSError when the
    address is unusable or taken, so the caller can say so in one line."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit it: no 40 ms Nagle/delayed-ACK stall per response
        # on a reused keep-alive connection.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(2048)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


async def serve(
    app: ASGIApp,
    *,
    host: str,
    port: int,
    scheduler: Scheduled | None,
    senders: Senders | None,
    stopper: Stopper | None = None,
    on_ready: Callable[[Listening], None] | None = None,
    drain_seconds: float = DRAIN_SECONDS,
    trusted_proxies: Sequence[str] = (),
) -> None:
    """Run the web app, the scheduler and the senders until a stop is requested.

    The socket is bound first (OSError if the address is taken: nothing else has
    started). Then the catch-up tick (so missed sends are decided before anything is
    sent), the scheduler's jobs, the senders and the web server. ``on_ready`` is called
    once the web server accepts connections.
    """
    stopper = stopper or Stopper()
    sock = bind(host, port)
    listening = Listening(host, int(sock.getsockname()[1]))
    config = uvicorn.Config(
        app,
        log_config=None,  # digest.logs owns the handlers and the format
        lifespan="auto",
        server_header=False,
        timeout_graceful_shutdown=10,
        # X-Forwarded-For is believed from [web] trusted_proxies only (uvicorn's default
        # would believe anything sent from 127.0.0.1).
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=list(trusted_proxies) or None,
    )
    server = _Server(config)
    stopper.on_second.append(lambda: setattr(server, "force_exit", True))
    web: asyncio.Task[None] | None = None
    with stopper.installed():
        try:
            if scheduler is not None:
                await scheduler.catch_up()
                scheduler.start()
            if senders is not None:
                senders.start()
            web = asyncio.create_task(server.serve(sockets=[sock]), name="web")
            await _wait_started(server, web)
            log.info("web app listening", extra={"url": listening.url})
            if on_ready is not None:
                on_ready(listening)
            await _until_stop(stopper, web, senders)
        finally:
            log.info("shutting down")
            server.should_exit = True
            if web is not None:
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await web
            if scheduler is not None:
                await scheduler.shutdown()
            if senders is not None:
                await senders.drain(drain_seconds)
            sock.close()
            log.info("stopped")


async def work(senders: Senders, *, stopper: Stopper | None = None, drain_seconds: float = DRAIN_SECONDS) -> None:
    """Run sender loops only (``digest worker``) until SIGTERM/SIGINT, then drain them."""
    stopper = stopper or Stopper()
    with stopper.installed():
        senders.start()
        try:
            await _until_stop(stopper, None, senders)
        finally:
            await senders.drain(drain_seconds)


async def _wait_started(server: uvicorn.Server, web: asyncio.Task[None]) -> None:
    while not server.started:
        if web.done():
            # uvicorn exits on a start-up failure (port in use, app lifespan error).
            exc = web.exception()
            raise OSError(f"the web server did not start: {exc!r}" if exc else "the web server did not start")
        await asyncio.sleep(0.02)


async def _until_stop(stopper: Stopper, web: asyncio.Task[None] | None, senders: Senders | None) -> None:
    """Wait for a stop request, or for a part to end on its own (an error)."""
    waiters: list[asyncio.Future[object]] = [asyncio.ensure_future(stopper.event.wait())]
    if web is not None:
        waiters.append(web)  # type: ignore[arg-type]
    if senders is not None:
        waiters += senders.tasks
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiters[0].cancel()
    if web is not None and web.done() and not stopper.event.is_set():
        log.error("the web server stopped on its own")
    if senders is not None and (exc := senders.failed()) is not None and not stopper.event.is_set():
        log.error("a sender loop failed; stopping", extra={"error": repr(exc)})


# Assembly ------------------------------------------------------------------------------


#: The local capture SMTP server of ``digest serve --demo-smtp``.
LocalInbox = CaptureServer


def local_inbox(directory: Path) -> CaptureServer:
    """Start a local SMTP server that keeps every message as an .eml file in
    ``directory`` (``digest serve --demo-smtp``); its ``smtp_overrides()`` point the
    settings at it, ``stop()`` ends it."""
    return CaptureServer(directory).start()


def sender_loop(settings: Settings, store: Store, *, clock: Clock = utcnow) -> SenderLoop:
    """A :data:`SenderLoop` running digest's sender (digest.deliver) until stopped."""
    messages = EditionMessages.from_settings(settings, store, clock=clock)

    async def loop(sender_id: str, stop: asyncio.Event) -> object:
        return await run_sender(store, settings, messages, sender_id=sender_id, stop=stop, now=clock, keep_polling=True)

    return loop


def web_app(settings: Settings, store: Store, *, clock: Clock = utcnow) -> ASGIApp:
    """The web app wired to the rest of digest: "view in browser" shows the rendered
    edition, the admin API's test send mails proofs, confirmation mails go out on the one mail
    path (digest.deliver.mailer: DKIM-signed like editions when [dkim] is set)."""
    from digest.deliver.mailer import SMTPMailer
    from digest.deliver.proofs import ProofSender

    messages = EditionMessages.from_settings(settings, store, clock=clock)
    return create_app(
        settings,
        store,
        now=clock,
        mailer=SMTPMailer.from_settings(settings, clock=clock),
        proof_sender=ProofSender(settings, store, clock=clock),
        edition_page_html=messages.web_page,
    )


async def run_serve(
    settings: Settings,
    store: Store,
    *,
    host: str,
    port: int,
    senders: int = 1,
    clock: Clock = utcnow,
    stopper: Stopper | None = None,
    on_ready: Callable[[Listening], None] | None = None,
) -> None:
    """``digest serve``: the web app with /healthz and /metrics, the scheduler and
    ``senders`` sender loops over ``store``, until SIGTERM/SIGINT."""
    runner = ScheduleRunner(DailyTicker(store, settings), clock=clock)
    web = web_app(settings, store, clock=clock)
    app = with_ops(web, ops_app(store, scheduler=runner, clock=clock))
    loops = Senders(sender_loop(settings, store, clock=clock), sender_ids(senders)) if senders > 0 else None
    await serve(
        app, host=host, port=port, scheduler=runner, senders=loops, stopper=stopper, on_ready=on_ready,
        trusted_proxies=settings.web.trusted_proxies,
    )  # fmt: skip


async def run_worker(
    settings: Settings, store: Store, *, senders: int = 1, clock: Clock = utcnow, stopper: Stopper | None = None
) -> None:
    """``digest worker``: sender loops only, until SIGTERM/SIGINT (then drained).

    At start, when no other sender is at work, rows left pending by downtime are judged
    by the catch-up rule first (skipped when missed by more than [schedule]
    catch_up_hours), as ``digest serve`` does: a worker never sends yesterday's edition.
    """
    await asyncio.to_thread(catch_up_senders, store, settings, clock())
    await work(Senders(sender_loop(settings, store, clock=clock), sender_ids(senders)), stopper=stopper)
