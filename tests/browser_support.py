"""What the browser tests share: where Chromium and axe-core are, the marks that make
them skip without a browser (or fail, with DIGEST_REQUIRE_BROWSER=1, as in CI), and one
Chromium per worker (the ``browser`` fixture)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn
from admin_support import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "fixtures" / "axe" / "axe.min.js"

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() and os.environ.get("DIGEST_REQUIRE_BROWSER") != "1",
        reason="headless Chromium (/usr/bin/chromium) not installed",
    ),
]


class _Chromium:
    """Playwright's driver and one headless Chromium, started once per worker.

    Playwright's sync API runs its own event loop in a greenlet and leaves it marked as
    the thread's running loop after each call, which would make every later
    ``asyncio.run`` (and pytest-asyncio's loops) in this worker fail. So the loop is marked
    running only while a browser test uses it (:meth:`lend`), as it was when each test
    started its own ``sync_playwright()``.
    """

    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._loop = asyncio.events._get_running_loop()
        try:
            # The flags every browser test used: --headless and --no-sandbox for a
            # container, no GPU, no background requests to Google's services.
            self.browser = self._playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
        finally:
            asyncio.events._set_running_loop(None)

    @contextlib.contextmanager
    def lend(self) -> Iterator[Browser]:
        """The browser for one test; the contexts the test opened are closed after it,
        so no cookie, storage or page outlives the test."""
        asyncio.events._set_running_loop(self._loop)
        try:
            yield self.browser
        finally:
            try:
                for context in self.browser.contexts:
                    context.close()
            finally:
                asyncio.events._set_running_loop(None)

    def stop(self) -> None:
        """Close Chromium and the driver."""
        asyncio.events._set_running_loop(self._loop)
        try:
            self.browser.close()
        finally:
            self._playwright.stop()
            asyncio.events._set_running_loop(None)


@pytest.fixture(scope="session")
def _chromium() -> Iterator[_Chromium]:
    chromium = _Chromium()
    try:
        yield chromium
    finally:
        chromium.stop()


@pytest.fixture
def browser(_chromium: _Chromium) -> Iterator[Browser]:
    """Headless Chromium driven by Playwright (sync API): one browser per worker, started
    for the first browser test, shared by the next ones; each test opens contexts of its
    own (Playwright's unit of isolation: cookies, storage, viewport, locale, colour
    scheme), closed after it. Starting the driver and Chromium for each test cost about
    2 s a test."""
    with _chromium.lend() as shared:
        yield shared


@contextlib.contextmanager
def serving(
    app: Any,
    sock: socket.socket,
    *,
    lifespan: str = "off",
    http: str = "h11",
    stop_timeout: float = 10.0,
    must_stop: bool = False,
) -> Iterator[None]:
    """Serve ``app`` with uvicorn on ``sock`` (already bound) in a thread, until the block
    ends; ``must_stop``: fail unless the server (its lifespan's shutdown included) has
    stopped within ``stop_timeout`` seconds."""
    # log_config and log_level None: uvicorn must not reconfigure the process's
    # loggers (other tests check what they log).
    config = uvicorn.Config(
        app, log_config=None, log_level=None, access_log=False, lifespan=lifespan, ws="none", http=http
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
        thread.join(timeout=stop_timeout)
        assert not (must_stop and thread.is_alive()), "uvicorn did not stop"


def serious_violations(page: Any, name: str) -> dict[str, Any]:
    """The serious and critical axe-core violations of the page loaded in ``page``, as
    ``{name: [...]}`` (empty when there is none): the accessibility check every browser
    test of a page runs. The page must be opened with ``bypass_csp=True`` (our pages
    rightly refuse an injected script)."""
    page.add_script_tag(content=_axe_source())
    violations = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    bad = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    return {name: bad} if bad else {}


@functools.cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def sign_in(page: Any, base: str, email: str, password: str = PASSWORD) -> None:
    """Sign in to the console at ``base`` as a person would (the form's labels and its
    button, in English) and wait for the dashboard."""
    page.goto(f"{base}/admin/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/admin")
