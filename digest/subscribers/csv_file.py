"""Subscriber lists as CSV: import with a report per rejected row, export that imports back.

Format: UTF-8 (a BOM is accepted), comma-separated (semicolon-separated when the
header has no comma, as spreadsheets in French locales write it), a header row naming
the columns in any order. ``email`` is required; ``name, language, topics, timezone,
send_at`` are optional; the export adds ``status``, the dates and the consent record so
that a list moves between installations without losing who unsubscribed or when
consent was given. Topics are ``;``-separated inside their cell.

Import rules: every row is validated; each rejected row is reported with its line
number and reason, and the valid rows are written in one transaction. A row whose
address is already on the list is left alone (re-importing a file changes nothing).
A suppressed address is never added back. A file row marked ``confirmed`` needs the
explicit ``--confirmed`` flag, like any row an admin wants confirmed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TextIO

from digest.config import Settings
from digest.errors import SourceError, ValidationError
from digest.models import Consent, Subscriber, SubscriberStatus
from digest.store import Store
from digest.store import subscribers as db
from digest.subscribers.membership import check_profile, known_topics, normalise_address, profile_values

IMPORT_COLUMNS = ("email", "name", "language", "topics", "timezone", "send_at")
DATE_COLUMNS = ("created_at", "confirmed_at", "unsubscribed_at", "consent_at")
CONSENT_COLUMNS = ("consent_source", "consent_ip", "consent_user_agent", "consent_text_version")
EXPORT_COLUMNS = (*IMPORT_COLUMNS, "status", *DATE_COLUMNS, *CONSENT_COLUMNS)

# A cell starting with one of these is a formula to a spreadsheet (CSV injection);
# the export prefixes it with an apostrophe and the import removes it again.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_SUPPRESSION_REASON = {SubscriberStatus.UNSUBSCRIBED: "unsubscribed", SubscriberStatus.BOUNCED: "hard_bounce"}


@dataclass(frozen=True)
class RowIssue:
    """A rejected row or a warning, at a line of the file."""

    line: int
    message: str


@dataclass
class ImportReport:
    """What an import did."""

    added: int = 0
    unchanged: int = 0  # already on the list: left as they are
    new: list[Subscriber] = field(default_factory=list)  # the added subscribers, with their ids
    rejected: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no row was rejected."""
        return not self.rejected


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SourceError(f"{name}:{line}: not UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8") from None


