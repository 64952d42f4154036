"""Byte-level MIME encoding: quoted-printable bodies and RFC 2047 / RFC 5322 headers.

The stdlib encoders are correct but not shaped for our two needs:

* **segment encoding.** A message variant is encoded once with its personal values
  left out; each static segment is quoted-printable encoded on its own, starting at
  column 0 and ending with a soft line break, so a personal value (also encoded on
  lines of its own) can be dropped between two segments by plain concatenation and
  every line still stays <= 76 characters.
* **DKIM-canonical output.** Every encoded line is already in DKIM "relaxed" body
  form: no tab, no run of spaces, no trailing space (those are written =09 / =20,
  which decode to the same text). The signer can then hash the bytes as they are,
  and hash the static part of a variant only once.

Lines written here are at most 76 characters (RFC 2045) and end in CRLF.
"""

from __future__ import annotations

import base64
import re
from email.utils import parseaddr

#: Longest encoded line, soft-break "=" included (RFC 2045 section 6.7, rule 5).
MAX_LINE = 76
_MAX_BODY = MAX_LINE - 1  # room for the "=" of a soft break

# How each byte is written in quoted-printable. Printable ASCII stays as it is except
# "=" (the escape character); space is literal here and handled by position below.
_TOKEN: tuple[str, ...] = tuple(chr(b) if (33 <= b <= 126 and b != 61) else f"={b:02X}" for b in range(256))
_TOKEN_IN_VALUE: tuple[str, ...] = tuple(t if b != 32 else "=20" for b, t in enumerate(_TOKEN))

# A value that needs no escaping at all: printable ASCII without "=" and space.
_PLAIN = re.compile(r"[!-<>-~]*\Z")


def _encode_line(line: bytes, out: list[str]) -> None:
    """Encode one logical line (no line break in it) into ``out`` as encoded lines,
    every one but the last ending with a soft break."""
    tokens: list[str] = []
    prev_space = True  # a space at the start of a line is written =20 (canonical form)
    for b in line:
        if b == 32:
            tokens.append("=20" if prev_space else " ")
            prev_space = True
        else:
            tokens.append(_TOKEN[b])
            prev_space = False
    if tokens and tokens[-1] == " ":
        tokens[-1] = "=20"  # trailing whitespace would be stripped in transit
    if len(line) >= 5 and line.startswith(b"From "):
        tokens[0] = "=46"  # mbox "From " quoting would alter the line
    elif line[:1] == b".":
        tokens[0] = "=2E"  # some gateways mishandle a leading dot
    current: list[str] = []
    width = 0
    for token in tokens:
        if width + len(token) > _MAX_BODY:
            # a space must not end a line, even before the "=": carry it over
            carry = [current.pop()] if current[-1] == " " else []
            out.append("".join(current) + "=")
            current, width = carry, len(carry)
        current.append(token)
        width += len(token)
    out.append("".join(current))


def qp_encode(text: str) -> str:
    """Quoted-printable encode ``text`` (UTF-8; "\\n" line breaks) with CRLF lines.

    When ``text`` ends with a line break, so does the result; otherwise the result ends
    with a soft break ("=" CRLF), so that the next encoded piece starts on a fresh line
    and continues the same logical line. Empty text encodes to "".
    """
    if not text:
        return ""
    lines = text.split("\n")
    ends_with_break = lines[-1] == ""
    if ends_with_break:
        lines.pop()
    out: list[str] = []
    for line in lines:
        _encode_line(line.encode("utf-8"), out)
    # _encode_line keeps every line <= 75 and never ends one in a space, so a final
    # soft break fits and leaves no trailing whitespace.
    return "\r\n".join(out) + ("\r\n" if ends_with_break else "=\r\n")


def qp_value(value: str) -> str:
    """Encode a short personal value to splice between two :func:`qp_encode` segments.

    The result starts at column 0 and ends with a soft break (or is empty). Spaces are
    always written =20 so the output is in DKIM relaxed canonical form whatever the
    value. A fast path serves the common all-ASCII URL or name.
    """
    if not value:
        return ""
    if _PLAIN.match(value):
        encoded = value
    elif value.isascii() and value.isprintable() and " " not in value:
        encoded = value.replace("=", "=3D")
    else:
        encoded = "".join([_TOKEN_IN_VALUE[b] for b in value.encode("utf-8")])
    if len(encoded) <= _MAX_BODY:
        return encoded + "=\r\n"
    return _wrap_encoded(encoded)


