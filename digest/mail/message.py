"""The message of one variant, encoded once; per subscriber only splices.

A :class:`MessageTemplate` holds a variant's multipart/alternative message as ASCII
bytes with holes where the personal values go (greeting, address, signed links) and
the header fields that differ per subscriber (To, Date, Message-ID,
List-Unsubscribe). :meth:`MessageTemplate.message` fills them: a few short
quoted-printable encodings and one ``bytes.join`` (tens of microseconds), then,
with a signer, one SHA-256 of the body and one RSA signature.

Layout (RFC 2045-2049, RFC 5322): text/plain first, text/html last (clients show the
last part they understand), both UTF-8 and quoted-printable, every line <= 76
characters and CRLF-terminated, every byte ASCII. The body is written in DKIM relaxed
canonical form, so the bytes sent are exactly the bytes hashed.
"""

from __future__ import annotations

import html
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, parseaddr

from digest.errors import RenderError
from digest.mail import dkim, mime
from digest.mail.html import Rendered
from digest.mail.slots import Slot, split


@dataclass(frozen=True)
class StaticHeaders:
    """Header values shared by every message of a variant."""

    sender: str  # From, "Name <address>"
    list_id: str  # "Name <label.domain>" (RFC 2919)
    feedback_id: str
    subject: str = ""
    language: str = ""
    subject_prefix: str = ""  # "[TEST] " on test copies
    reply_to: str = ""
    unsubscribe_mailto: str = ""  # address for the mailto: form of List-Unsubscribe
    extra: tuple[tuple[str, str], ...] = ()  # e.g. ("X-Digest-Test", "yes")


@dataclass(frozen=True)
class Greeting:
    """The greeting line in the edition's language, with and without a name."""

    named: str  # "Bonjour %(name)s,"
    anonymous: str  # "Bonjour,"

    def format(self, name: str) -> str:
        """The greeting for ``name`` (anonymous when empty)."""
        name = mime.clean_text(name)
        return self.named % {"name": name} if name else self.anonymous


@dataclass(frozen=True)
class Personal:
    """What differs from one subscriber's message to the next."""

    email: str
    name: str
    unsubscribe: str  # https URL, also the RFC 8058 one-click POST target
    preferences: str
    archive: str  # "view in browser"
    message_id: str  # without angle brackets
    date: datetime  # timezone-aware
    mailto_token: str = ""  # signed token in the subject of the mailto: List-Unsubscribe
    stamp: str = ""  # "?m=<stamp>" ending each tracked link (digest.links.TrackedLinks.stamp)


_PART_HEADERS = "Content-Type: text/{}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"


def _address(value: str) -> str:
    """A configured "Name <addr>" as an encoded header value."""
    name, addr = parseaddr(value)
    if not addr:
        raise RenderError(f"not an email address: {value!r}")
    return mime.address_header(name, addr)


def mailto_unsubscribe(address: str, token: str) -> str:
    """The ``, <mailto:...>`` part of List-Unsubscribe ("" without an address): the
    subject carries the subscriber's short signed token, which ``digest bounces
    import`` reads back. The subject, not a plus-address, because mail systems may
    change the case of a local part."""
    if not address:
        return ""
    subject = f"unsubscribe%20{token}" if token else "unsubscribe"
    return f", <mailto:{address}?subject={subject}>"


