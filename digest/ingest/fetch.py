"""Fetching feeds and pages over HTTP, safely.

A URL typed into the admin API must not reach internal services, so every
connection is checked where it is made: the host is resolved, every address is
checked (loopback, private, link-local, multicast, reserved and other non-global
ranges are refused unless ``[ingest] allow_private_networks``), and the socket is
opened to the checked address itself, so DNS cannot answer differently a moment
later. Redirects are followed by hand, each hop checked the same way. Timeouts, a
size cap (counted after decompression) and a User-Agent apply to every fetch;
conditional GET (ETag / Last-Modified) lets a feed answer 304.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from digest.config import Settings
from digest.errors import SourceError
from digest.ingest.polite import HostGate
from digest.urls import is_ip_address

MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

#: A resolver: (host, port) -> the addresses it stands for.
Resolver = Callable[[str, int], list[str]]
#: An address policy: an IP address -> why it is refused, or None when it is allowed.
AddressPolicy = Callable[[ipaddress.IPv4Address | ipaddress.IPv6Address], str | None]

ACCEPT_FEED = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
ACCEPT_PAGE = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
ACCEPT_ANY = "application/rss+xml, application/atom+xml, text/html, application/x-ndjson, */*;q=0.5"


class FetchError(SourceError):
    """A fetch failed: refused address, network error, HTTP error, too large, too slow.

    ``status`` is the HTTP status when the server answered with an error, else 0;
    ``timed_out`` tells a timeout from other failures.
    """

    status: int = 0
    timed_out: bool = False


class DisallowedError(FetchError):
    """A hop of the fetch is one the caller's check refused (robots.txt)."""


def _timeout(message: str) -> FetchError:
    error = FetchError(message)
    error.timed_out = True
    return error


class BlockedAddressError(FetchError):
    """The URL leads to an address the SSRF guard refuses."""


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver); OSError when none."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for *_, sockaddr in infos:
        addr = str(sockaddr[0])
        if addr not in seen:
            seen.append(addr)
    return seen


def public_only(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """The default policy: only globally routable unicast addresses."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return public_only(ip.ipv4_mapped)
    for name in ("loopback", "link_local", "private", "multicast", "unspecified", "reserved"):
        if getattr(ip, f"is_{name}"):
            return name.replace("_", "-")
    if not ip.is_global:
        return "not public"
    return None


def allow_all(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """The policy when ``[ingest] allow_private_networks`` is on."""
    return None


class _GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket layer with the address check in front of every connect."""

    def __init__(self, resolver: Resolver, policy: AddressPolicy) -> None:
        super().__init__()
        self._resolver = resolver
        self._policy = policy

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = allowed_addresses(host, port, self._resolver, self._policy)
        last: Exception | None = None
        for address in addresses:
            try:
                # Connect to the checked address, not the name: no second DNS answer.
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last


def allowed_addresses(host: str, port: int, resolver: Resolver, policy: AddressPolicy) -> list[str]:
    """The addresses of ``host`` the policy allows; BlockedAddressError when any is refused.

    One refused address refuses the host: a name that resolves to both a public and
    an internal address is exactly how rebinding attacks are set up.
    """
    host = host.strip("[]")
    try:
        addresses = [host] if is_ip_address(host) else resolver(host, port)
    except OSError as exc:
        # httpx reports a ConnectError like any other connection failure.
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc.strerror or exc}") from None
    if not addresses:
        raise httpcore.ConnectError(f"cannot resolve {host}: no address")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        reason = policy(ip)
        if reason is not None:
            shown = host if host == address else f"{host} ({address})"
            raise BlockedAddressError(
                f"refused to fetch from {shown}: {reason} address (set [ingest] allow_private_networks to allow)"
            )
    return addresses


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, resolver: Resolver, policy: AddressPolicy) -> None:
        super().__init__(trust_env=False)
        # httpx offers no public hook for the socket layer; its transport delegates
        # every request to this pool, which we rebuild with the guarded backend.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=64,
            max_keepalive_connections=32,
            network_backend=_GuardedBackend(resolver, policy),
        )


@dataclass(frozen=True)
class FetchResult:
    """What a fetch brought back. ``not_modified`` is a 304 (``content`` empty)."""

    url: str  # the final URL, after redirects
    status: int
    content: bytes
    content_type: str
    etag: str
    last_modified: str
    not_modified: bool = False


