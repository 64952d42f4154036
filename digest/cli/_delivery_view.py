"""How `digest send` and `digest status` show deliveries: the progress bar, the closing
summary, the status report (text and JSON)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from digest.cli.context import utcnow

if TYPE_CHECKING:
    from digest.config import Settings
    from digest.deliver.sender import SendReport
    from digest.models import Edition
    from digest.store import Store
    from digest.store.delivery_admin import DeliveryRow

#: States in the order an operator reads them, and their names in summaries.
STATES = (
    ("sent", "sent"),
    ("failed", "failed"),
    ("retry", "retrying"),
    ("sending", "in flight"),
    ("held", "held"),
    ("pending", "pending"),
    ("skipped", "skipped"),
)
LISTED = 20  # rows listed per kind in the text report


class _Bar:
    """A rich progress bar fed from the delivery table (so helper processes count too)."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.total = total
        self.task = progress.add_task("sending", total=max(total, 1)) if progress is not None else None
        self.started = time.monotonic()

    async def follow(self, store: Store, ids: Sequence[int], done: asyncio.Event) -> None:
        """Refresh from the table twice a second until ``done``."""
        from digest.store.deliveries import counts
        from digest.store.delivery_admin import due_count

        if self.progress is None or self.task is None:
            await done.wait()
            return
        start = await asyncio.to_thread(counts, store, ids)
        while not done.is_set():
            state = await asyncio.to_thread(counts, store, ids)
            due = await asyncio.to_thread(due_count, store, now=utcnow(), edition_ids=ids)
            left = due + state["sending"]
            sent, failed = state["sent"] - start["sent"], state["failed"] - start["failed"]
            self.progress.update(
                self.task,
                completed=max(0, self.total - left),
                description=f"sent {sent:,} · failed {failed:,} · retrying {state['retry']:,}",
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), timeout=0.5)
        self.progress.update(self.task, completed=self.total)


@contextlib.contextmanager
def progress_bar(console: Console, *, total: int) -> Iterator[_Bar]:
    """A live bar on a terminal; nothing (just the summary) otherwise."""
    if not console.is_terminal:
        yield _Bar(None, total)
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=False) as progress:
        yield _Bar(progress, total)


def _when(value: datetime | None, settings: Settings) -> str:
    if value is None:
        return ""
    from digest.timing import zone

    local = value.astimezone(zone(settings.schedule.timezone))
    return local.strftime("%Y-%m-%d %H:%M %Z")


def print_summary(
    console: Console, store: Store, settings: Settings, editions: Sequence[Edition], report: SendReport
) -> None:
    """The closing summary of `digest send`: this run, then where every row stands."""
    from digest.store import delivery_admin as admin
    from digest.store.deliveries import counts

    ids = [ed.id for ed in editions if ed.id is not None]
    state = counts(store, ids)
    names = ", ".join(f"{ed.language} (edition {ed.id})" for ed in editions)
    console.print(f"[bold]{escape(editions[0].newsletter)} {editions[0].edition_date}[/bold]: {names}")
    console.print(
        f"this run: {report.sent:,} sent, {report.failed:,} failed, {report.retrying:,} to retry"
        + (f", {report.suppressed:,} addresses suppressed" if report.suppressed else "")
        + (f", throttled {report.throttled}x by the server" if report.throttled else "")
    )
    table = Table(show_header=False, box=None, pad_edge=False)
    for key, label in STATES:
        if state[key] or key in ("sent", "failed", "retry", "sending"):
            note = ""
            if key == "retry" and state[key]:
                note = f"next attempt {_when(admin.next_due(store, ids), settings)}"
            table.add_row(label, f"{state[key]:,}", note)
    console.print(table)
    resent = admin.resent_after_crash(store, ids)
    if resent:
        console.print(f"{resent} were in flight when a sender stopped and were sent again (possible duplicates)")
    failures = admin.rows_in(store, ids, ["failed"], limit=10)
    for row in failures:
        console.print(f"  [red]failed[/red] {escape(row.email)}: {escape(row.last_error)}{_suppressed(row)}")
    left = state["retry"] + state["pending"] + state["sending"] + state["held"]
    if failures or left:
        day = editions[0].edition_date
        console.print(f"`digest status --date {day}` lists every row; `digest send --date {day}` sends what is left.")


def _suppressed(row: DeliveryRow) -> str:
    return " (address suppressed)" if row.subscriber_status == "bounced" else ""


