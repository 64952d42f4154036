"""One SMTP transaction on the fast path: a message's bytes already in wire form go out
as they are (:func:`wire_form`, :func:`transaction`), instead of through aiosmtplib's
per-message re-encoding."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Awaitable

import aiosmtplib

from digest.models import OutgoingMessage

_PLAIN_ADDRESS = re.compile(r"[!#-;=?-~]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?", re.ASCII)
_LINE_DOT = re.compile(rb"\n\.")  # a literal pattern: sre finds it faster than ``in``


def wire_form(message: OutgoingMessage) -> bytes | None:
    """The message's bytes as DATA puts them on the wire (dots at line starts doubled),
    or None when they need aiosmtplib's full treatment: a bare CR or LF, no final CRLF,
    or an address that is not plain ASCII.

    digest.mail.compose builds CRLF-only bytes, so a few C-speed scans and one replace here
    stand in for aiosmtplib's two regular-expression passes over every 50 KB message
    (normalising line ends, doubling dots), which cost more than the rest of a
    transaction. A bare CR or LF is never sent as it is (it would open the door to SMTP
    smuggling): such bytes go through :meth:`aiosmtplib.SMTP.sendmail`.
    """
    data = message.data
    if not data.endswith(b"\r\n"):
        return None
    # Every CR starts a CRLF and every LF ends one: three counting scans, no copy of the
    # message (a replace would allocate 50 KB per reader).
    pairs = data.count(b"\r\n")
    if data.count(b"\r") != pairs or data.count(b"\n") != pairs:
        return None
    for address in (message.mail_from, message.rcpt_to):
        if not address.isascii() or _PLAIN_ADDRESS.fullmatch(address) is None:
            return None
    if _LINE_DOT.search(data):
        data = data.replace(b"\n.", b"\n..")
    return b"." + data if data.startswith(b".") else data


async def transaction(
    client: aiosmtplib.SMTP,
    message: OutgoingMessage,
    wire: bytes,
    timeout: float,
    handed_over: list[bool],
    ready: Awaitable[None] | None = None,
) -> str:
    """MAIL, RCPT, DATA with ``wire`` (see :func:`wire_form`): what ``sendmail`` does,
    raising the same exceptions (so replies classify alike), without re-validating the
    addresses and re-encoding the bytes. ``handed_over[0]`` becomes True once the
    final dot is written: a failure before it cannot have delivered the message.

    ``ready`` (the commit of this connection's previous outcome) is awaited just before
    the final dot: the envelope and the bytes go out while the database writes, and
    still no more than one message per connection is ever accepted but unrecorded."""
    if client.is_ehlo_or_helo_needed:
        await client.ehlo()
    mail = [b"FROM:<" + message.mail_from.encode("ascii") + b">"]
    if client.supports_extension("size"):
        mail.append(b"SIZE=%d" % len(message.data))  # RFC 1870: the size before dot-stuffing
    try:
        response = await client.execute_command(b"MAIL", *mail)
        if response.code != 250:
            raise aiosmtplib.SMTPSenderRefused(response.code, response.message, message.mail_from)
        response = await client.execute_command(b"RCPT", b"TO:<" + message.rcpt_to.encode("ascii") + b">")
        if response.code not in (250, 251):
            refused = aiosmtplib.SMTPRecipientRefused(response.code, response.message, message.rcpt_to)
            raise aiosmtplib.SMTPRecipientsRefused([refused])
        response = await client.execute_command(b"DATA")
        if response.code != 354:
            raise aiosmtplib.SMTPDataError(response.code, response.message)
        protocol = client.protocol
        if protocol is None:
            raise aiosmtplib.SMTPServerDisconnected("Connection lost")
        protocol.write(wire)
        if ready is not None:
            await ready
        protocol.write(b".\r\n")
        handed_over[0] = True
        response = await protocol.read_response(timeout=timeout)
        if response.code != 250:
            raise aiosmtplib.SMTPDataError(response.code, response.message)
    except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused):
        if client.is_connected:  # reset the envelope for the next message, as sendmail does
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await client.rset()
        raise
    return response.message