def _wrap_encoded(encoded: str) -> str:
    """Soft-break an encoded string into lines <= 76, never splitting an =XX escape."""
    parts: list[str] = []
    start = 0
    n = len(encoded)
    while start < n:
        end = min(start + _MAX_BODY, n)
        if end < n:
            # step back if an escape would be cut: "=" in the last two positions
            cut = encoded.rfind("=", end - 2, end)
            if cut != -1:
                end = cut
        parts.append(encoded[start:end] + "=\r\n")
        start = end
    return "".join(parts)


# --- headers ---------------------------------------------------------------------

_ATEXT_PHRASE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_EW_CHUNK = 42  # UTF-8 bytes per encoded word: base64 56 chars + 12 of =?utf-8?b?...?=


def clean_text(value: str) -> str:
    """Collapse control characters and whitespace runs: a header value is one line."""
    return " ".join(_CONTROL.sub(" ", value).split())


def encoded_words(value: str) -> list[str]:
    """RFC 2047 base64 encoded words for ``value``, each whole characters, <= 68 chars.

    A long value is split after a space when one is near, so that a reader whose
    parser wrongly keeps the folding between two encoded words (Python's own address
    parser does) shows a doubled space rather than a space inside a word.
    """
    words: list[str] = []
    chunk = ""
    size = 0
    for ch in value:
        n = len(ch.encode("utf-8"))
        if size + n > _EW_CHUNK and chunk:
            cut = chunk.rfind(" ") + 1
            if cut <= len(chunk) // 2:
                cut = len(chunk)  # no space in the second half: split here
            words.append(_ew(chunk[:cut]))
            chunk = chunk[cut:]
            size = len(chunk.encode("utf-8"))
        chunk += ch
        size += n
    if chunk:
        words.append(_ew(chunk))
    return words


def _ew(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="


def phrase(name: str) -> str:
    """A display name as an RFC 5322 phrase: atoms, a quoted string or encoded words."""
    name = clean_text(name)
    if not name:
        return ""
    if name.isascii() and "=?" not in name:  # "=?" would read as an encoded word
        if _ATEXT_PHRASE.match(name):
            return name
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return " ".join(encoded_words(name))


def address_header(name: str, addr: str) -> str:
    """``Name <addr>`` with the name encoded as needed; bare ``addr`` without a name.

    A domain in Unicode is written in its IDNA (punycode) form; a non-ASCII local part
    would need SMTPUTF8, which this message format does not use, so it is refused.
    """
    addr = encode_address(addr)
    p = phrase(name)
    return f"{p} <{addr}>" if p else addr


def encode_address(addr: str) -> str:
    """``addr`` in ASCII: IDNA domain; ValueError for a non-ASCII local part."""
    addr = addr.strip()
    if addr.isascii():
        return addr
    local, _, domain = addr.rpartition("@")
    if not local.isascii():
        raise ValueError(f"address {addr!r} has a non-ASCII local part (needs SMTPUTF8)")
    return f"{local}@{domain.encode('idna').decode('ascii')}"


def fold(name: str, value: str) -> str:
    """``Name: value`` CRLF, folded at spaces so lines stay <= 78 characters where the
    value allows it: a word that does not fit moves to a continuation line of its own
    (even the first one, right after the name); a single word longer than a line, e.g.
    a very long URL, is never split."""
    line = f"{name}: {value}"
    if len(line) <= 78:
        return line + "\r\n"
    lines: list[str] = []
    current = f"{name}:"
    for word in value.split(" "):
        if len(current) + 1 + len(word) > 78:
            lines.append(current)
            current = ""
        current = f"{current} {word}"
    lines.append(current)
    return "\r\n".join(lines) + "\r\n"


def text_header(name: str, value: str) -> str:
    """An unstructured header (Subject...) with RFC 2047 encoding for non-ASCII text."""
    value = clean_text(value)
    if value.isascii() and "=?" not in value:
        return fold(name, value)
    return fold(name, " ".join(encoded_words(value)))


def sender_domain(sender: str) -> str:
    """The domain of a ``Name <addr>`` sender, for Message-ID and List-Id."""
    return parseaddr(sender)[1].rpartition("@")[2].lower() or "localhost"
