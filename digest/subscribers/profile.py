"""The fields a person gives about themselves, validated: address, name, language,
timezone, send time, topics. Leaf module: no store, no settings."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import time
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP

from email_validator import EmailNotValidError, validate_email

from digest import i18n
from digest.errors import ValidationError
from digest.timing import parse_send_at, zone

MAX_NAME_LENGTH = 200


def normalise_address(raw: str) -> str:
    """The normalised form of an address (ValidationError saying why it is invalid).

    Syntax and normalisation only (no DNS lookup); internationalised domains become
    their ASCII (punycode) form, and the whole address is lower-cased.
    """
    text = raw.strip()
    if not text:
        raise ValidationError("email: missing address")
    if any(ch.isspace() for ch in text):
        raise ValidationError(f"email: {text!r} contains a space")
    address = _plain_address(text)
    if address is None:
        try:
            result = validate_email(text, check_deliverability=False, allow_smtputf8=False)
        except EmailNotValidError as exc:
            raise ValidationError(f"email: {text!r} is not a valid address ({exc})") from None
        address = (result.ascii_email or result.normalized).lower()
    problem = header_problem(address)
    if problem:
        raise ValidationError(f"email: {text!r} cannot be written into a mail header ({problem})")
    return address


#: An address the standard library writes into a header as it is: a dot-atom local part
#: of letters, digits and ``._+-`` at an ASCII host name, short enough never to be folded.
_PLAIN = re.compile(r"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@[a-z0-9-]+(?:\.[a-z0-9-]+)+")


#: A local part made of letters, digits and ``_+-`` between single dots: one that
#: email-validator accepts as it is (the domain still has to be checked).
_PLAIN_LOCAL = re.compile(r"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*")


def _plain_address(text: str) -> str | None:
    """``text`` normalised when its local part is plain and its domain valid (the
    domain's check, the costly part, is remembered: a list's addresses share a few
    domains); None when the full check must decide (and say why)."""
    local, at, domain = text.lower().rpartition("@")
    if not at or len(local) > 64 or len(text) > 254 or not domain.isascii() or not _PLAIN_LOCAL.fullmatch(local):
        return None
    checked = _checked_domain(domain)
    return f"{local}@{checked}" if checked else None


@functools.lru_cache(maxsize=4096)
def _checked_domain(domain: str) -> str:
    """The ASCII form of ``domain`` as email-validator checks it, "" when invalid."""
    try:
        result = validate_email(f"x@{domain}", check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return ""
    return str(result.ascii_domain or result.domain).lower()


def header_problem(address: str) -> str:
    """Why ``address`` cannot be put in a To header as is ("" when it can): an RFC 2047
    encoded word in the local part (a mail reader would show it decoded, as another
    address), or anything the standard library refuses to write."""
    local = address.rpartition("@")[0]
    if "=?" in local or "?=" in local:
        return "its local part looks like an RFC 2047 encoded word"
    if not address.isascii() or any(ch.isspace() or ord(ch) < 32 or ch in '"<>(),;:\\[]' for ch in local):
        return "its local part holds characters a header cannot carry unquoted"
    # Nearly every address is plain: writing a whole message to check it costs a
    # millisecond, 100 s for a 100,000-row import. Only the others take that path.
    if len(address) <= 64 and _PLAIN.fullmatch(address):
        return ""
    try:
        # The confirmation mail's path (the standard library) must accept it too.
        msg = EmailMessage(policy=SMTP)
        msg["To"] = Address(addr_spec=address)
        written = msg.as_bytes()
    except (ValueError, TypeError, IndexError) as exc:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if b"=?" in written:
        return "it would need RFC 2047 encoding"
    return ""


def check_name(raw: str | None) -> str:
    """A display name: trimmed, without control characters (they would let a name
    break out of a header), at most 200 characters."""
    text = (raw or "").strip()
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in text):
        raise ValidationError("name: contains control characters")
    if len(text) > MAX_NAME_LENGTH:
        raise ValidationError(f"name: longer than {MAX_NAME_LENGTH} characters")
    return text


def check_language(raw: str | None, *, default: str) -> str:
    """A supported language code; ``default`` when empty."""
    text = (raw or "").strip().lower()
    if not text:
        return default
    supported = i18n.languages(first=default)
    if text not in supported:
        raise ValidationError(f"language: unknown language {raw!r} (expected {' or '.join(supported)})")
    return text


def check_timezone(raw: str | None) -> str:
    """An IANA timezone name, or "" for the newsletter's own."""
    text = (raw or "").strip()
    if not text:
        return ""
    try:
        return zone(text).key
    except ValidationError:
        raise ValidationError(f"timezone: unknown timezone {text!r} (an IANA name like Europe/Paris)") from None


def check_send_at(raw: str | time | None) -> time | None:
    """A local send time ``HH:MM``, or None for the newsletter's own."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        return parse_send_at(raw)
    except ValidationError:
        raise ValidationError(f"send_at: expected HH:MM (24-hour clock), got {raw!r}") from None


def split_topics(raw: str | Iterable[str] | None) -> list[str]:
    """Topics from ``"A;B"`` or a list, trimmed, empty ones dropped, duplicates removed."""
    if raw is None:
        return []
    parts = raw.split(";") if isinstance(raw, str) else list(raw)
    return list(dict.fromkeys(p.strip() for p in parts if p and p.strip()))


def check_topics(raw: str | Iterable[str] | None, known: Sequence[str]) -> tuple[tuple[str, ...], list[str]]:
    """Topics spelled as the known categories, plus a warning per unknown one (kept:
    a category may appear with tomorrow's articles). ``known`` empty checks nothing."""
    by_key = {k.casefold(): k for k in known}
    topics: list[str] = []
    warnings: list[str] = []
    for topic in split_topics(raw):
        if any(unicodedata.category(ch) == "Cc" for ch in topic) or len(topic) > 100:
            raise ValidationError(f"topics: invalid topic {topic!r}")
        canonical = by_key.get(topic.casefold())
        if canonical is None and known:
            warnings.append(f"topics: unknown category {topic!r} (kept)")
        name = canonical or topic
        if name not in topics:
            topics.append(name)
    return tuple(topics), warnings
