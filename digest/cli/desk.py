"""`digest edition approve`: the editor's desk from the command line."""

from __future__ import annotations

import click

from digest.cli.context import AppContext, cli_actor, parse_date, pass_app


@click.command("approve")
@click.option("--date", "date_", required=True, help="Edition date YYYY-MM-DD.")
@click.option("--language", help="Approve only this language (default: every language built for the date).")
@pass_app
def approve(app: AppContext, date_: str, language: str | None) -> None:
    """Approve the date's edition(s) for sending ([schedule] review = "approve")."""
    from digest.actions import editions

    day = parse_date(date_)
    assert day is not None
    ops, actor = app.operations(), cli_actor()
    for ed in editions.editions_on(ops, day, language):
        done = editions.approve(ops, actor, ed)
        click.echo(f"{day.isoformat()} {ed.language}: approved by {done.approved_by} at {done.approved_at:%H:%M} UTC")


def register(group: click.Group) -> None:
    """Add `approve` to the `edition` group."""
    edition = group.commands["edition"]
    assert isinstance(edition, click.Group)
    edition.add_command(approve)
