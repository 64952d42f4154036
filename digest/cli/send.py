"""`digest send`, `digest status`, `digest worker`, `digest bounces import`."""

from __future__ import annotations

import click

from digest.cli._pending import pending
from digest.cli.context import AppContext, pass_app


@click.command()
@click.option("--date", "date_", help="Edition date YYYY-MM-DD (default: today).")
@click.option("--to", "to", multiple=True, help="Send a test copy to this address only (repeatable).")
@click.option("--dry-run", is_flag=True, help="Render every message, send nothing.")
@pass_app
def send(app: AppContext, date_: str | None, to: tuple[str, ...], dry_run: bool) -> None:
    """Fan out the edition and send it to every confirmed subscriber who has not had it."""
    raise pending("send", 9)


@click.command()
@click.option("--date", "date_", help="Edition date YYYY-MM-DD (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def status(app: AppContext, date_: str | None, as_json: bool) -> None:
    """Delivery counts by state, in-flight rows and failures with their last error."""
    raise pending("status", 9)


@click.command()
@pass_app
def worker(app: AppContext) -> None:
    """Run a sender loop only (for extra processes or machines)."""
    raise pending("worker", 9)


@click.group()
def bounces() -> None:
    """Process bounce reports."""


@bounces.command("import")
@click.argument("source", type=click.Path(exists=False))
@pass_app
def bounces_import(app: AppContext, source: str) -> None:
    """Read DSNs (RFC 3464) from a file or Maildir and suppress bounced addresses."""
    raise pending("bounces import", 9)


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    for command in (send, status, worker, bounces):
        group.add_command(command)