class MessageTemplate:
    """A variant's message with holes for the personal values."""

    def __init__(self, rendered: Rendered, headers: StaticHeaders, greeting: Greeting) -> None:
        self.rendered = rendered
        self.headers = headers
        self.greeting = greeting
        self.boundary = f"=_digest_{secrets.token_hex(12)}"  # "=_" never occurs in QP text
        self._static, self._holes = self._encode_body(rendered)
        self.canonical = dkim.is_relaxed_canonical(b"".join(self._static))
        self._build_headers()

    # --- body ------------------------------------------------------------------

    def _encode_body(self, rendered: Rendered) -> tuple[list[bytes], list[tuple[Slot, bool]]]:
        """Static encoded pieces and the holes between them ((slot, in_html) pairs)."""
        static: list[str] = [f"--{self.boundary}\r\n" + _PART_HEADERS.format("plain")]
        holes: list[tuple[Slot, bool]] = []
        for in_html, text in ((False, rendered.text), (True, rendered.html)):
            if in_html:
                static[-1] += f"\r\n--{self.boundary}\r\n" + _PART_HEADERS.format("html")
            for piece in split(text):
                if isinstance(piece, Slot):
                    holes.append((piece, in_html))
                    static.append("")
                else:
                    static[-1] += mime.qp_encode(piece)
        static[-1] += f"\r\n--{self.boundary}--\r\n"
        return [s.encode("ascii") for s in static], holes

    def _values(self, p: Personal) -> dict[tuple[Slot, bool], bytes]:
        greeting = self.greeting.format(p.name)
        raw = {
            Slot.GREETING: greeting,
            Slot.EMAIL: p.email,
            Slot.UNSUBSCRIBE: p.unsubscribe,
            Slot.PREFERENCES: p.preferences,
            Slot.ARCHIVE: p.archive,
            Slot.STAMP: p.stamp,
        }
        out: dict[tuple[Slot, bool], bytes] = {}
        for key in self._keys:
            slot, in_html = key
            value = html.escape(raw[slot], quote=True) if in_html else raw[slot]
            out[key] = mime.qp_value(value).encode("ascii")
        return out

    def body(self, p: Personal) -> bytes:
        """The MIME body (both parts) for one subscriber."""
        values = self._values(p)
        static = self._static
        parts = [static[0]]
        for i, key in enumerate(self._holes):
            parts.append(values[key])
            parts.append(static[i + 1])
        return b"".join(parts)

    def html_part_size(self, p: Personal) -> int:
        """Bytes of the encoded HTML part (its MIME headers included) for ``p``."""
        return len(self.body(p).split(f"--{self.boundary}".encode("ascii"))[2])

    # --- headers ---------------------------------------------------------------

    def _build_headers(self) -> None:
        h = self.headers
        fields: list[tuple[str, str]] = [
            ("From", mime.fold("From", _address(h.sender))),
            ("Subject", mime.text_header("Subject", h.subject_prefix + h.subject)),
        ]
        if h.reply_to:
            fields.append(("Reply-To", mime.fold("Reply-To", _address(h.reply_to))))
        fields += [
            ("List-Id", mime.fold("List-Id", h.list_id)),
            ("List-Unsubscribe-Post", "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"),
            ("Feedback-ID", mime.fold("Feedback-ID", h.feedback_id)),
            # Bulk mail: auto-responders (out-of-office, vacation) must stay quiet
            # (RFC 3834, and Exchange's own header).
            ("Precedence", "Precedence: bulk\r\n"),
            ("Auto-Submitted", "Auto-Submitted: auto-generated\r\n"),
            ("X-Auto-Response-Suppress", "X-Auto-Response-Suppress: OOF, AutoReply\r\n"),
            ("MIME-Version", "MIME-Version: 1.0\r\n"),
            ("Content-Type", f'Content-Type: multipart/alternative;\r\n boundary="{self.boundary}"\r\n'),
            ("Content-Language", f"Content-Language: {h.language}\r\n"),
        ]
        fields += [(name, mime.text_header(name, value)) for name, value in h.extra]
        self._static_fields = tuple(fields)
        self._static_head = "".join(text for _, text in fields[1:])  # From goes first, apart
        self._from = fields[0][1]
        self._static_canonical = "".join(dkim.relaxed_header(text) for _, text in fields)
        self._static_names = tuple(name.lower() for name, _ in fields)
        self._mailto = h.unsubscribe_mailto
        self._keys = tuple(dict.fromkeys(self._holes))

    def _personal_fields(self, p: Personal) -> tuple[str, str, str, str]:
        try:
            to = mime.fold("To", mime.address_header(p.name, p.email))
        except ValueError as exc:
            raise RenderError(str(exc)) from None
        date = f"Date: {format_datetime(p.date)}\r\n"
        mid = f"Message-ID: <{p.message_id}>\r\n"
        unsub = mime.fold("List-Unsubscribe", f"<{p.unsubscribe}>{mailto_unsubscribe(self._mailto, p.mailto_token)}")
        return to, date, mid, unsub

    def message(self, p: Personal, *, signer: dkim.DkimSigner | None = None) -> bytes:
        """The complete message for one subscriber, signed when ``signer`` is given."""
        body = self.body(p)
        to, date, mid, unsub = self._personal_fields(p)
        head = self._from + to + date + mid + unsub + self._static_head
        if signer is not None:
            canonical = (
                self._static_canonical
                + dkim.relaxed_header(to)
                + dkim.relaxed_header(date)
                + dkim.relaxed_header(mid)
                + dkim.relaxed_header(unsub)
            )
            names = (*self._static_names, "to", "date", "message-id", "list-unsubscribe")
            bh = dkim.body_hash(body, canonical=self.canonical)
            head = signer.signature(canonical, names, bh, timestamp=int(p.date.timestamp())) + head
        return head.encode("ascii") + b"\r\n" + body
