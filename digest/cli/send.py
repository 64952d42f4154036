"""`digest send`, `digest status`, `digest worker`, `digest bounces import`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console

from digest.cli._delivery_view import print_status, print_summary, progress_bar, status_json
from digest.cli.context import AppContext, parse_date, pass_app, utcnow
from digest.errors import DeliveryError, ValidationError
from digest.safety import check_outbound

if TYPE_CHECKING:
    from digest.config import Settings
    from digest.deliver.sender import SendReport
    from digest.models import Edition
    from digest.store import Store

#: Below this many due rows `digest send` does it all in one process (starting helper
#: processes costs about a second each).
HELPER_THRESHOLD = 1000


def _day(settings: Settings, date_: str | None, now: datetime) -> date:
    from digest.timing import edition_date_for

    return parse_date(date_) or edition_date_for(now, settings.schedule.timezone)


def _editions(store: Store, settings: Settings, day: date, now: datetime, *, build: bool) -> list[Edition]:
    """The date's editions; with ``build``, the missing languages are built first."""
    from digest.store.editions import editions_for_date

    existing = editions_for_date(store, settings.newsletter.name, day)
    missing = set(settings.newsletter.languages) - {e.language for e in existing}
    if build and missing:
        from digest.daily import build_editions

        return build_editions(store, settings, edition_date=day, now=now)
    return existing


def _sendable(editions: list[Edition], console: Console) -> list[Edition]:
    from digest.models import EditionStatus

    out = []
    for ed in editions:
        if ed.status is EditionStatus.SKIPPED or not ed.items:
            console.print(f"{ed.language}: no article in the window, nothing to send")
        else:
            out.append(ed)
    return out


@click.command()
@click.option("--date", "date_", help="Edition date YYYY-MM-DD (default: today in the newsletter timezone).")
@click.option(
    "--to", "to", multiple=True, metavar="ADDRESS", help="Send a test copy to this address only (repeatable)."
)
@click.option("--dry-run", is_flag=True, help="Render every message, send nothing.")
@click.option(
    "--retry-failed", is_flag=True, help="Also retry the date's failed deliveries (suppressed addresses excepted)."
)
@click.option(
    "--release-held", is_flag=True, help="Also send the deliveries held after a crash (in_flight_policy = hold)."
)
@pass_app
def send(
    app: AppContext, date_: str | None, to: tuple[str, ...], dry_run: bool, retry_failed: bool, release_held: bool
) -> None:
    """Fan out the date's editions and send them now to every confirmed subscriber who
    has not had them; running it again (or after a crash) sends only what is left."""
    settings, store, now = app.settings, app.store(), utcnow()
    check_outbound(settings, warn=lambda line: click.echo(line, err=True))
    console = Console(highlight=False, soft_wrap=True)
    day = _day(settings, date_, now)
    editions = _sendable(_editions(store, settings, day, now, build=True), console)
    if not editions:
        return
    if to:
        _test_copies(settings, store, editions, to, console, now)
        return
    if dry_run:
        _dry_run(settings, store, editions, console, now)
        return
    from digest.daily import fan_out_now
    from digest.store import delivery_admin as admin

    ids = [ed.id for ed in editions if ed.id is not None]
    if release_held:
        console.print(f"released {admin.release_held(store, ids, now=now)} held deliveries")
    if retry_failed:
        console.print(f"retrying {admin.retry_failed(store, ids, now=now)} failed deliveries")
    fan_out_now(store, editions, now=now)
    due = admin.due_count(store, now=now, edition_ids=ids)
    if due == 0 and not admin.rows_in(store, ids, ["sending"], limit=1):
        console.print("nothing left to send: every confirmed subscriber has had the edition (`digest status`)")
    helpers = _helper_count(settings) if due >= HELPER_THRESHOLD else 0
    report = asyncio.run(_send(app, settings, store, ids, due=due, helpers=helpers, console=console))
    print_summary(console, store, settings, editions, report)
    if report.fatal:
        raise DeliveryError(f"sending stopped: {report.fatal}")
    if report.server_down:
        raise DeliveryError(f"SMTP server unavailable ({report.server_down}); run `digest send` again later")


def _helper_count(settings: Settings) -> int:
    wanted: int = settings.smtp.processes
    if wanted <= 0:
        wanted = min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    return max(0, wanted - 1)


async def _send(
    app: AppContext, settings: Settings, store: Store, ids: list[int], *, due: int, helpers: int, console: Console
) -> SendReport:
    """This process's sender loop, ``helpers`` helper processes, and the progress bar."""
    from digest.deliver.claim import sender_id
    from digest.deliver.sender import run_sender
    from digest.service import EditionMessages

    stop, done = asyncio.Event(), asyncio.Event()
    messages = EditionMessages.from_settings(settings, store, clock=utcnow)
    with _signals(stop), _helpers(app, ids, helpers) as procs, progress_bar(console, total=due) as bar:
        watcher = asyncio.create_task(bar.follow(store, ids, done))
        try:
            report = await run_sender(store, settings, messages, sender_id=sender_id(), stop=stop, edition_ids=ids)
            while any(p.poll() is None for p in procs) and not stop.is_set():
                await asyncio.sleep(0.2)
        finally:
            done.set()
            await watcher
    return report


