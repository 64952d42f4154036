"""`digest init`: create or upgrade the database schema."""

from __future__ import annotations

import click

from digest.cli.context import AppContext, pass_app


@click.command()
@pass_app
def init(app: AppContext) -> None:
    """Create the database schema, or upgrade it to this version. Safe to run twice."""
    store = app.store(check=False)
    before, after = store.init()
    where = store.engine.url.render_as_string(hide_password=True)
    if before == after:
        click.echo(f"database {where} is up to date (schema {after})")
    elif before is None:
        click.echo(f"created database schema {after} in {where}")
    else:
        click.echo(f"upgraded database {where} from schema {before} to {after}")


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    group.add_command(init)
