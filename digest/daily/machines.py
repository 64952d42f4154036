"""Which clicks and opens are machines, not readers. Pure: time is an argument.

Since 2021 most opens and many clicks are not people: Apple Mail Privacy Protection
and Google's image proxy fetch every image when the message arrives; link scanners
(Microsoft Defender Safe Links, Proofpoint, Barracuda, Mimecast...) follow every link
of a message within seconds of delivery, often with a HEAD request first. Such events
are still written (an editor may want to see them), flagged ``machine`` with the
reason, and reported apart from the readers.

The rules, in the order they are tried:

``head``     a HEAD request: browsers follow a link with GET.
``scanner``  a user agent of a known link scanner, mail-security gateway, fetch library
             or crawler (:data:`SCANNER_AGENTS`), for clicks and opens.
``proxy``    an open by an image proxy (:data:`PROXY_AGENTS`, or Apple's bare
             ``Mozilla/5.0`` from Apple's 17.0.0.0/8 network, :data:`APPLE_NETWORK`).
``early``    within :data:`EARLY_SECONDS` of the message's send time (the stamp its
             links carry): nobody reads a story that fast.
``burst``    one client following :data:`BURST_LINKS` different story links of an
             edition (or every link, when it has fewer) within :data:`BURST_SECONDS`:
             the scanner that opens everything; the earlier clicks of the burst are
             re-flagged too (:class:`Bursts`).
"""

from __future__ import annotations

import functools
import ipaddress
import re
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

#: A click or open this many seconds after the message was sent is a machine's.
EARLY_SECONDS = 10
#: Story links of one edition a single client follows within BURST_SECONDS to count as a scanner.
BURST_LINKS = 4
#: The window of a burst, in seconds.
BURST_SECONDS = 5

#: User agents of link scanners, mail gateways, fetch libraries and crawlers (case-insensitive).
SCANNER_AGENTS = re.compile(
    r"safelinks|safe links|microsoft office|ms-office|msoffice|outlook-?ios-?android|proofpoint|barracuda|"
    r"mimecast|trendmicro|trend micro|symantec|messagelabs|forcepoint|ironport|cisco|fireeye|sophos|zscaler|"
    r"bitdefender|kaspersky|avast|checkpoint|cloudmark|spamtitan|hornetsecurity|vadesecure|"
    r"python-requests|python-urllib|aiohttp|httpx|curl/|wget|go-http-client|java/|okhttp|libwww|"
    r"headlesschrome|phantomjs|bot\b|bot/|spider|crawler|slurp|preview|scanner|urlscan",
    re.IGNORECASE,
)
#: User agents of image proxies that fetch every open image on arrival.
PROXY_AGENTS = re.compile(r"googleimageproxy|ggpht\.com|yahoomailproxy|apple-mail-proxy", re.IGNORECASE)
#: Apple's network: Mail Privacy Protection fetches from it with a bare "Mozilla/5.0".
APPLE_NETWORK = ipaddress.ip_network("17.0.0.0/8")


def _apple_proxy(user_agent: str, ip: str) -> bool:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return user_agent.strip() == "Mozilla/5.0" and address.version == 4 and address in APPLE_NETWORK


@functools.lru_cache(maxsize=4096)
def _scanner(user_agent: str) -> bool:
    # Remembered per agent: a handful of agents make most clicks, and the long
    # case-insensitive alternation costs more than the rest of the redirect.
    return not user_agent.strip() or SCANNER_AGENTS.search(user_agent) is not None


def machine_reason(*, kind: str, method: str, user_agent: str, ip: str, at: datetime, sent: datetime | None) -> str:
    """Why this click or open is a machine's ("" when it may be a reader's)."""
    if method.upper() == "HEAD":
        return "head"
    if _scanner(user_agent):
        return "scanner"
    if kind == "open" and (PROXY_AGENTS.search(user_agent) or _apple_proxy(user_agent, ip)):
        return "proxy"
    if sent is not None and timedelta(0) <= at - sent < timedelta(seconds=EARLY_SECONDS):
        return "early"
    return ""


@dataclass(frozen=True)
class Burst:
    """A click's place in its client's recent clicks on the edition."""

    machine: bool  # part of a burst
    reflag_since: datetime | None = None  # the burst was just found: flag its earlier clicks since then


NO_BURST = Burst(False)


class Bursts:
    """Each client's recent clicks per edition, in memory, to find scanner bursts."""

    def __init__(self, *, links: int = BURST_LINKS, seconds: int = BURST_SECONDS, clients: int = 10_000) -> None:
        self.links = links
        self.window = timedelta(seconds=seconds)
        self._clients = clients
        self._recent: dict[tuple[int, int], deque[tuple[datetime, int]]] = {}
        self._flagged: dict[tuple[int, int], datetime] = {}  # burst found: its clicks until then are machine
        self._lock = threading.Lock()

    def click(self, client: int, edition_id: int, position: int, *, at: datetime, edition_links: int) -> Burst:
        """Remember a click. It is a machine's when it completes a burst (the client
        followed ``links`` different links, or all ``edition_links``, within the window)
        or comes while the client's burst goes on; only the click that finds a burst
        asks for the earlier ones to be re-flagged (one UPDATE per burst, not per click)."""
        need = max(2, min(self.links, edition_links))
        key = (client, edition_id)
        with self._lock:
            window = self._recent.get(key)
            if window is None:
                if len(self._recent) >= self._clients:  # bounded: forget the oldest client
                    oldest = next(iter(self._recent))
                    self._recent.pop(oldest)
                    self._flagged.pop(oldest, None)
                window = self._recent[key] = deque()
            while window and at - window[0][0] > self.window:
                window.popleft()
            window.append((at, position))
            flagged = self._flagged.get(key)
            if flagged is not None and at - flagged <= self.window:
                self._flagged[key] = at  # the burst goes on
                return Burst(True)
            if len({p for _, p in window}) >= need:
                self._flagged[key] = at
                return Burst(True, window[0][0])
            return NO_BURST