@contextlib.contextmanager
def _signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGINT/SIGTERM ask the loop to stop: messages on the wire finish, the rest is
    released for the next run."""
    loop = asyncio.get_running_loop()
    handled = (signal.SIGINT, signal.SIGTERM)
    for sig in handled:
        loop.add_signal_handler(sig, stop.set)
    try:
        yield
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)


@contextlib.contextmanager
def _helpers(app: AppContext, ids: Sequence[int], count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Start ``count`` `digest worker --until-idle` processes on the same editions."""
    command = [sys.executable, "-m", "digest"]
    if app.config_path:
        command += ["--config", app.config_path]
    command += ["worker", "--until-idle", *[f"--edition={i}" for i in ids]]
    with contextlib.ExitStack() as stack:
        logs = [stack.enter_context(tempfile.TemporaryFile()) for _ in range(count)]
        procs = [subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=f) for f in logs]
        try:
            yield procs
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.terminate()  # they finish their messages in flight and release the rest
            for proc, log in zip(procs, logs, strict=True):
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=60)
                if proc.returncode not in (0, None, -signal.SIGTERM):
                    log.seek(0)
                    tail = " ".join(log.read().decode("utf-8", "replace").strip().splitlines()[-1:])
                    click.echo(f"warning: helper sender {proc.pid} exited with {proc.returncode}: {tail}", err=True)


def _test_copies(
    settings: Settings, store: Store, editions: list[Edition], to: Sequence[str], console: Console, now: datetime
) -> None:
    """A test copy of each edition to each address given; no delivery row touched."""
    from digest.deliver.outcomes import Verdict
    from digest.deliver.proofs import send_proofs

    results = asyncio.run(send_proofs(settings, editions, to, now=now))
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


def _dry_run(settings: Settings, store: Store, editions: list[Edition], console: Console, now: datetime) -> None:
    """Compose every message a send would make now; send and write nothing."""
    from digest.compose import EditionComposer
    from digest.store.delivery_admin import recipients
    from digest.subscriptions import signed_links

    composer = EditionComposer.from_settings(settings, signed_links(settings))
    for ed in editions:
        assert ed.id is not None
        count = size = 0
        errors: list[str] = []
        for subscriber in recipients(store, ed.id, language=ed.language):
            try:
                size += len(composer.compose(ed, subscriber, delivery_id=None, now=now).data)
                count += 1
            except Exception as exc:  # report every failure, keep rendering the rest
                errors.append(f"{subscriber.email}: {exc}")
        average = f", {size / count / 1024:.1f} KB each on average" if count else ""
        console.print(f"{ed.language} (edition {ed.id}): {count} messages rendered, none sent{average}")
        for error in errors[:10]:
            console.print(f"  [red]could not render[/red] {error}")
        if errors:
            raise ValidationError(f"{len(errors)} messages of edition {ed.id} could not be rendered")


@click.command()
@click.option("--date", "date_", help="Edition date YYYY-MM-DD (default: today in the newsletter timezone).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def status(app: AppContext, date_: str | None, as_json: bool) -> None:
    """Delivery counts by state, in-flight rows and failures with their last error."""
    settings, store, now = app.settings, app.store(), utcnow()
    day = _day(settings, date_, now)
    editions = _editions(store, settings, day, now, build=False)
    if as_json:
        click.echo(status_json(store, settings, day, editions, now=now))
    else:
        print_status(Console(highlight=False, soft_wrap=True), store, settings, day, editions, now=now)


@click.command()
@click.option("--until-idle", is_flag=True, help="Exit once nothing is due instead of polling until SIGTERM.")
@click.option("--edition", "edition_ids", type=int, multiple=True, hidden=True, help="Only these editions.")
@pass_app
def worker(app: AppContext, until_idle: bool, edition_ids: tuple[int, ...]) -> None:
    """Run a sender loop only (for extra processes or machines) until SIGTERM/SIGINT."""
    from digest import logs, service

    settings, store = app.settings, app.store()
    handler = logs.setup(settings.log.level, settings.log.format)
    try:
        if until_idle:
            asyncio.run(_until_idle(settings, store, list(edition_ids) or None))
        else:
            asyncio.run(service.run_worker(settings, store))
    finally:
        logs.teardown(handler)


async def _until_idle(settings: Settings, store: Store, edition_ids: list[int] | None) -> None:
    from digest.deliver.claim import sender_id
    from digest.deliver.sender import run_sender
    from digest.service import EditionMessages

    stop = asyncio.Event()
    messages = EditionMessages.from_settings(settings, store, clock=utcnow)
    with _signals(stop):
        report = await run_sender(
            store, settings, messages, sender_id=sender_id(), stop=stop, edition_ids=edition_ids, now=utcnow
        )
    if report.fatal:
        raise DeliveryError(f"sending stopped: {report.fatal}")


@click.group()
def bounces() -> None:
    """Process bounce reports."""


@bounces.command("import")
@click.argument("source", type=click.Path(exists=False, path_type=Path))
@pass_app
def bounces_import(app: AppContext, source: Path) -> None:
    """Read DSNs (RFC 3464) and complaints (ARF) from a file, an mbox or a Maildir, and
    suppress bounced addresses (hard bounces at once, soft ones at [bounces] soft_limit)."""
    from digest.deliver.bounces import import_bounces

    summary = import_bounces(app.store(), app.settings, source, now=utcnow())
    click.echo(
        f"{summary.messages} messages read: {summary.hard} hard bounces, {summary.soft} soft bounces, "
        f"{summary.complaints} complaints; {summary.suppressed} addresses suppressed"
        + (f"; {summary.duplicates} already imported" if summary.duplicates else "")
        + (f"; {summary.unsubscribed} unsubscribed by mail" if summary.unsubscribed else "")
    )
    for line in summary.ignored[:10]:
        click.echo(f"  skipped {line}")
    if len(summary.ignored) > 10:
        click.echo(f"  ... and {len(summary.ignored) - 10} more messages that are not reports")


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    for command in (send, status, worker, bounces):
        group.add_command(command)
