"""`digest subscribers ...`: manage the list."""

from __future__ import annotations

import click

from digest.cli._pending import pending
from digest.cli.context import AppContext, pass_app


@click.group()
def subscribers() -> None:
    """Add, import, export, remove and list subscribers."""


@subscribers.command("add")
@click.argument("email")
@click.option("--name", default="", help="Name used in the greeting.")
@click.option("--language", help="Edition language (fr, en).")
@click.option("--topics", help='Categories to receive, ";"-separated (default: all).')
@click.option("--timezone", "tz", help="IANA timezone, e.g. Europe/Paris.")
@click.option("--send-at", help="Local send time HH:MM (default: the newsletter's).")
@click.option("--confirmed", is_flag=True, help="Mark as confirmed (consent obtained elsewhere).")
@pass_app
def add(
    app: AppContext,
    email: str,
    name: str,
    language: str | None,
    topics: str | None,
    tz: str | None,
    send_at: str | None,
    confirmed: bool,
) -> None:
    """Add one subscriber."""
    raise pending("subscribers add", 6)


@subscribers.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--confirmed", is_flag=True, help="Mark imported rows as confirmed.")
@pass_app
def import_(app: AppContext, file: str, confirmed: bool) -> None:
    """Import subscribers from CSV (email,name,language,topics,timezone[,send_at])."""
    raise pending("subscribers import", 6)


@subscribers.command("export")
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@pass_app
def export(app: AppContext, out: str | None) -> None:
    """Export subscribers as CSV (re-importable)."""
    raise pending("subscribers export", 6)


@subscribers.command("remove")
@click.argument("email")
@click.option("--forget", is_flag=True, help="Erase personal data, keep a hashed suppression entry.")
@pass_app
def remove(app: AppContext, email: str, forget: bool) -> None:
    """Unsubscribe an address (or erase it with --forget)."""
    raise pending("subscribers remove", 6)


@subscribers.command("list")
@click.option("--status", help="Only subscribers with this status.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def list_(app: AppContext, status: str | None, as_json: bool) -> None:
    """List subscribers."""
    raise pending("subscribers list", 6)


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    group.add_command(subscribers)
