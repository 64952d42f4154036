"""`digest subscribers bulk OPERATION`: the console's bulk actions on the command line."""

from __future__ import annotations

import sys

import click

from digest.actions import bulk as actions
from digest.actions import subscribers as subscriber_actions
from digest.cli.context import AppContext, cli_actor, pass_app
from digest.models import SubscriberQuery, SubscriberStatus


def _warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


@click.command("bulk")
@click.argument("operation", type=click.Choice([*actions.OPERATIONS, "export"]))
@click.option("--id", "ids", type=int, multiple=True, help="A subscriber id (repeat for several).")
@click.option("--all-matching", is_flag=True, help="Every subscriber matching the filters below (all without one).")
@click.option("--search", default="", help="Filter: a text in the address or the name.")
@click.option("--status", type=click.Choice([s.value for s in SubscriberStatus]), help="Filter: this status.")
@click.option("--language", default="", help="Filter: this language.")
@click.option("--has-topic", default="", help="Filter: subscribers who chose this topic.")
@click.option("--topic", default="", help="The topic to add or remove (add_topic, remove_topic).")
@click.option("--yes", is_flag=True, help="Do not ask before unsubscribing or forgetting.")
@pass_app
def bulk(
    app: AppContext,
    operation: str,
    ids: tuple[int, ...],
    all_matching: bool,
    search: str,
    status: str | None,
    language: str,
    has_topic: str,
    topic: str,
    yes: bool,
) -> None:
    """Unsubscribe, forget, add or remove a topic, resend the confirmation mail, or
    export (CSV on stdout), for the subscribers given by --id or --all-matching."""
    if bool(ids) == all_matching:
        raise click.UsageError("give either --id (one or more) or --all-matching with filters")
    selection = (
        actions.Selection(query=SubscriberQuery(text=search.strip(), status=status or "", language=language,
                                                topic=has_topic))
        if all_matching
        else actions.Selection(ids=ids)
    )  # fmt: skip
    ops, actor = app.operations(), cli_actor()
    if operation == "export":
        n = actions.export(ops, actor, selection, sys.stdout)
        click.echo(f"exported {n} subscribers", err=True)
        return
    if operation in actions.DANGEROUS and not yes:
        count = actions.count(ops, selection)
        click.confirm(f"{operation}: {count} subscribers. Go on?", abort=True, err=True)
    result = actions.bulk(ops, actor, operation, selection, topic=topic)
    left = f"{result.unchanged} left as they were"
    click.echo(f"{operation}: {result.changed} changed, {left} ({result.selected} selected)")
    if result.to_confirm:
        sent = subscriber_actions.send_confirmations(ops, result.to_confirm, warn=_warn)
        click.echo(f"confirmation mails sent: {sent} of {len(result.to_confirm)}")
