"""`digest articles import|list`: put articles in the store and look at them."""

from __future__ import annotations

import click

from digest.cli._pending import pending
from digest.cli.context import AppContext, pass_app


@click.group()
def articles() -> None:
    """Import and list articles."""


@articles.command("import")
@click.argument("sources", nargs=-1, required=True)
@click.option("--category", help="Category for every imported article (overrides the source).")
@click.option("--language", help="Language for every imported article (overrides detection).")
@pass_app
def import_(app: AppContext, sources: tuple[str, ...], category: str | None, language: str | None) -> None:
    """Import articles from feeds, JSON Lines files or article pages (paths or URLs)."""
    raise pending("articles import", 8)


@articles.command("list")
@click.option("--date", "date_", help="Only articles published on this date (YYYY-MM-DD, newsletter timezone).")
@click.option("--json", "as_json", is_flag=True, help="Print every stored field as JSON.")
@pass_app
def list_(app: AppContext, date_: str | None, as_json: bool) -> None:
    """List the articles in the store."""
    raise pending("articles list", 8)


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    group.add_command(articles)
