"""Refuse to mail the world links that cannot work.

Every edition and confirmation mail carries links under ``[newsletter] base_url``. When
mail leaves this machine (the SMTP server is not on loopback), those links must be
https and name a public host: ``http://127.0.0.1:8000`` (the default) would send every
reader an unsubscribe link that goes nowhere. ``digest send`` and ``digest serve`` call
:func:`check_outbound` before they start; the demo and a local capture server use a
loopback SMTP server and are not concerned.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from urllib.parse import urlsplit

from digest.config import Settings
from digest.errors import ConfigError

_LOCAL_NAMES = ("localhost", "localhost.localdomain")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".test", ".invalid")


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_private_host(host: str) -> bool:
    """Whether ``host`` cannot be reached from the internet: loopback, a private,
    link-local or reserved address, a single-label name, or a local-only suffix."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if not name or is_loopback_host(name):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return "." not in name or name.endswith(_LOCAL_SUFFIXES)
    return not address.is_global


def base_url_problem(base_url: str) -> str | None:
    """Why ``base_url`` cannot be put in mail sent to the world, or None."""
    parts = urlsplit(base_url)
    if parts.scheme != "https":
        return "is not https"
    if is_private_host(parts.hostname or ""):
        return f"names a loopback or private host ({parts.hostname or 'none'})"
    return None


def check_outbound(settings: Settings, *, warn: Callable[[str], None]) -> None:
    """ConfigError (exit 2) when mail would leave this machine with links under a
    ``base_url`` that is not https or names a loopback/private host; ``warn`` once
    when DKIM signing is off."""
    if is_loopback_host(settings.smtp.host):
        return
    base_url = settings.newsletter.base_url
    problem = base_url_problem(base_url)
    if problem is not None:
        raise ConfigError(
            f"[newsletter] base_url {base_url!r} {problem}: readers' unsubscribe and preference links "
            f"would not work; set it to the public https address of `digest serve`"
        )
    if not (settings.dkim.domain and settings.dkim.selector and settings.dkim.private_key_path):
        warn("warning: [dkim] is off: mail goes out unsigned and is more likely to be marked as spam")
