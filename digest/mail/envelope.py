"""The envelope sender (MAIL FROM) and VERP: where bounces come back, and whose they are.

``[smtp] envelope_from`` is either a plain address (every bounce goes there) or a VERP
template holding ``{local}`` and ``{domain}``, e.g.
``bounces+{local}={domain}@bounce.example.org``: the bounce for
``jane.doe@example.com`` then comes back to
``bounces+jane.doe=example.com@bounce.example.org``, which names the recipient even
when the bounce message itself is garbled. :func:`recipient_from_verp` reads it back.
Empty means the From address of ``[newsletter] sender``.
"""

from __future__ import annotations

import functools
import re
from email.utils import getaddresses, parseaddr

from digest.errors import ConfigError

_FIELDS = ("{local}", "{domain}")


def is_verp(template: str) -> bool:
    """True when ``template`` puts the recipient into the envelope sender."""
    return all(field in template for field in _FIELDS)


def check_template(template: str, *, where: str = "[smtp] envelope_from") -> None:
    """ConfigError unless ``template`` is empty, a plain address, or a VERP template
    with both ``{local}`` and ``{domain}`` in its local part."""
    if not template:
        return
    used = [f for f in _FIELDS if f in template]
    if used and len(used) != len(_FIELDS):
        raise ConfigError(f"{where}: a VERP template needs both {{local}} and {{domain}}, got {template!r}")
    local, at, domain = template.rpartition("@")
    if not at or not local or not domain or "{" in domain:
        raise ConfigError(f"{where}: expected an address like bounces+{{local}}={{domain}}@bounce.example.org")


def envelope_from(template: str, sender: str, recipient: str) -> str:
    """MAIL FROM for ``recipient``: the VERP form of ``template``, the plain
    ``template``, or the address of ``sender`` ("Name <addr>") when it is empty."""
    if not template:
        return _address(sender)
    local, _, domain = recipient.rpartition("@")
    # str.replace, not format(): an address may legally contain braces.
    return template.replace("{local}", local).replace("{domain}", domain)


@functools.lru_cache(maxsize=16)
def _address(sender: str) -> str:
    # cached: the composer asks once per message, always for the same sender
    return parseaddr(sender)[1]


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{local\}|\{domain\})", template)
    regex = ""
    for part in parts:
        if part == "{local}":
            regex += r"(?P<local>.+)"
        elif part == "{domain}":
            # A domain holds no "=", so a local part that does still splits right.
            regex += r"(?P<domain>[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)"
        else:
            regex += re.escape(part)
    return re.compile(regex + r"\Z", re.IGNORECASE)


def recipient_from_verp(template: str, address: str) -> str | None:
    """The original recipient encoded in a VERP ``address`` ("<...>" or a header
    value allowed), or None when ``address`` is not of ``template``'s form."""
    if not is_verp(template):
        return None
    found = parseaddr(address)[1] or address.strip().strip("<>")
    match = _pattern(template).match(found)
    if match is None:
        return None
    return f"{match.group('local')}@{match.group('domain')}"


def recipients_from_headers(template: str, values: list[str]) -> list[str]:
    """Recipients decoded from the VERP addresses among header ``values`` (To,
    Delivered-To, X-Original-To...), in order, without repeats."""
    out: list[str] = []
    for _, address in getaddresses(values):
        decoded = recipient_from_verp(template, address)
        if decoded and decoded not in out:
            out.append(decoded)
    return out
