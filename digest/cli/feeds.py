"""`digest feeds add|list|poll`: registered RSS/Atom feeds."""

from __future__ import annotations

import click

from digest.cli._pending import pending
from digest.cli.context import AppContext, pass_app


@click.group()
def feeds() -> None:
    """Register and poll RSS/Atom feeds."""


@feeds.command("add")
@click.argument("url")
@click.option("--category", help="Category given to the feed's articles.")
@click.option("--language", help="Language of the feed's articles.")
@pass_app
def add(app: AppContext, url: str, category: str | None, language: str | None) -> None:
    """Register a feed to poll."""
    raise pending("feeds add", 8)


@feeds.command("list")
@pass_app
def list_(app: AppContext) -> None:
    """List registered feeds and their last poll."""
    raise pending("feeds list", 8)


@feeds.command("poll")
@pass_app
def poll(app: AppContext) -> None:
    """Fetch every registered feed now (conditional GET)."""
    raise pending("feeds poll", 8)


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    group.add_command(feeds)
