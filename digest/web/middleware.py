"""What the web app does before a request reaches a page: who the client is, how big a
body may be, which paths exist at all, and what each answer is counted as.

* :class:`TrustedProxies` believes ``X-Forwarded-For`` only from ``[web]
  trusted_proxies`` (addresses or CIDRs; nobody by default) and puts the client it
  names into ``scope["client"]``: rate limits and consent records then see the
  visitor, not the proxy, and a visitor cannot forge their address.
* :class:`BodyLimit` refuses a body larger than ``[web] max_body_kb`` (``max_upload_kb``
  for the CSV imports of the API and the console) with 413: first by its
  Content-Length, before reading anything, then by counting the bytes as they stream,
  so a body is never held whole. The API answers in JSON; a page given as ``page``
  (the console's, for its paths) answers in HTML.
* :class:`Edges` answers odd paths (control characters, NUL) with 404, and counts every
  response by status with its latency for /metrics.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from digest import metrics

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """The networks of ``[web] trusted_proxies`` (a bare address is a /32 or /128)."""
    return tuple(ipaddress.ip_network(str(e).strip(), strict=False) for e in entries)


@functools.lru_cache(maxsize=4096)
def _trusted(host: str, trusted: tuple[Network, ...]) -> bool:
    # Remembered per (address, networks): parsing an address costs more than the
    # click redirect's own work, and the same proxies and readers come back.
    try:
        address = ipaddress.ip_address(host.strip().strip("[]"))
    except ValueError:
        return False
    return any(address in net for net in trusted)


def client_from_forwarded(peer: str, forwarded_for: str, trusted: tuple[Network, ...]) -> str:
    """The client address: ``peer`` unless it is a trusted proxy, then the rightmost
    address of ``X-Forwarded-For`` that is not itself a trusted proxy (the left part of
    the header is whatever the client wrote, and proves nothing)."""
    if not trusted or not _trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop.strip("[]")))
            except ValueError:
                return peer  # garbage in the header: keep what the socket says
    return hops[0] if hops else peer


def _header(scope: Scope, name: bytes) -> str | None:
    values = [v for k, v in scope.get("headers", []) if k.lower() == name]
    if not values:
        return None
    return b",".join(values).decode("latin-1")


class TrustedProxies:
    """Rewrite ``scope["client"]`` from X-Forwarded-For sent by a trusted proxy."""

    def __init__(self, app: ASGIApp, *, trusted: Iterable[str]) -> None:
        self.app = app
        self.trusted = networks(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.trusted and scope.get("client"):
            peer, port = scope["client"]
            forwarded = _header(scope, b"x-forwarded-for")
            if forwarded is not None:
                scope = {**scope, "client": (client_from_forwarded(peer, forwarded, self.trusted), port)}
        await self.app(scope, receive, send)


class BodyTooLarge(Exception):
    """The request body passed its cap while streaming in."""


def _is_api(scope: Scope) -> bool:
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "").rstrip("/")
    return path == f"{root}/api" or path.startswith(f"{root}/api/")


async def _plain(send: Send, status: int, text: str, *, api: bool, headers: Mapping[str, str] | None = None) -> None:
    if api:
        body = json.dumps({"error": text}).encode("utf-8")
        content_type = b"application/json"
    else:
        body = (text + "\n").encode("utf-8")
        content_type = b"text/plain; charset=utf-8"
    raw = [(b"content-type", content_type), (b"content-length", str(len(body)).encode("ascii"))]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


#: An HTML answer for a refused body: (scope, send, cap in bytes) -> sends the response.
TooLargePage = Callable[[Scope, Send, int], Awaitable[None]]


class BodyLimit:
    """413 for a body over the cap: by Content-Length up front, else while streaming."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        larger: Mapping[str, int] | None = None,
        pages: Mapping[str, TooLargePage] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = dict(larger or {})  # path (under root_path) -> its own cap
        self.pages = dict(pages or {})  # path prefix (under root_path) -> its HTML answer

    def _relative(self, scope: Scope) -> str:
        root: str = scope.get("root_path", "").rstrip("/")
        path: str = scope.get("path", "")
        return path[len(root) :] if root and path.startswith(root) else path

    async def _refuse(self, scope: Scope, send: Send, cap: int) -> None:
        relative = self._relative(scope)
        for prefix, page in self.pages.items():
            if relative == prefix or relative.startswith(prefix + "/"):
                await page(scope, send, cap)
                return
        too_large = f"body: larger than {cap // 1024} KiB"
        await _plain(send, 413, too_large, api=_is_api(scope), headers={"Connection": "close"})

    def cap(self, scope: Scope) -> int:
        """The cap for this request's path."""
        return self.larger.get(self._relative(scope), self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.cap(scope)
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                length = int(declared.split(",")[0])
            except ValueError:
                await _plain(send, 400, "body: invalid Content-Length", api=_is_api(scope))
                return
            if length > cap:
                await self._refuse(scope, send, cap)
                return
        seen = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    raise BodyTooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if started:  # pragma: no cover - a handler that answers before reading
                raise
            await self._refuse(scope, send, cap)


#: Control characters, DEL and lone surrogates (undecodable bytes): one regex search,
#: not a Python loop per character (this runs on every request, the click redirect's too).
_ODD = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def _odd(path: str) -> bool:
    """Whether a path holds what no route or file name has: control characters (NUL
    from ``%00``), DEL, or undecodable bytes."""
    return _ODD.search(path) is not None


class Edges:
    """404 for odd paths; every response counted by status, with its latency."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started_at = time.perf_counter()
        status = 500

        async def counting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            raw: Any = scope.get("raw_path") or b""
            if _odd(scope.get("path", "")) or b"%00" in raw:
                await _plain(counting_send, 404, "not found", api=_is_api(scope))
                return
            await self.app(scope, receive, counting_send)
        finally:
            metrics.http_response(status, time.perf_counter() - started_at)