class Fetcher:
    """Fetches URLs under the ``[ingest]`` settings; use as a context manager.

    ``resolver`` and ``policy`` default to the system resolver and to
    :func:`public_only` (or :func:`allow_all` when private networks are allowed).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        resolver: Resolver | None = None,
        policy: AddressPolicy | None = None,
    ) -> None:
        ingest = settings.ingest
        if policy is None:
            policy = allow_all if ingest.allow_private_networks else public_only
        self.timeout = float(ingest.timeout_seconds)
        self.max_bytes = int(ingest.max_bytes)
        self.user_agent = str(ingest.user_agent)
        self.gate = HostGate(int(ingest.per_host_concurrency), int(ingest.per_host_delay_ms) / 1000)
        self._client = httpx.Client(
            transport=_GuardedTransport(resolver or resolve, policy),
            timeout=httpx.Timeout(self.timeout),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close pooled connections."""
        self._client.close()

    def get(
        self,
        url: str,
        *,
        accept: str = ACCEPT_ANY,
        etag: str = "",
        last_modified: str = "",
        allow: Callable[[str], bool] | None = None,
    ) -> FetchResult:
        """GET ``url``, following up to :data:`MAX_REDIRECTS` checked redirects.

        Sends ``If-None-Match`` / ``If-Modified-Since`` when given. Every hop goes
        through the per-host gate and, when given, ``allow`` (robots.txt): a refused
        hop raises :class:`DisallowedError`. Raises :class:`FetchError` (one line,
        naming the URL) on any failure.
        """
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        deadline = 0.0  # set once the first hop holds its host slot: waiting in line is not slowness
        current = _check_url(url)
        for _ in range(MAX_REDIRECTS + 1):
            if allow is not None and not allow(current):
                raise DisallowedError(f"{current}: disallowed by robots.txt")
            try:
                with self.gate.slot(current):
                    deadline = deadline or time.monotonic() + self.timeout
                    with self._client.stream("GET", current, headers=headers) as response:
                        if response.status_code in _REDIRECTS:
                            location = response.headers.get("Location", "")
                            if not location:
                                raise FetchError(f"{current}: HTTP {response.status_code} redirect without Location")
                            current = _check_url(str(response.url.join(location)))
                            continue
                        return self._read(current, response, deadline)
            except BlockedAddressError as exc:
                where = current if current == url else f"{url} (redirected to {current})"
                raise BlockedAddressError(f"{where}: {exc}") from None
            except FetchError:
                raise
            except httpx.TimeoutException:
                raise _timeout(f"{current}: timed out after {self.timeout:g} s") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"{current}: {_describe(exc)}") from None
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")

    def _read(self, url: str, response: httpx.Response, deadline: float) -> FetchResult:
        etag = response.headers.get("ETag", "")
        last_modified = response.headers.get("Last-Modified", "")
        content_type = response.headers.get("Content-Type", "")
        if response.status_code == 304:
            return FetchResult(url, 304, b"", content_type, etag, last_modified, not_modified=True)
        if response.status_code >= 400:
            reason = response.reason_phrase or ""
            error = FetchError(f"{url}: HTTP {response.status_code} {reason}".rstrip())
            error.status = response.status_code
            raise error
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(f"{url}: {int(declared)} bytes, more than [ingest] max_bytes = {self.max_bytes}")
        chunks: list[bytes] = []
        size = 0
        # The cap counts decompressed bytes: a small gzip body can expand enormously.
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchError(f"{url}: more than [ingest] max_bytes = {self.max_bytes} bytes")
            if time.monotonic() > deadline:
                raise _timeout(f"{url}: timed out after {self.timeout:g} s")
            chunks.append(chunk)
        return FetchResult(url, response.status_code, b"".join(chunks), content_type, etag, last_modified)


def _check_url(url: str) -> str:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise FetchError(f"{url}: invalid URL ({exc})") from None
    if parsed.scheme not in ("http", "https"):
        raise FetchError(f"{url}: only http and https URLs can be fetched")
    if not parsed.host:
        raise FetchError(f"{url}: no host")
    return str(parsed)


def _describe(exc: httpx.HTTPError) -> str:
    """A one-line reason for a network error, without httpx's internals."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror.lower()
        cause = cause.__cause__ or cause.__context__
    text = str(exc).strip().splitlines()
    return text[0] if text and text[0] else type(exc).__name__
