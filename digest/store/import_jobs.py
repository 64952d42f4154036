"""Background subscriber imports: one row per job, with its progress counters while it
runs and its per-line report once it is done (so the report survives a page reload and
a restart). The rows the job adds are written by :mod:`digest.subscribers.csv_file`; this
module keeps only the job's own row."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from digest.store import Store
from digest.store import tables as t

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


@dataclass(frozen=True)
class Issue:
    """A rejected row or a warning of the report."""

    line: int
    message: str


@dataclass(frozen=True)
class ImportJob:
    """One background import, as the console shows it."""

    id: int
    file_name: str
    actor: str
    role: str
    door: str
    confirmed: bool
    state: str
    rows_total: int
    rows_done: int
    added: int
    unchanged: int
    rejected: int
    error: str
    created_at: datetime
    heartbeat_at: datetime
    finished_at: datetime | None
    rejected_rows: tuple[Issue, ...] = field(default=())
    warnings: tuple[Issue, ...] = field(default=())

    @property
    def finished(self) -> bool:
        """Done or failed: nothing will change any more."""
        return self.state in (DONE, FAILED)

    @property
    def percent(self) -> int:
        """How far the job is, 0-100."""
        return 100 if self.state == DONE else (100 * self.rows_done // self.rows_total if self.rows_total else 0)


def _issues(values: Any) -> tuple[Issue, ...]:
    return tuple(Issue(int(v[0]), str(v[1])) for v in values or ())


def _job(row: Any) -> ImportJob:
    report = json.loads(row.report or "{}")
    return ImportJob(
        id=row.id, file_name=row.file_name, actor=row.actor, role=row.role, door=row.door,
        confirmed=bool(row.confirmed), state=row.state, rows_total=row.rows_total, rows_done=row.rows_done,
        added=row.added, unchanged=row.unchanged, rejected=row.rejected, error=row.error,
        created_at=row.created_at, heartbeat_at=row.heartbeat_at, finished_at=row.finished_at,
        rejected_rows=_issues(report.get("rejected")), warnings=_issues(report.get("warnings")),
    )  # fmt: skip


def create(
    store: Store, *, file_name: str, actor: str, role: str, door: str, confirmed: bool, rows_total: int, now: datetime
) -> int:
    """A queued job for a file of ``rows_total`` data rows; its id."""
    values = {
        "file_name": file_name[:200], "actor": actor[:320], "role": role, "door": door, "confirmed": confirmed,
        "state": QUEUED, "rows_total": rows_total, "created_at": now, "heartbeat_at": now,
    }  # fmt: skip
    with store.engine.begin() as conn:
        new_id = conn.execute(insert(t.import_jobs).values(**values).returning(t.import_jobs.c.id)).scalar_one()
    return int(new_id)


def get(store: Store, job_id: int) -> ImportJob | None:
    """The job with this id, or None."""
    with store.engine.connect() as conn:
        row = conn.execute(select(t.import_jobs).where(t.import_jobs.c.id == job_id)).first()
    return None if row is None else _job(row)


def recent(store: Store, *, limit: int = 10) -> list[ImportJob]:
    """The latest jobs, newest first."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.import_jobs).order_by(t.import_jobs.c.id.desc()).limit(limit)).all()
    return [_job(r) for r in rows]


def progress(
    store: Store, job_id: int, *, rows_done: int, added: int, unchanged: int, rejected: int, now: datetime
) -> None:
    """Record how far a running job is (joins the caller's transaction, if any)."""
    values = {"state": RUNNING, "rows_done": rows_done, "added": added, "unchanged": unchanged,
              "rejected": rejected, "heartbeat_at": now}  # fmt: skip
    with store.engine.begin() as conn:
        conn.execute(update(t.import_jobs).where(t.import_jobs.c.id == job_id).values(**values))


def finish(
    store: Store,
    job_id: int,
    *,
    state: str,
    rejected: list[tuple[int, str]],
    warnings: list[tuple[int, str]],
    error: str = "",
    now: datetime,
) -> None:
    """Mark a job done or failed, with its report."""
    report = json.dumps({"rejected": rejected, "warnings": warnings}, ensure_ascii=False)
    values = {"state": state, "report": report, "error": error[:2000], "heartbeat_at": now, "finished_at": now}
    with store.engine.begin() as conn:
        conn.execute(update(t.import_jobs).where(t.import_jobs.c.id == job_id).values(**values))


def fail_stale(store: Store, *, now: datetime, silent_for: timedelta, reason: str) -> list[int]:
    """Mark failed every unfinished job whose worker gave no sign of life for
    ``silent_for`` (its process stopped or crashed); the ids marked."""
    c = t.import_jobs.c
    with store.engine.begin() as conn:
        ids = [
            int(r.id)
            for r in conn.execute(select(c.id).where(c.state.in_((QUEUED, RUNNING)), c.heartbeat_at < now - silent_for))
        ]
        if ids:
            conn.execute(
                update(t.import_jobs)
                .where(c.id.in_(ids), c.state.in_((QUEUED, RUNNING)))
                .values(state=FAILED, error=reason, finished_at=now)
            )
    return ids
