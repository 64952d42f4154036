"""Bounces that arrive after the send: delivery status notifications (RFC 3464
``multipart/report; report-type=delivery-status``) and spam complaints (ARF, RFC 5965
``report-type=feedback-report``), read from a file, an mbox or a Maildir.

Per recipient of a DSN whose Action is ``failed``:

* Status 5.x.x: a hard bounce, the address is suppressed at once — except 5.2.2
  (mailbox full) and refusals about policy, content or the system (5.3, 5.6, 5.7),
  which say nothing against the address and count as soft bounces;
* Status 4.x.x (gave up after retrying): a soft bounce; the address is suppressed once
  it has ``[bounces] soft_bounce_limit`` of them over ``soft_bounce_days``.

``delayed``, ``delivered``, ``relayed`` and ``expanded`` are news, not bounces. A
complaint suppresses the address at once. The recipient is taken from the VERP
envelope address the report came back to (see :mod:`digest.mail.envelope`), else
from Original-Recipient, else Final-Recipient.

With ``[newsletter] unsubscribe_mailto`` set, a message that is no report but an
unsubscribe request with a valid signed token (see :mod:`digest.deliver.mailto`)
unsubscribes the subscriber it names.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import logging
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, HeaderParser
from pathlib import Path

from digest.config import Settings
from digest.deliver.mailto import requested_subscriber
from digest.deliver.options import soft_bounce_limit
from digest.errors import NotFoundError, SourceError
from digest.logs import mask_email
from digest.mail.envelope import recipients_from_headers
from digest.store import Store
from digest.store.bounces import Bounce, BounceKind, Effect, record_bounce
from digest.subscribers.membership import signed_links, unsubscribe

log = logging.getLogger(__name__)

_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_ADDRESS = re.compile(r"<?([^<>\s;]+@[^<>\s;]+)>?")
_VERP_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")
_NOT_THE_ADDRESS = frozenset({3, 5, 6, 7})


class NotAReport(ValueError):
    """The message is not a delivery status notification or a complaint."""


def _message(data: bytes) -> EmailMessage:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def report_id(msg: Message, data: bytes) -> str:
    """A stable id for a report: hash of its Message-ID, else of its bytes."""
    mid = next((str(v) for k, v in msg.raw_items() if k.lower() == "message-id"), "").strip()
    return hashlib.sha256(mid.encode("utf-8") if mid else data).hexdigest()


def _address(value: str | None) -> str:
    """The address of a ``rfc822; addr`` field (or a bare/bracketed address)."""
    if not value:
        return ""
    text = str(value)
    _, sep, rest = text.partition(";")
    match = _ADDRESS.search(rest if sep else text)
    return match.group(1).strip().lower() if match else ""


def classify(action: str, status: str, diagnostic: str) -> BounceKind | None:
    """The bounce kind of one DSN recipient block, or None when it is not a bounce."""
    if action.strip().lower() != "failed":
        return None
    match = _STATUS.search(status) or _STATUS.search(diagnostic)
    if match is None:
        code = re.search(r"\b([45])\d\d\b", diagnostic)
        return BounceKind.HARD if code and code.group(1) == "5" else BounceKind.SOFT
    klass, subject, detail = (int(g) for g in match.groups())
    if klass == 5 and (subject in _NOT_THE_ADDRESS or (subject, detail) == (2, 3)):
        return BounceKind.OURS  # policy, system, content, size: never the reader's bounce
    if klass == 5 and (subject, detail) != (2, 2):
        return BounceKind.HARD
    return BounceKind.SOFT


def _field_blocks(part: Message) -> list[Message]:
    """The field blocks of a message/delivery-status (or feedback-report) part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    raw = part.get_payload(decode=True)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(payload)
    return [HeaderParser().parsestr(block + "\n") for block in re.split(r"\r?\n\s*\r?\n", text) if block.strip()]


def parse_report(data: bytes, *, verp_template: str = "") -> list[Bounce]:
    """The bounces and complaints one message reports (NotAReport when it is neither)."""
    msg = _message(data)
    if msg.get_content_type() != "multipart/report":
        raise NotAReport(f"not a report ({msg.get_content_type()})")
    kind = str(msg.get_param("report-type", "")).lower()
    rid = report_id(msg, data)
    # Raw values: the standard library's address parser raises on some malformed
    # headers (e.g. To: "), and the VERP reader only needs the text.
    wanted = {h.lower() for h in _VERP_HEADERS}
    verp = recipients_from_headers(verp_template, [str(v) for k, v in msg.raw_items() if k.lower() in wanted])
    if kind == "delivery-status":
        return _dsn(msg, rid, verp)
    if kind == "feedback-report":
        return _arf(msg, rid, verp)
    raise NotAReport(f"report-type {kind or 'missing'} is neither delivery-status nor feedback-report")


def _dsn(msg: Message, rid: str, verp: list[str]) -> list[Bounce]:
    part = next((p for p in msg.walk() if p.get_content_type() == "message/delivery-status"), None)
    if part is None:
        raise NotAReport("delivery-status report without a message/delivery-status part")
    blocks = _field_blocks(part)
    recipients = [b for b in blocks if b.get("Final-Recipient") or b.get("Original-Recipient") or b.get("Action")]
    out = []
    for block in recipients:
        action, status = str(block.get("Action", "")), str(block.get("Status", ""))
        diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
        bounce_kind = classify(action, status, diagnostic)
        if bounce_kind is None:
            continue
        address = (verp[0] if len(verp) == 1 and len(recipients) == 1 else "") or _address(
            block.get("Original-Recipient")
        ) or _address(block.get("Final-Recipient"))  # fmt: skip
        if not address:
            continue
        match = _STATUS.search(status)
        out.append(
            Bounce(rid, address, bounce_kind, match.group(0) if match else "", action.strip().lower(), diagnostic)
        )
    return out


