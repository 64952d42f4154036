"""`digest edition approve`: the editor's desk from the command line."""

from __future__ import annotations

import click

from digest.cli.admins import cli_actor
from digest.cli.context import AppContext, parse_date, pass_app, utcnow
from digest.errors import NotFoundError


@click.command("approve")
@click.option("--date", "date_", required=True, help="Edition date YYYY-MM-DD.")
@click.option("--language", help="Approve only this language (default: every language built for the date).")
@pass_app
def approve(app: AppContext, date_: str, language: str | None) -> None:
    """Approve the date's edition(s) for sending ([schedule] review = "approve")."""
    from digest.store import audit
    from digest.store.desk import approve as approve_edition
    from digest.store.editions import editions_for_date

    day = parse_date(date_)
    assert day is not None
    store = app.store()
    editions = [
        ed
        for ed in editions_for_date(store, app.settings.newsletter.name, day)
        if language is None or ed.language == language
    ]
    if not editions:
        which = f" in {language}" if language else ""
        raise NotFoundError(f"no edition for {day.isoformat()}{which}: build it first (`digest edition build`)")
    now, actor = utcnow(), cli_actor()
    for ed in editions:
        assert ed.id is not None
        done = approve_edition(store, ed.id, by=actor, now=now)
        audit.record(
            store,
            actor=actor,
            action="edition.approve",
            target=f"edition:{ed.id}",
            details={"date": day.isoformat(), "language": ed.language},
            now=now,
        )
        click.echo(f"{day.isoformat()} {ed.language}: approved by {done.approved_by} at {done.approved_at:%H:%M} UTC")


def register(group: click.Group) -> None:
    """Add `approve` to the `edition` group."""
    edition = group.commands["edition"]
    assert isinstance(edition, click.Group)
    edition.add_command(approve)
