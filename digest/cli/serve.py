"""`digest serve`: web app, scheduler and senders in one process."""

from __future__ import annotations

import click

from digest.cli._pending import pending
from digest.cli.context import AppContext, pass_app


@click.command()
@click.option("--host", help="Listen address (default [web] host).")
@click.option("--port", type=int, help="Listen port (default [web] port).")
@click.option("--demo-smtp", is_flag=True, help="Send through a built-in local capture SMTP server.")
@pass_app
def serve(app: AppContext, host: str | None, port: int | None, demo_smtp: bool) -> None:
    """Run the web app, the scheduler and sender workers until SIGTERM/SIGINT."""
    raise pending("serve", 7)


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    group.add_command(serve)