def _row(row: DeliveryRow, settings: Settings) -> dict[str, Any]:
    return {
        "id": row.id,
        "edition_id": row.edition_id,
        "email": row.email,
        "state": row.state,
        "attempts": row.attempts,
        "last_code": row.last_code,
        "last_error": row.last_error,
        "due_at": row.due_at.isoformat(),
        "claimed_by": row.claimed_by or None,
        "lease_until": row.lease_until.isoformat() if row.lease_until else None,
        "updated_at": row.updated_at.isoformat(),
        "suppressed": row.subscriber_status == "bounced",
    }


def status_data(store: Store, settings: Settings, day: date, editions: Sequence[Edition], *, now: datetime) -> Any:
    """Everything `digest status` reports, as plain data."""
    from digest.deliver.claim import local_dead_senders
    from digest.store import delivery_admin as admin
    from digest.store.deliveries import counts

    out: dict[str, Any] = {"date": day.isoformat(), "now": now.isoformat(), "editions": []}
    for ed in editions:
        assert ed.id is not None
        ids = [ed.id]
        in_flight = admin.rows_in(store, ids, ["sending"], limit=1000)
        dead = set(local_dead_senders({r.claimed_by for r in in_flight if r.claimed_by}))
        out["editions"].append(
            {
                "id": ed.id,
                "language": ed.language,
                "status": ed.status.value,
                "counts": counts(store, ids),
                "next_retry": (n.isoformat() if (n := admin.next_due(store, ids)) else None),
                "resent_after_crash": admin.resent_after_crash(store, ids),
                "in_flight": [
                    _row(r, settings)
                    | {"sender_dead": r.claimed_by in dead or (r.lease_until is not None and r.lease_until < now)}
                    for r in in_flight
                ],
                "held": [_row(r, settings) for r in admin.rows_in(store, ids, ["held"], limit=1000)],
                "failed": [_row(r, settings) for r in admin.rows_in(store, ids, ["failed"], limit=1000)],
                "retrying": [_row(r, settings) for r in admin.rows_in(store, ids, ["retry"], limit=1000)],
            }
        )
    return out


def status_json(store: Store, settings: Settings, day: date, editions: Sequence[Edition], *, now: datetime) -> str:
    """`digest status --json`."""
    return json.dumps(status_data(store, settings, day, editions, now=now), indent=2, ensure_ascii=False)


def print_status(
    console: Console, store: Store, settings: Settings, day: date, editions: Sequence[Edition], *, now: datetime
) -> None:
    """`digest status`: per edition, counts by state, then the rows that need a look."""
    if not editions:
        console.print(f"no edition for {day}")
        return
    data = status_data(store, settings, day, editions, now=now)
    for ed, info in zip(editions, data["editions"], strict=True):
        counts = info["counts"]
        total = sum(counts.values())
        console.print(f"[bold]{escape(ed.newsletter)} {day} {ed.language}[/bold] (edition {ed.id}, {ed.status.value}): "
                      f"{total:,} deliveries")  # fmt: skip
        console.print("  " + " · ".join(f"{label} {counts[key]:,}" for key, label in STATES))
        if info["resent_after_crash"]:
            console.print(
                f"  {info['resent_after_crash']} resent after a sender stopped mid-send (possible duplicates)"
            )
        _list(console, "in flight", info["in_flight"], lambda r: f"by {r['claimed_by']}" + (
            " (sender gone: settled by in_flight_policy on the next send)" if r["sender_dead"] else
            f" (lease until {r['lease_until']})"))  # fmt: skip
        _list(console, "held", info["held"], lambda r: r["last_error"] + " — `digest send --release-held`")
        _list(
            console, "failed", info["failed"], lambda r: r["last_error"] + (" (suppressed)" if r["suppressed"] else "")
        )
        _list(console, "retrying", info["retrying"], lambda r: f"{r['last_error']}; attempt {r['attempts'] + 1} at "
              f"{_when(datetime.fromisoformat(r['due_at']), settings)}")  # fmt: skip


def _list(console: Console, title: str, rows: list[dict[str, Any]], detail: Any) -> None:
    if not rows:
        return
    console.print(f"  [bold]{title}[/bold] ({len(rows)}{'+' if len(rows) >= 1000 else ''}):")
    for r in rows[:LISTED]:
        console.print(f"    {escape(r['email'])}: {escape(detail(r))}")
    if len(rows) > LISTED:
        console.print(f"    ... {len(rows) - LISTED} more (`digest status --json` lists them all)")
