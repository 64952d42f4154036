"""Unsubscribe requests sent by mail: the ``mailto:`` form of List-Unsubscribe.

Each edition's List-Unsubscribe carries ``<mailto:ADDRESS?subject=unsubscribe%20TOKEN>``
where TOKEN is the subscriber's short signed token (``<id>.<16 chars>``, see
:meth:`digest.tokens.Tokens.make_short`). A mail client that offers "unsubscribe"
sends exactly that subject; ``digest bounces import`` reads the mailbox, finds the
token and unsubscribes the subscriber it names. Without a valid token nothing
happens: a From header proves nothing.
"""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage

from digest.errors import TokenError
from digest.tokens import Tokens

_REQUEST = re.compile(r"\bunsubscribe\s+([1-9][0-9]{0,17}\.[A-Za-z0-9_-]{16})(?![A-Za-z0-9_-])", re.IGNORECASE)


def request_token(data: bytes) -> str | None:
    """The token in an unsubscribe request's subject, or None when the message is not one."""
    try:
        msg = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        subject = str(msg.get("Subject", "") or "")
    except Exception:  # a header too broken to parse is not a request
        return None
    match = _REQUEST.search(subject)
    return match.group(1) if match else None


def requested_subscriber(data: bytes, tokens: Tokens) -> int | None:
    """The subscriber id an unsubscribe request names with a valid signed token."""
    token = request_token(data)
    if token is None:
        return None
    try:
        return tokens.check_short("mailto", token)
    except TokenError:
        return None
