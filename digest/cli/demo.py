"""`digest demo`: the whole product on embedded defaults, in one folder."""

from __future__ import annotations

import click

from digest.cli.context import AppContext, pass_app


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    default="digest-demo",
    show_default=True,
    help="Folder for the demo's database, config and captured mail.",
)
@pass_app
def demo(app: AppContext, directory: str) -> None:
    """Import sample articles, build today's edition and mail it to sample subscribers
    through a local capture SMTP server."""
    click.echo(
        f"digest demo will, in {directory}/: create a SQLite database and a config, import sample French and\n"
        "English articles (JSON Lines, an RSS feed and an HTML page), add sample subscribers, build today's\n"
        "edition, and send it through a local capture SMTP server, saving every message as .eml.\n"
        "It is not built yet (issue #5)."
    )


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    group.add_command(demo)
