"""`digest report`: the edition report of a date (digest.daily.report computes it)."""

from __future__ import annotations

import json

import click

from digest.cli.context import AppContext, parse_date, pass_app


@click.command()
@click.option("--date", "date_", required=True, help="Edition date YYYY-MM-DD.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON (one object per language).")
@pass_app
def report(app: AppContext, date_: str, as_json: bool) -> None:
    """What became of the date's editions and what readers did with them.

    Per language: sent, delivered, bounced (hard/soft), complaints, unsubscribed within
    seven days after, human clicks and unique readers per story and per topic, machine
    opens and clicks apart.
    """
    from digest.daily import report as reports

    day = parse_date(date_)
    assert day is not None  # required
    found = reports.reports_for_date(app.store(), app.settings, day)
    if as_json:
        click.echo(json.dumps([reports.as_json(r) for r in found], ensure_ascii=False, indent=2))
        return
    for r in found:
        click.echo(f"edition {r.edition_id} · {r.date} · {r.language} (tracking: {r.tracking})")
        for name in reports.TOTALS:
            click.echo(f"  {name:<16}{getattr(r, name):>8}")
        for how, n in r.unsubscribed_by.items():
            click.echo(f"    unsubscribed by {how}: {n}")
        click.echo("  stories (clicks, readers, machine clicks):")
        for s in r.stories:
            click.echo(f"    {s.position + 1:>3}. {s.clicks:>6} {s.readers:>6} {s.machine_clicks:>6}  {s.title}")
        click.echo("  topics (clicks, readers, machine clicks, learnt factor):")
        for t in r.topics:
            click.echo(f"    {t.topic:<20} {t.clicks:>6} {t.readers:>6} {t.machine_clicks:>6}  x{t.factor:.2f}")


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    group.add_command(report)
