"""Subscriber imports too large to answer in one request: the console runs them as a
job in the background (:mod:`digest.daily.imports`), and this module is the job's part
of the action layer.

A job is the ``subscriber.import`` action, audited once, with its counts, when it ends
(done, failed, or interrupted by a restart). Unlike a small import, its rows are
written a few thousand at a time, each step in its own short transaction with the
job's progress: SQLite has one writer, and one transaction over 100,000 rows would
hold the write lock for the whole import, blocking every other change the console and
the senders make meanwhile. Rows already added stay if a job fails; importing the same
file again adds only the rest (an address already on the list is left alone).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import PurePath

from digest.actions.core import Actor, Door, Operations
from digest.actions.subscribers import IMPORT
from digest.admins import Role
from digest.store import import_jobs as jobs
from digest.store import subscribers as db
from digest.store.import_jobs import ImportJob
from digest.subscribers import csv_file
from digest.subscribers.csv_file import Importer, ImportReport
from digest.subscribers.membership import known_topics

__all__ = ["ImportJob", "Parsed", "fail_interrupted", "get", "parse", "recent", "run", "start"]

#: Rows validated and written per step (one short transaction each).
STEP_ROWS = 2000
#: A running job whose worker said nothing for this long is taken as dead.
SILENT_FOR = timedelta(minutes=2)


@dataclass(frozen=True)
class Parsed:
    """An uploaded file read and its header checked: its data rows, by line."""

    name: str
    rows: list[tuple[int, Mapping[str, str]]]


def parse(data: bytes, *, name: str) -> Parsed:
    """Decode (UTF-8) and read a CSV file's rows; SourceError naming the line for bad
    bytes, a missing ``email`` column or a malformed row."""
    base = PurePath(name).name[:200] or "upload.csv"
    text = csv_file.decode(data, base)
    return Parsed(base, list(csv_file.read_rows(text, base)))


def start(ops: Operations, actor: Actor, parsed: Parsed, *, confirmed: bool) -> int:
    """Check ``actor`` may import (Forbidden before anything is written), then queue a
    job for ``parsed``; its id."""
    ops.allow(actor, IMPORT)
    return jobs.create(
        ops.store, file_name=parsed.name, actor=actor.name, role=actor.role.value, door=actor.door.value,
        confirmed=confirmed, rows_total=len(parsed.rows), now=ops.clock(),
    )  # fmt: skip


def _issues(report: ImportReport) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    return [(i.line, i.message) for i in report.rejected], [(i.line, i.message) for i in report.warnings]


def _end(ops: Operations, actor: Actor, job_id: int, name: str, report: ImportReport, *, error: str = "") -> None:
    """The job's one audit row, with its counts, and its final state, in one transaction."""
    rejected, warnings = _issues(report)
    with ops.act(actor, IMPORT, target=name) as act:
        act.details(
            added=report.added, unchanged=report.unchanged, rejected=len(report.rejected), job=job_id,
            **({"failed": error} if error else {}),
        )  # fmt: skip
        jobs.finish(act.store, job_id, state=jobs.FAILED if error else jobs.DONE, rejected=rejected,
                    warnings=warnings, error=error, now=act.now)  # fmt: skip


def run(
    ops: Operations,
    actor: Actor,
    job_id: int,
    parsed: Parsed,
    *,
    confirmed: bool,
    stopping: Callable[[], bool] = lambda: False,
    step: int = STEP_ROWS,
) -> ImportReport:
    """Import ``parsed`` step by step, recording progress on job ``job_id``; the report.

    ``stopping`` is asked between steps: when it says yes (the service is shutting
    down), the job ends as failed, saying so. Any other error fails the job too, with
    its reason; either way the rows written so far and the audit row stay."""
    importer = Importer(ops.settings, known_topics(ops.settings, ops.store), confirmed=confirmed, now=ops.clock())
    report = importer.report
    done = 0
    try:
        for first in range(0, len(parsed.rows), step):
            if stopping():
                raise InterruptedError("the service stopped during the import; import the file again for the rest")
            chunk = parsed.rows[first : first + step]
            candidates = importer.check(chunk)
            with db.transaction(ops.store) as tx:
                importer.write(tx, candidates)
            done += len(chunk)
            jobs.progress(
                ops.store, job_id, rows_done=done, added=report.added, unchanged=report.unchanged,
                rejected=len(report.rejected), now=ops.clock(),
            )  # fmt: skip
    except Exception as exc:
        _end(ops, actor, job_id, parsed.name, importer.finish(), error=str(exc) or type(exc).__name__)
        return report
    _end(ops, actor, job_id, parsed.name, importer.finish())
    return report


def get(ops: Operations, job_id: int) -> ImportJob | None:
    """The job with this id, or None."""
    return jobs.get(ops.store, job_id)


def recent(ops: Operations, *, limit: int = 10) -> list[ImportJob]:
    """The latest jobs, newest first."""
    return jobs.recent(ops.store, limit=limit)


def fail_interrupted(ops: Operations, *, silent_for: timedelta = SILENT_FOR) -> list[int]:
    """Mark failed (and audit, for whoever started them) the jobs whose process stopped
    without finishing them: at the service's start, and whenever a job page is read."""
    reason = "interrupted: the service stopped during the import; import the file again for the rest"
    ids = jobs.fail_stale(ops.store, now=ops.clock(), silent_for=silent_for, reason=reason)
    for job_id in ids:
        job = jobs.get(ops.store, job_id)
        if job is None:  # pragma: no cover - deleted meanwhile
            continue
        actor = Actor(job.actor, Role(job.role), Door(job.door))
        with ops.act(actor, IMPORT, target=job.file_name) as act:
            act.details(added=job.added, unchanged=job.unchanged, rejected=job.rejected, job=job_id, failed=reason)
    return ids