def _arf(msg: Message, rid: str, verp: list[str]) -> list[Bounce]:
    part = next((p for p in msg.walk() if p.get_content_type() == "message/feedback-report"), None)
    if part is None:
        raise NotAReport("feedback report without a message/feedback-report part")
    fields: dict[str, str] = {}
    for block in _field_blocks(part):
        fields |= {k.lower(): str(v) for k, v in block.items()}
    address = _address(fields.get("original-rcpt-to")) or _address(fields.get("removal-recipient"))
    if not address:
        original = next(
            (p for p in msg.walk() if p.get_content_type() in ("message/rfc822", "text/rfc822-headers")), None
        )
        if original is not None:
            headers = _original_headers(original)
            address = _address(headers.get("To")) if headers is not None else ""
    address = verp[0] if len(verp) == 1 else address
    if not address:
        return []
    feedback = fields.get("feedback-type", "abuse").strip().lower()
    return [Bounce(rid, address, BounceKind.COMPLAINT, "", feedback, f"complaint ({feedback})")]


def _original_headers(part: Message) -> Message | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    raw = part.get_payload(decode=True)
    return BytesHeaderParser().parsebytes(raw) if isinstance(raw, bytes) else None


# Import ---------------------------------------------------------------------------


@dataclass
class ImportSummary:
    """What ``digest bounces import`` did."""

    messages: int = 0
    reports: int = 0  # recipients reported as bounced or complaining
    hard: int = 0
    soft: int = 0
    complaints: int = 0
    suppressed: int = 0
    duplicates: int = 0
    unsubscribed: int = 0  # unsubscribe requests sent to [newsletter] unsubscribe_mailto
    ignored: list[str] = field(default_factory=list)  # "name: why" for messages skipped


def _maildir(root: Path) -> bool:
    return (root / "new").is_dir() or (root / "cur").is_dir()


def read_messages(source: Path) -> Iterator[tuple[str, bytes, Path | None]]:
    """(name, bytes, file to mark as read) for each message of a file, an mbox, a
    Maildir (new/ and cur/) or a folder of .eml files."""
    if source.is_dir():
        maildir = _maildir(source)
        folders = [source / "new", source / "cur"] if maildir else [source]
        # Listed up front: messages read from new/ move to cur/ while we go.
        paths = [
            p
            for folder in folders
            if folder.is_dir()
            for p in sorted(folder.iterdir())
            if p.is_file() and not p.name.startswith(".")
        ]
        for path in paths:
            yield str(path), path.read_bytes(), path if maildir and path.parent.name == "new" else None
        return
    if not source.exists():
        raise NotFoundError(f"{source}: no such file or Maildir")
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise SourceError(f"{source}: cannot read ({exc.strerror})") from None
    if data.startswith(b"From "):
        box = mailbox.mbox(str(source), create=False)
        try:
            for i, key in enumerate(box.iterkeys(), start=1):
                yield f"{source} message {i}", box.get_bytes(key), None
        finally:
            box.close()
        return
    yield str(source), data, None


def _mark_read(path: Path) -> None:
    """Move a Maildir message from new/ to cur/ with the Seen flag, as a reader would."""
    target = path.parent.parent / "cur" / (path.name if ":2," in path.name else f"{path.name}:2,S")
    try:
        path.rename(target)
    except OSError:
        log.warning("could not move a read bounce to cur/", extra={"file": str(path)})


def _unsubscribe(store: Store, subscriber_id: int, *, now: datetime) -> None:
    """An unsubscribe request by mail (``digest.deliver.mailto``): the subscriber leaves."""
    try:
        unsubscribe(store, subscriber_id, now=now, source="mailto")
    except NotFoundError:  # erased meanwhile: not on the list, which is what was asked
        return
    log.info("unsubscribed (mailto)", extra={"subscriber_id": subscriber_id})


def import_bounces(store: Store, settings: Settings, source: Path, *, now: datetime) -> ImportSummary:
    """Read every report in ``source`` and apply it (see the module docstring)."""
    summary = ImportSummary()
    template: str = settings.smtp.envelope_from
    soft_limit = soft_bounce_limit(settings)
    soft_days = float(settings.bounces.soft_bounce_days)
    tokens = signed_links(settings).tokens if settings.newsletter.unsubscribe_mailto else None
    for name, data, new_file in read_messages(source):
        summary.messages += 1
        try:
            bounces = parse_report(data, verp_template=template)
        except NotAReport as exc:
            bounces = []
            subscriber_id = requested_subscriber(data, tokens) if tokens is not None else None
            if subscriber_id is None:
                summary.ignored.append(f"{name}: {exc}")
            else:
                _unsubscribe(store, subscriber_id, now=now)
                summary.unsubscribed += 1
        for bounce in bounces:
            summary.reports += 1
            effect = record_bounce(store, bounce, now=now, soft_limit=soft_limit, soft_days=soft_days)
            if effect is Effect.DUPLICATE:
                summary.duplicates += 1
                continue
            summary.hard += bounce.kind is BounceKind.HARD
            summary.soft += bounce.kind is BounceKind.SOFT
            summary.complaints += bounce.kind is BounceKind.COMPLAINT
            summary.suppressed += effect is Effect.SUPPRESSED
            log.info(
                "bounce recorded",
                extra={"to": mask_email(bounce.address), "kind": bounce.kind.value, "status": bounce.status,
                       "effect": effect.value},
            )  # fmt: skip
        if new_file is not None:
            _mark_read(new_file)
    return summary
