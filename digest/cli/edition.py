"""`digest edition build`."""

from __future__ import annotations

import click

from digest.cli._pending import pending
from digest.cli.context import AppContext, pass_app


@click.group()
def edition() -> None:
    """Build and inspect editions."""


@edition.command("build")
@click.option("--date", "date_", help="Edition date YYYY-MM-DD (default: today in the newsletter timezone).")
@click.option("--language", help="Build only this language (default: every [newsletter] languages).")
@click.option("--rebuild", is_flag=True, help="Replace an existing edition, if no delivery has started.")
@pass_app
def build(app: AppContext, date_: str | None, language: str | None, rebuild: bool) -> None:
    """Pick and summarise the day's articles into an edition, and print its outline."""
    raise pending("edition build", 3)


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    group.add_command(edition)
