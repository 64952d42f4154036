"""A rendered message read back: its decoded HTML and text parts.

The one place that parses a finished message (bytes as sent) back into the HTML and
text a reader sees: "view in browser", ``digest preview`` and the demo's saved pages.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage


def _body(data: bytes, kind: str) -> str | None:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=(kind,))
    return None if part is None else str(part.get_content())


def html_part(data: bytes) -> str | None:
    """The decoded HTML part of the message ``data``, as on the wire (CRLF line ends);
    None when it has none."""
    return _body(data, "html")


def text_part(data: bytes) -> str | None:
    """The decoded plain-text part of the message ``data`` (CRLF line ends); None when
    it has none."""
    return _body(data, "plain")
