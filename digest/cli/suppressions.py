"""`digest suppressions list`: the suppression list, by the class of refusal each entry
came from (the undo is `digest subscribers reconfirm`)."""

from __future__ import annotations

import json

import click

from digest.cli.context import AppContext, pass_app


@click.group()
def suppressions() -> None:
    """The suppression list."""


@suppressions.command("list")
@click.option("--cause", type=click.Choice(["ours", "soft", "hard"]), help="Only suppressions of this class.")
@click.option("--limit", type=click.IntRange(min=1), default=1000, show_default=True, help="Newest entries shown.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def list_(app: AppContext, cause: str | None, limit: int, as_json: bool) -> None:
    """Suppressed addresses, newest first: cause (ours: our relay or policy; soft: soft
    bounces; hard: the mailbox does not exist; or unsubscribed, complaint...), when and
    the reply. `digest subscribers reconfirm ADDR --reason ...` lifts ours and soft."""
    from digest.actions.reconfirm import by_cause as listed

    found = listed(app.operations(), cause=cause, limit=limit)
    if as_json:
        rows = [
            {"email": s.email or None, "reason": s.reason, "cause": s.cause, "detail": s.detail,
             "since": s.since.isoformat()}
            for s in found
        ]  # fmt: skip
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for s in found:
        who = s.email or "(erased)"
        click.echo(f"{who}  {s.cause}  {s.since.isoformat(timespec='minutes')}  {s.detail}")
    click.echo(f"{len(found)} suppression{'s' if len(found) != 1 else ''}", err=True)


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    group.add_command(suppressions)
