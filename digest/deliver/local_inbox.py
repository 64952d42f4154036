"""A local SMTP server that accepts everything and keeps it as .eml files.

Used by ``digest serve --demo-smtp`` and ``digest demo``: digest sends through real
SMTP to 127.0.0.1 on a free port, and every message lands, byte for byte, in a folder a
person can open with a mail client. It runs aiosmtpd in its own thread and event loop,
so synchronous commands and the asyncio service can both use it::

    with CaptureServer(Path("mail")) as capture:
        settings = settings.with_overrides(capture.smtp_overrides())
        ...
        capture.wait_for(3)
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]+")


@dataclass(frozen=True)
class Captured:
    """One message received: where it was saved, and its envelope."""

    path: Path
    mail_from: str
    rcpt_tos: tuple[str, ...]
    size: int


class _SavingHandler:
    """aiosmtpd handler: write each message to ``directory`` as NNNNNN-recipient.eml."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.captured: list[Captured] = []
        self.arrived = threading.Condition()
        # Continue numbering after what the folder already holds, never overwrite.
        self._seq = len(list(directory.glob("*.eml")))

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = bytes(envelope.original_content or b"")
        rcpts = tuple(str(r) for r in envelope.rcpt_tos)
        with self.arrived:
            self._seq += 1
            first = _UNSAFE.sub("_", rcpts[0] if rcpts else "unknown")[:80]
            path = self.directory / f"{self._seq:06d}-{first}.eml"
            path.write_bytes(data)
            self.captured.append(Captured(path, str(envelope.mail_from or ""), rcpts, len(data)))
            self.arrived.notify_all()
        return "250 2.0.0 OK captured"


class _Port0Controller(Controller):
    """aiosmtpd's Controller bound to a free port the kernel picks (port=0)."""

    def _trigger_server(self) -> None:
        # The controller connects to itself once to finish starting; with port 0 it
        # must first learn the port it was given.
        server = self.server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class CaptureServer:
    """An SMTP server on ``host`` and a free port that saves every message it gets."""

    def __init__(self, directory: Path, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.port = port
        self._handler = _SavingHandler(self.directory)
        kwargs: dict[str, Any] = {"hostname": host, "port": port, "server_hostname": "capture.localhost"}
        kwargs["data_size_limit"] = 64 * 1024 * 1024
        kwargs["ready_timeout"] = 10.0
        self._controller = _Port0Controller(self._handler, **kwargs)
        self._running = False

    def start(self) -> CaptureServer:
        """Start listening; ``port`` holds the real port afterwards."""
        self._controller.start()
        self.port = self._controller.port
        self._running = True
        return self

    def stop(self) -> None:
        """Stop listening (messages already saved stay)."""
        if self._running:
            self._controller.stop()
            self._running = False

    def __enter__(self) -> CaptureServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def smtp_overrides(self) -> dict[str, dict[str, Any]]:
        """Settings overrides that point [smtp] at this server (plain SMTP, no login)."""
        return {"smtp": {"host": self.host, "port": self.port, "security": "none", "username": ""}}

    @property
    def captured(self) -> list[Captured]:
        """Messages saved so far (a copy)."""
        with self._handler.arrived:
            return list(self._handler.captured)

    @property
    def count(self) -> int:
        """How many messages were saved by this server."""
        with self._handler.arrived:
            return len(self._handler.captured)

    def wait_for(self, count: int, *, timeout: float = 30.0) -> list[Captured]:
        """Block until ``count`` messages arrived; TimeoutError when they do not."""
        deadline = time.monotonic() + timeout
        with self._handler.arrived:
            while len(self._handler.captured) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"expected {count} messages, got {len(self._handler.captured)}")
                self._handler.arrived.wait(left)
            return list(self._handler.captured)
