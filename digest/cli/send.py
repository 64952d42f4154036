"""`digest send`, `digest status`, `digest worker`, `digest bounces import`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from digest.cli.context import AppContext, parse_date, pass_app, utcnow
from digest.errors import DeliveryError


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
@click.option("--now", "force_now", is_flag=True, help="Also send deliveries still in their retry backoff (warns).")
@pass_app
def send(
    app: AppContext,
    date_: str | None,
    to: tuple[str, ...],
    dry_run: bool,
    retry_failed: bool,
    release_held: bool,
    force_now: bool,
) -> None:
    """Fan out the date's editions and send them now to every confirmed subscriber who
    has not had them; running it again (or after a crash) sends only what is left.
    Exit status: 0 every due reader delivered, 1 stopped by a fault of ours (the
    relay's reply named), 3 readers still waiting for a temporary reason."""
    from rich.console import Console

    from digest.actions.deliveries import send as run_send
    from digest.cli._delivery_view import print_dry_run, print_proofs, print_summary, progress_bar
    from digest.cli.context import cli_actor
    from digest.config.public_links import check_outbound
    from digest.daily.send import SendOptions, StillWaiting

    check_outbound(app.settings, warn=lambda line: click.echo(line, err=True))
    console = Console(highlight=False, soft_wrap=True)
    options = SendOptions(
        day=parse_date(date_),
        to=to,
        dry_run=dry_run,
        retry_failed=retry_failed,
        release_held=release_held,
        force_now=force_now,
        config_path=app.config_path,
    )
    with progress_bar(console) as progress:
        outcome = run_send(
            app.operations(),
            cli_actor(),
            options,
            say=console.print,
            warn=lambda line: click.echo(line, err=True),
            progress=progress,
        )
    if outcome.proofs is not None:
        print_proofs(console, outcome.proofs)
    elif outcome.dry_run is not None:
        print_dry_run(console, outcome.dry_run)
    elif outcome.report is not None and outcome.summary is not None:
        print_summary(console, app.settings, outcome.summary, outcome.report)
        if outcome.exit_code == 1:
            raise DeliveryError(outcome.verdict)
        if outcome.exit_code == 3:
            raise StillWaiting(outcome.verdict)


@click.command()
@click.option("--date", "date_", help="Edition date YYYY-MM-DD (default: today in the newsletter timezone).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def status(app: AppContext, date_: str | None, as_json: bool) -> None:
    """Delivery counts by state, in-flight rows and failures with their last error."""
    from rich.console import Console

    from digest.cli._delivery_view import print_status
    from digest.daily.status import delivery_status

    report = delivery_status(app.store(), app.settings, parse_date(date_), now=utcnow())
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        print_status(Console(highlight=False, soft_wrap=True), app.settings, report)


@click.command()
@click.option("--until-idle", is_flag=True, help="Exit once nothing is due instead of polling until SIGTERM.")
@click.option("--edition", "edition_ids", type=int, multiple=True, hidden=True, help="Only these editions.")
@click.option("--parent-pid", type=int, hidden=True, help="Stop when this process (a `digest send`) dies.")
@pass_app
def worker(app: AppContext, until_idle: bool, edition_ids: tuple[int, ...], parent_pid: int | None) -> None:
    """Run a sender loop only (for extra processes or machines) until SIGTERM/SIGINT."""
    import asyncio

    from digest import logs
    from digest.daily.send import until_idle as run_until_idle

    settings, store = app.settings, app.store()
    handler = logs.setup(settings.log.level, settings.log.format)
    try:
        if until_idle:
            report = asyncio.run(
                run_until_idle(settings, store, list(edition_ids) or None, clock=utcnow, parent_pid=parent_pid)
            )
            # A helper says why it stopped (its parent shows the line): ours, or the server down.
            if report.fatal:
                raise DeliveryError(f"sending stopped: {report.fatal}")
            if report.stopped:
                raise DeliveryError(f"sending stopped: {report.stopped}")
            if report.server_down:
                raise DeliveryError(f"SMTP server unavailable ({report.server_down})")
        else:
            # Here, not above: the service brings the web app and the scheduler, which
            # a helper (--until-idle) never uses.
            from digest.runtime import service

            asyncio.run(service.run_worker(settings, store))
    finally:
        logs.teardown(handler)


@click.group()
def bounces() -> None:
    """Process bounce reports."""


@bounces.command("import")
@click.argument("source", type=click.Path(exists=False, path_type=Path))
@pass_app
def bounces_import(app: AppContext, source: Path) -> None:
    """Read DSNs (RFC 3464) and complaints (ARF) from a file, an mbox or a Maildir, and
    suppress bounced addresses (hard bounces at once, soft ones at [bounces] soft_limit)."""
    from digest.actions.deliveries import import_bounce_reports
    from digest.cli.context import cli_actor

    summary = import_bounce_reports(app.operations(), cli_actor(), source)
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
