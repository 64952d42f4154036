"""Markers for the per-subscriber parts of a rendered variant.

A variant is rendered and inlined once with a marker where each personal value goes;
the marker is then cut out and the value spliced in per subscriber. Markers are plain
letters and digits (they pass through Jinja2 escaping, premailer and lxml untouched)
and carry a random per-process nonce, so article text cannot forge one.
"""

from __future__ import annotations

import enum
import re
import secrets
from dataclasses import dataclass


class Slot(enum.StrEnum):
    """A personal value in the message body."""

    GREETING = "greeting"  # "Bonjour Zoé," or "Bonjour,"
    EMAIL = "email"  # the address the edition is sent to (footer)
    UNSUBSCRIBE = "unsubscribe"  # signed link, also the RFC 8058 one-click target
    PREFERENCES = "preferences"  # signed link
    ARCHIVE = "archive"  # "view in browser", signed link
    STAMP = "stamp"  # "?m=<stamp>" after each tracked link: the message's send time (and a consenting reader)


_NONCE = secrets.token_hex(5)
MARKER = re.compile(f"zq{_NONCE}([a-z]+)qz")


def marker(slot: Slot) -> str:
    """The marker written into templates for ``slot``."""
    return f"zq{_NONCE}{slot.value}qz"


@dataclass(frozen=True)
class Markers:
    """The markers as the templates see them: ``{{ slots.unsubscribe }}``."""

    greeting: str = marker(Slot.GREETING)
    email: str = marker(Slot.EMAIL)
    unsubscribe: str = marker(Slot.UNSUBSCRIBE)
    preferences: str = marker(Slot.PREFERENCES)
    archive: str = marker(Slot.ARCHIVE)
    stamp: str = marker(Slot.STAMP)


MARKERS = Markers()


def split(text: str) -> list[str | Slot]:
    """``text`` cut at its markers: static strings alternating with slots."""
    pieces: list[str | Slot] = []
    last = 0
    for m in MARKER.finditer(text):
        pieces.append(text[last : m.start()])
        pieces.append(Slot(m.group(1)))
        last = m.end()
    pieces.append(text[last:])
    return pieces
