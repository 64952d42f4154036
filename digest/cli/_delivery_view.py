"""How `digest send` and `digest status` show deliveries: the progress bar, the closing
summary, test copies, the dry run and the status report (the data comes from
digest.daily.send and digest.daily.status)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from digest.errors import DeliveryError, ValidationError

if TYPE_CHECKING:
    from digest.config import Settings
    from digest.daily.send import DryRunEdition, SendProgress, SendReport, SmtpOutcome
    from digest.daily.status import DeliveryRow, SendSummary, StatusReport
    from digest.models import OutgoingMessage

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


@contextlib.contextmanager
def progress_bar(console: Console) -> Iterator[Callable[[SendProgress], None] | None]:
    """A live bar on a terminal, started at the first progress report; nothing (just
    the summary) otherwise."""
    if not console.is_terminal:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn())  # fmt: skip
    progress = Progress(*columns, console=console, transient=False)
    tasks: list[Any] = []

    def update(state: SendProgress) -> None:
        if not tasks:
            progress.start()
            tasks.append(progress.add_task("sending", total=max(state.total, 1)))
        progress.update(
            tasks[0],
            completed=state.completed,
            description=f"sent {state.sent:,} · failed {state.failed:,} · retrying {state.retrying:,}",
        )

    try:
        yield update
    finally:
        if tasks:
            progress.stop()


def _when(value: datetime | None, settings: Settings) -> str:
    if value is None:
        return ""
    from digest.timing import zone

    local = value.astimezone(zone(settings.schedule.timezone))
    return local.strftime("%Y-%m-%d %H:%M %Z")


def print_proofs(console: Console, results: Sequence[tuple[OutgoingMessage, SmtpOutcome]]) -> None:
    """Each test copy and the server's answer; DeliveryError when any was refused."""
    from digest.daily.send import Verdict

    failed = 0
    for message, outcome in results:
        subject = message.headers.get("Subject", "")
        if outcome.verdict is Verdict.SENT:
            console.print(f"test copy sent to {message.rcpt_to} ({subject}): {outcome.message}")
        else:
            failed += 1
            console.print(f"[red]test copy to {message.rcpt_to} not sent[/red]: {outcome.message}")
    if failed:
        raise DeliveryError(f"{failed} of {len(results)} test copies were not accepted")


def print_dry_run(console: Console, editions: Sequence[DryRunEdition]) -> None:
    """Messages composed per edition; ValidationError when one could not be."""
    for run in editions:
        ed = run.edition
        average = f", {run.size / run.count / 1024:.1f} KB each on average" if run.count else ""
        console.print(f"{ed.language} (edition {ed.id}): {run.count} messages rendered, none sent{average}")
        for error in run.errors[:10]:
            console.print(f"  [red]could not render[/red] {error}")
        if run.errors:
            raise ValidationError(f"{len(run.errors)} messages of edition {ed.id} could not be rendered")


def print_summary(console: Console, settings: Settings, summary: SendSummary, report: SendReport) -> None:
    """The closing summary of `digest send`: this run, then where every row stands."""
    editions, state = summary.editions, summary.counts
    names = ", ".join(f"{ed.language} (edition {ed.id})" for ed in editions)
    console.print(f"[bold]{escape(editions[0].newsletter)} {editions[0].edition_date}[/bold]: {names}")
    console.print(
        f"this run: {report.sent:,} sent, {report.failed:,} failed, {report.retrying:,} to retry"
        + (f", {report.suppressed:,} addresses suppressed" if report.suppressed else "")
        + (f", {report.untried:,} not tried (no attempt charged)" if report.untried else "")
        + (f", {report.refunded:,} given back their attempt" if report.refunded else "")
        + (f", throttled {report.throttled}x by the server" if report.throttled else "")
        + (f", {report.pool_limit} connections accepted" if report.throttled and report.pool_limit else "")
    )
    console.print("edition so far:")
    table = Table(show_header=False, box=None, pad_edge=False)
    for key, label in STATES:
        if state[key] or key in ("sent", "failed", "retry", "sending"):
            note = ""
            if key == "retry" and state[key]:
                note = f"next attempt {_when(summary.next_retry, settings)}"
            table.add_row(label, f"{state[key]:,}", note)
    console.print(table)
    if summary.resent_after_crash:
        console.print(
            f"{summary.resent_after_crash} were in flight when a sender stopped and were sent again; "
            f"at most {summary.possible_duplicates} of them can have reached their reader twice "
            "(one message on the wire per connection of each stopped sender)"
        )
    for row in summary.failures:
        console.print(f"  [red]failed[/red] {escape(row.email)}: {escape(row.last_error)}{_suppressed(row)}")
    left = state["retry"] + state["pending"] + state["sending"] + state["held"]
    if summary.failures or left:
        day = editions[0].edition_date
        console.print(f"`digest status --date {day}` lists every row; `digest send --date {day}` sends what is left.")


def _suppressed(row: DeliveryRow) -> str:
    return " (address suppressed)" if row.subscriber_status == "bounced" else ""


def print_status(console: Console, settings: Settings, report: StatusReport) -> None:
    """`digest status`: per edition, counts by state, then the rows that need a look."""
    if not report.editions:
        console.print(f"no edition for {report.day}")
        return
    day = report.day
    for edition in report.editions:
        ed, info = edition.edition, edition.as_dict()
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
        _list(console, "failed", info["failed"], _failure)
        _list(console, "retrying", info["retrying"], lambda r: f"{r['last_error']}; attempt {r['attempts'] + 1} at "
              f"{_when(datetime.fromisoformat(r['due_at']), settings)}")  # fmt: skip
        _list(console, "waiting", info["pending"], lambda r: f"{r['last_error']}; due "
              f"{_when(datetime.fromisoformat(r['due_at']), settings)}")  # fmt: skip
        if info["retried_until"]:
            until = _when(datetime.fromisoformat(info["retried_until"]), settings)
            temporary = sum(1 for r in info["failed"] if r["fault"] in ("temporary", "ours"))
            if temporary:
                console.print(f"  {temporary} failed for a temporary reason: the next `digest send` tries them "
                              f"again until {until}")  # fmt: skip


def _failure(r: dict[str, Any]) -> str:
    if r["suppressed"]:
        return f"{r['last_error']} (suppressed)"
    return f"{r['last_error']} ({r['fault']})" if r["fault"] else r["last_error"]


def _list(console: Console, title: str, rows: list[dict[str, Any]], detail: Any) -> None:
    if not rows:
        return
    console.print(f"  [bold]{title}[/bold] ({len(rows)}{'+' if len(rows) >= 1000 else ''}):")
    for r in rows[:LISTED]:
        console.print(f"    {escape(r['email'])}: {escape(detail(r))}")
    if len(rows) > LISTED:
        console.print(f"    ... {len(rows) - LISTED} more (`digest status --json` lists them all)")
