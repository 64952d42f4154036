"""What a URL names, as the product shows and compares it: its host without "www.",
and whether a host is an IP address literal.

Leaf module: imports nothing from digest.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def host_of(url: str) -> str:
    """The host of ``url`` in lowercase, without a leading "www.": "lemonde.fr"."""
    host = urlsplit(url).hostname or ""  # hostname is already lowercase
    return host.removeprefix("www.")


def is_ip_address(host: str) -> bool:
    """True when ``host`` is an IPv4 or IPv6 address literal (an IPv6 zone "%eth0" allowed)."""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True
