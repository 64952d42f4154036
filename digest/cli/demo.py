"""`digest demo`: the whole product on embedded defaults, in one folder."""

from __future__ import annotations

from pathlib import Path

import click

from digest.cli.context import utcnow
from digest.errors import DeliveryError


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("digest-demo"),
    show_default=True,
    help="Folder for the demo's database, config and captured mail (reused).",
)
def demo(directory: Path) -> None:
    """Import sample articles, build today's edition and mail it to sample subscribers
    through a local capture SMTP server. Run it again: nothing is sent twice."""
    from digest.daily import demo as run_demo
    from digest.models import EditionStatus

    report = run_demo.run(directory, now=utcnow())
    where = report.directory
    click.echo(f"digest demo in {where}")
    click.echo(f"  config:   {where / 'digest.toml'} (database {where / 'digest.db'})")
    click.echo(
        f"  articles: {report.imported} imported, {report.unchanged} already there"
        + (f", {len(report.rejected)} rejected" if report.rejected else "")
    )
    for line in report.rejected:
        click.echo(f"    rejected: {line}")
    click.echo(
        f"  subscribers: {report.subscribers_added} added ({len(run_demo.SUBSCRIBERS)} in the sample, "
        "one never confirmed)"
    )
    for ed in report.editions:
        if ed.status is EditionStatus.SKIPPED:
            click.echo(f"  edition {ed.edition_date} [{ed.language}]: no article in the window")
            continue
        click.echo(
            f"  edition {ed.edition_date} [{ed.language}]: {len(ed.top)} top stories, {len(ed.briefs)} in brief, "
            f"{ed.word_count} words, {ed.reading_minutes} min read"
        )
        for item in ed.top:
            click.echo(f"    - {item.title}")
    sent_now = f"{report.sent} messages sent now" if report.sent else "nothing new to send (already delivered)"
    click.echo(f"  mail:     {sent_now}; {len(report.messages)} captured in {where / 'mail'}")
    if report.index is not None:
        click.echo(f"Open {report.index} to read every message received.")
    if report.failed:
        raise DeliveryError(f"{report.failed} messages were not accepted by the capture server")


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    group.add_command(demo)
