"""`digest preview`: the edition exactly as a subscriber gets it."""

from __future__ import annotations

import click

from digest.cli._pending import pending
from digest.cli.context import AppContext, pass_app


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
    group.add_command(preview)
