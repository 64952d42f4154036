"""`digest feeds add|list|poll|remove`: registered RSS/Atom feeds."""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from digest.actions import feeds as actions
from digest.cli.context import AppContext, cli_actor, pass_app
from digest.errors import SourceError


@click.group()
def feeds() -> None:
    """Register and poll RSS/Atom feeds."""


@feeds.command("add")
@click.argument("url")
@click.option("--category", help="Category given to the feed's articles.")
@click.option("--language", help="Language of the feed's articles.")
@click.option(
    "--full-text",
    type=click.Choice(["auto", "always", "never"]),
    help="Read the page each item links to: auto (when the item is only an excerpt, the default), always, never.",
)
@pass_app
def add(app: AppContext, url: str, category: str | None, language: str | None, full_text: str | None) -> None:
    """Register a feed to poll (again with new options: updates them)."""
    feed, created = actions.add(
        app.operations(), cli_actor(), url, category=category, language=language, full_text=full_text
    )
    full_text = f"full text {feed.full_text}" if feed.full_text != "auto" else ""
    extra = ", ".join(x for x in (feed.category, feed.language, full_text) if x)
    click.echo(f"{'added' if created else 'updated'} feed {feed.id}: {feed.url}" + (f" ({extra})" if extra else ""))
    if created:
        click.echo("run `digest feeds poll` to fetch it now; `digest serve` polls it on schedule")


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print every stored field as JSON.")
@pass_app
def list_(app: AppContext, as_json: bool) -> None:
    """List registered feeds and their last poll."""
    ops = app.operations()
    rows = actions.feeds(ops)
    pages = actions.page_outcomes(ops)
    if as_json:
        data = [
            {
                "id": f.id,
                "url": f.url,
                "title": f.title,
                "category": f.category,
                "language": f.language,
                "etag": f.etag,
                "last_modified": f.last_modified,
                "last_polled_at": f.last_polled_at.isoformat() if f.last_polled_at else None,
                "last_error": f.last_error,
                "full_text": f.full_text,
                "pages": pages.get(f.id or 0, {}),
            }
            for f in rows
        ]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no feeds registered (add one with `digest feeds add URL`)")
        return
    tz = ZoneInfo(str(app.settings.schedule.timezone))
    for f in rows:
        polled = f.last_polled_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if f.last_polled_at else "never polled"
        state = f"error: {f.last_error}" if f.last_error else ("ok" if f.last_polled_at else "")
        options = ", ".join(x for x in (f.category, f.language) if x)
        click.echo(f"{f.id:>3}  {f.url}" + (f"  [{options}]" if options else "") + (f"  {f.title}" if f.title else ""))
        click.echo(f"     {polled}  {state}".rstrip())
        counts = pages.get(f.id or 0, {})
        shown = ", ".join(f"{n} {outcome.replace('_', ' ')}" for outcome, n in sorted(counts.items()))
        click.echo(f"     full text: {f.full_text}" + (f"; pages: {shown}" if shown else ""))


@feeds.command("poll")
@pass_app
def poll(app: AppContext) -> None:
    """Fetch every registered feed now (conditional GET).

    A feed that fails is reported and recorded; the others are still polled. The
    exit code is 1 when any feed failed or any item was rejected.
    """
    report = actions.poll(app.operations(), cli_actor())
    if not report.feeds:
        click.echo("no feeds registered (add one with `digest feeds add URL`)")
        return
    for p in report.feeds:
        if p.status == "error":
            click.echo(f"error: {p.error}", err=True)
            continue
        for line in p.report.warnings:
            click.echo(f"warning: {line}", err=True)
        for line in p.report.rejections:
            click.echo(f"rejected: {line}", err=True)
        status = "not modified" if p.status == "not_modified" else p.report.summary()
        if p.pages:
            status += "; pages " + ", ".join(f"{o.replace('_', ' ')} {n}" for o, n in sorted(p.pages.items()))
        click.echo(f"{p.url}: {status}")
    totals = report.totals
    click.echo(f"{len(report.feeds)} feeds polled, {len(report.errors)} failed; {totals.summary()}")
    if report.errors or totals.rejected:
        click.get_current_context().exit(1)


@feeds.command("remove")
@click.argument("url")
@pass_app
def remove(app: AppContext, url: str) -> None:
    """Stop polling a feed (its articles stay in the store)."""
    removed = actions.remove(app.operations(), cli_actor(), url)
    click.echo(f"removed feed {removed}")


@feeds.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def import_(app: AppContext, path: Path) -> None:
    """Register every feed of an OPML file (its folder becomes the feed's category).

    One line per feed outline; the exit code is 1 when any was rejected.
    """
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror})") from None
    report = actions.import_list(app.operations(), cli_actor(), content, str(path))
    for line in report.lines:
        click.echo(line, err=line.startswith("rejected"))
    click.echo(report.summary())
    if report.rejected:
        click.get_current_context().exit(1)


@feeds.command("export")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (default: stdout).")
@pass_app
def export(app: AppContext, out: Path | None) -> None:
    """Print the registered feeds as OPML 2.0 (folders for categories)."""
    document = actions.export_list(app.operations(), cli_actor())
    if out is None:
        click.echo(document.decode("utf-8"), nl=False)
    else:
        out.write_bytes(document)


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    group.add_command(feeds)
