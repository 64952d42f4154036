"""What the browser tests share: where Chromium and axe-core are, and the marks that
make them skip without a browser (or fail, with DIGEST_REQUIRE_BROWSER=1, as in CI)."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "fixtures" / "axe" / "axe.min.js"

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() and os.environ.get("DIGEST_REQUIRE_BROWSER") != "1",
        reason="headless Chromium (/usr/bin/chromium) not installed",
    ),
]


@contextlib.contextmanager
def serving(app: Any, sock: socket.socket) -> Iterator[None]:
    """Serve ``app`` with uvicorn on ``sock`` (already bound) in a thread, until the block ends."""
    # log_config and log_level None: uvicorn must not reconfigure the process's
    # loggers (other tests check what they log).
    config = uvicorn.Config(
        app, log_config=None, log_level=None, access_log=False, lifespan="off", ws="none", http="h11"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)
