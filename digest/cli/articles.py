"""`digest articles import|list`: put articles in the store and look at them."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import click

from digest.actions import articles as actions
from digest.actions.articles import StoredArticle
from digest.cli.context import AppContext, cli_actor, parse_date, pass_app


@click.group()
def articles() -> None:
    """Import and list articles."""


@articles.command("import")
@click.argument("sources", nargs=-1, required=True)
@click.option("--category", help="Category for every imported article (overrides the source).")
@click.option("--language", help="Language for every imported article (overrides detection).")
@click.option(
    "--url", "page_url", help="The address of the one local .html page imported (when it has no canonical link)."
)
@pass_app
def import_(
    app: AppContext, sources: tuple[str, ...], category: str | None, language: str | None, page_url: str | None
) -> None:
    """Import articles from feeds, JSON Lines files or article pages (paths or URLs).

    An article already in the store (same canonical URL or feed GUID) is updated,
    never duplicated. Each rejected item or source is reported on one line (file:line
    for JSON Lines) and the rest is still imported; the exit code is 1 when anything
    was rejected.
    """
    if page_url is not None and len(sources) != 1:
        raise click.UsageError("--url names the address of one local page; give exactly one file")
    report = actions.import_(
        app.operations(), cli_actor(), sources, category=category, language=language, page_url=page_url
    )
    for line in report.warnings:
        click.echo(f"warning: {line}", err=True)
    for line in report.rejections:
        click.echo(f"rejected: {line}", err=True)
    click.echo(report.summary())
    if report.rejected:
        click.get_current_context().exit(1)


def _day_bounds(day_text: str | None, timezone: str) -> tuple[datetime | None, datetime | None]:
    day = parse_date(day_text)
    if day is None:
        return None, None
    tz = ZoneInfo(timezone)
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


def _as_json(stored: StoredArticle) -> dict[str, Any]:
    a = stored.article
    return {
        "id": a.id,
        "url": a.url,
        "guid": a.guid,
        "title": a.title,
        "published_at": a.published_at.isoformat(),
        "category": a.category,
        "language": a.language,
        "author": a.author,
        "source": a.source,
        "summary": a.summary,
        "word_count": a.word_count,
        "reading_minutes": a.reading_minutes,
        "body": a.body,
        "body_html": a.body_html,
        "feed_id": stored.feed_id,
        "content_hash": stored.content_hash,
        "created_at": stored.created_at.isoformat(),
        "updated_at": stored.updated_at.isoformat(),
    }


@articles.command("list")
@click.option("--date", "date_", help="Only articles published on this date (YYYY-MM-DD, newsletter timezone).")
@click.option("--json", "as_json", is_flag=True, help="Print every stored field as JSON.")
@pass_app
def list_(app: AppContext, date_: str | None, as_json: bool) -> None:
    """List the articles in the store, oldest first (times in the newsletter's timezone)."""
    ops = app.operations()
    timezone = str(ops.settings.schedule.timezone)
    start, end = _day_bounds(date_, timezone)
    rows = actions.stored(ops, start, end)
    if as_json:
        click.echo(json.dumps([_as_json(r) for r in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no articles" + (f" published on {date_}" if date_ else ""))
        return
    tz = ZoneInfo(timezone)
    for r in rows:
        a = r.article
        when = a.published_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        click.echo(
            f"{when}  {a.language:<2}  {a.category[:14]:<14}  {a.reading_minutes:>2} min  {a.title[:70]}\n"
            f"{'':>18}  {a.url}"
        )
    click.echo(f"{len(rows)} article{'s' if len(rows) != 1 else ''}")


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    group.add_command(articles)