def read_rows(text: str, name: str) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line, {column: value})`` for each non-blank row of a CSV text.

    SourceError for a missing or unknown header column; a row with more cells than the
    header gets the key ``None`` listing the extras (reported by the import).
    """
    first = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise SourceError(f"{name}: empty file; expected a header: {','.join(IMPORT_COLUMNS)}") from None
    except csv.Error as exc:
        raise SourceError(f"{name}:1: {exc}") from None
    columns = [h.strip().lower() for h in header]
    unknown = [c for c in columns if c not in EXPORT_COLUMNS]
    if unknown:
        raise SourceError(
            f"{name}:1: unknown column {unknown[0]!r}; expected some of {', '.join(EXPORT_COLUMNS)} (email required)"
        )
    if "email" not in columns:
        raise SourceError(f"{name}:1: no email column; expected a header: {','.join(IMPORT_COLUMNS)}")
    if len(set(columns)) != len(columns):
        raise SourceError(f"{name}:1: a column is named twice")
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise SourceError(f"{name}:{line}: {exc}") from None
        if any(c.strip() for c in cells):
            row = {col: _unescape(cells[i]) if i < len(cells) else "" for i, col in enumerate(columns)}
            if len(cells) > len(columns):
                row["__extra__"] = str(len(cells) - len(columns))
            yield line, row
        line = reader.line_num + 1


def _unescape(cell: str) -> str:
    if cell.startswith("'") and cell[1:2] in _FORMULA_START and cell[1:2]:
        return cell[1:]
    return cell


def _escape(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _date(row: Mapping[str, str], column: str) -> datetime | None:
    text = row.get(column, "").strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{column}: expected an ISO 8601 date and time, got {text!r}") from None
    if value.tzinfo is None:
        raise ValidationError(f"{column}: {text!r} has no UTC offset")
    return value


def _status(row: Mapping[str, str], confirmed: bool) -> SubscriberStatus:
    text = row.get("status", "").strip().lower()
    if not text:
        return SubscriberStatus.CONFIRMED if confirmed else SubscriberStatus.PENDING
    try:
        status = SubscriberStatus(text)
    except ValueError:
        raise ValidationError(f"status: unknown status {text!r}") from None
    if status is SubscriberStatus.CONFIRMED and not confirmed:
        raise ValidationError("status: confirmed rows need --confirmed (an explicit statement that consent was given)")
    if status is SubscriberStatus.FORGOTTEN:
        raise ValidationError("status: forgotten subscribers have no data to import")
    return status


def parse_row(
    row: Mapping[str, str], settings: Settings, known: Sequence[str], *, confirmed: bool, now: datetime
) -> tuple[Subscriber, list[str]]:
    """The subscriber a CSV row describes, and its warnings (ValidationError naming the
    field when invalid). Missing dates become ``now``."""
    if "__extra__" in row:
        raise ValidationError(f"{row['__extra__']} more cells than the header has columns")
    address = normalise_address(row.get("email", ""))
    profile, warnings = check_profile(
        settings,
        known,
        name=row.get("name"),
        language=row.get("language"),
        topics=row.get("topics"),
        timezone=row.get("timezone"),
        send_at=row.get("send_at"),
    )
    status = _status(row, confirmed)
    consent_at = _date(row, "consent_at")
    consent = Consent(
        at=consent_at or now,
        source=(row.get("consent_source", "").strip() or "import") if consent_at else "import",
        ip=row.get("consent_ip", "").strip(),
        user_agent=row.get("consent_user_agent", "").strip(),
        text_version=row.get("consent_text_version", "").strip(),
    )
    confirmed_at = _date(row, "confirmed_at")
    unsubscribed_at = _date(row, "unsubscribed_at")
    sub = Subscriber(
        email=address,
        **profile_values(profile),
        status=status,
        created_at=_date(row, "created_at") or now,
        confirmed_at=confirmed_at or (now if status is SubscriberStatus.CONFIRMED else None),
        unsubscribed_at=unsubscribed_at or (now if status in _SUPPRESSION_REASON else None),
        consent=consent,
    )
    return sub, warnings


def _profile_of(s: Subscriber) -> tuple[object, ...]:
    return (s.name, s.language, s.topics, s.timezone, s.send_at)


class Importer:
    """One import, in as many steps as the caller wants: :meth:`check` validates rows
    (duplicates are found across every step), :meth:`write` adds the valid new ones in
    the caller's transaction, :attr:`report` says what happened so far. A file imported
    in one go is one step (:func:`import_rows`); the console's background job takes a
    few thousand rows per step, so that its progress shows and the write lock is held
    only briefly at a time."""

    def __init__(self, settings: Settings, known: Sequence[str], *, confirmed: bool, now: datetime) -> None:
        self.settings, self.known, self.confirmed, self.now = settings, known, confirmed, now
        self.report = ImportReport()
        self._first_line: dict[str, int] = {}

    def check(self, rows: Iterable[tuple[int, Mapping[str, str]]]) -> list[tuple[int, Subscriber]]:
        """The valid rows of ``rows`` as subscribers to add; the others are reported."""
        report, first_line = self.report, self._first_line
        candidates: list[tuple[int, Subscriber]] = []
        for line, row in rows:
            try:
                sub, warnings = parse_row(row, self.settings, self.known, confirmed=self.confirmed, now=self.now)
            except ValidationError as exc:
                report.rejected.append(RowIssue(line, str(exc)))
                continue
            if sub.email in first_line:
                report.rejected.append(RowIssue(line, f"email: {sub.email} duplicates line {first_line[sub.email]}"))
                continue
            first_line[sub.email] = line
            report.warnings.extend(RowIssue(line, w) for w in warnings)
            candidates.append((line, sub))
        return candidates

    def write(self, tx: db.Tx, candidates: Sequence[tuple[int, Subscriber]]) -> None:
        """Add the candidates not yet on the list and not suppressed, in ``tx``."""
        report, now = self.report, self.now
        emails = [s.email for _, s in candidates]
        existing = db.by_emails(tx, emails)
        suppressed = db.suppressions_for(tx, emails)
        adding: list[Subscriber] = []
        for line, sub in candidates:
            old = existing.get(sub.email)
            if old is not None:
                report.unchanged += 1
                if _profile_of(old) != _profile_of(sub):
                    report.warnings.append(RowIssue(line, f"{sub.email} is already on the list; not changed"))
                continue
            entry = suppressed.get(sub.email)
            if entry is not None:
                report.rejected.append(
                    RowIssue(line, f"email: {sub.email} is suppressed ({entry.reason}): not added back")
                )
                continue
            adding.append(sub)
        # One statement for the lot: a row at a time costs more than the checks above.
        suppressing: list[tuple[str, str, datetime, str]] = []
        for sub, new_id in zip(adding, db.insert_subscribers(tx, adding, now=now), strict=True):
            report.new.append(replace(sub, id=new_id))
            reason = _SUPPRESSION_REASON.get(sub.status)
            if reason is not None:
                suppressing.append((sub.email, reason, sub.unsubscribed_at or now, "import"))
            report.added += 1
        db.suppress_many(tx, suppressing)

    def finish(self) -> ImportReport:
        """The report, its issues in line order."""
        self.report.rejected.sort(key=lambda issue: issue.line)
        self.report.warnings.sort(key=lambda issue: issue.line)
        return self.report


def import_rows(
    store: Store,
    settings: Settings,
    rows: Iterable[tuple[int, Mapping[str, str]]],
    *,
    confirmed: bool = False,
    now: datetime,
) -> ImportReport:
    """Validate every row, then add the valid new ones in one transaction."""
    importer = Importer(settings, known_topics(settings, store), confirmed=confirmed, now=now)
    candidates = importer.check(rows)
    with db.transaction(store) as tx:
        importer.write(tx, candidates)
    return importer.finish()


def decode(data: bytes, name: str) -> str:
    """The text of CSV bytes (SourceError unless UTF-8; a BOM is dropped)."""
    return _decode(data, name)


def import_text(
    store: Store, settings: Settings, text: str, *, name: str, confirmed: bool = False, now: datetime
) -> ImportReport:
    """Import CSV text (SourceError for a malformed header)."""
    return import_rows(store, settings, list(read_rows(text, name)), confirmed=confirmed, now=now)


def import_bytes(
    store: Store, settings: Settings, data: bytes, *, name: str, confirmed: bool = False, now: datetime
) -> ImportReport:
    """Import CSV bytes, which must be UTF-8."""
    return import_text(store, settings, _decode(data, name), name=name, confirmed=confirmed, now=now)


def read_file(path: Path) -> bytes:
    """The bytes of a CSV file to import (SourceError when it cannot be read)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror}") from None


