"""`digest edition build` and `digest preview`."""

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


@click.command()
@click.option("--date", "date_", help="Edition date YYYY-MM-DD (default: today).")
@click.option("--language", help="Edition language.")
@click.option("--for", "for_email", help="Render as this subscriber would get it.")
@click.option("--out", type=click.Path(file_okay=False), default="preview", show_default=True, help="Output folder.")
@click.option("--screenshot", is_flag=True, help="Also PNG screenshots at 600 and 375 px (headless Chromium).")
@pass_app
def preview(
    app: AppContext, date_: str | None, language: str | None, for_email: str | None, out: str, screenshot: bool
) -> None:
    """Write the edition's HTML, text and .eml as a subscriber would get it."""
    raise pending("preview", 4)


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    group.add_command(edition)
    group.add_command(preview)