def import_file(
    store: Store, settings: Settings, path: Path, *, confirmed: bool = False, now: datetime
) -> ImportReport:
    """Import a CSV file (SourceError when it cannot be read)."""
    return import_bytes(store, settings, read_file(path), name=str(path), confirmed=confirmed, now=now)


def subscriber_cells(sub: Subscriber) -> list[str]:
    """The export row of ``sub``, in :data:`EXPORT_COLUMNS` order, formula-escaped."""
    consent = sub.consent

    def iso(value: datetime | None) -> str:
        return value.isoformat() if value is not None else ""

    cells = [
        sub.email,
        sub.name,
        sub.language,
        ";".join(sub.topics),
        sub.timezone,
        sub.send_at.strftime("%H:%M") if sub.send_at else "",
        sub.status.value,
        iso(sub.created_at),
        iso(sub.confirmed_at),
        iso(sub.unsubscribed_at),
        iso(consent.at) if consent else "",
        consent.source if consent else "",
        consent.ip if consent else "",
        consent.user_agent if consent else "",
        consent.text_version if consent else "",
    ]
    return [_escape(c) for c in cells]


def write_csv(
    subscribers: Iterable[Subscriber], out: TextIO, *, shown: Callable[[Subscriber], Subscriber] = lambda sub: sub
) -> int:
    """Write ``subscribers`` as CSV with the export's header, each as ``shown`` lets the
    reader of the file see them (a viewer's: without personal data); the row count."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    n = 0
    for sub in subscribers:
        writer.writerow(subscriber_cells(shown(sub)))
        n += 1
    return n


def export_csv(store: Store, out: TextIO, *, shown: Callable[[Subscriber], Subscriber] = lambda sub: sub) -> int:
    """Write every subscriber but the forgotten ones as CSV, each as ``shown`` lets the
    reader of the file see them; returns the row count."""
    live = (s for s in db.iter_all(store) if s.status is not SubscriberStatus.FORGOTTEN)
    return write_csv(live, out, shown=shown)
