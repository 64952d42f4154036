"""`digest edition build`: build (or find) the day's editions and print their outline."""

from __future__ import annotations

import textwrap
from datetime import date

import click
from babel.dates import format_date
from rich.console import Console
from rich.markup import escape

from digest.cli.context import AppContext, parse_date, pass_app, utcnow
from digest.editorial.budget import BRIEF_LABEL, FINALLY_LABEL
from digest.i18n import gettext
from digest.models import Edition, EditionItem, EditionStatus, ItemKind, words_per_minute


@click.group()
def edition() -> None:
    """Build and inspect editions."""


@edition.command("build")
@click.option("--date", "date_", help="Edition date YYYY-MM-DD (default: today in the newsletter timezone).")
@click.option("--language", help="Build only this language (default: every [newsletter] languages).")
@click.option("--rebuild", is_flag=True, help="Replace an existing edition, if no delivery has started.")
@click.option(
    "--force", is_flag=True, help="With --rebuild: rebuild even when some of the editor's decisions cannot be kept."
)
@pass_app
def build(app: AppContext, date_: str | None, language: str | None, rebuild: bool, force: bool) -> None:
    """Pick and summarise the day's articles into an edition, and print its outline.

    Building a date that already has an edition prints the stored one: every
    subscriber of a date gets the same content. --rebuild replaces it while no
    delivery has started, keeping the editor's edits, drops, pin and order (by article
    URL); when some cannot be kept it lists them and changes nothing, unless --force.
    """
    from digest.daily.build import build_day

    day = parse_date(date_)
    if rebuild:
        _rebuild(app, day, language, force=force)
        return
    built = build_day(app.store(), app.settings, day=day, now=utcnow(), language=language, rebuild=rebuild)
    start, end = built.window
    console = Console(highlight=False, soft_wrap=True)
    for ed in built.editions:
        if not built.existed[ed.language]:
            what = "built"
        elif rebuild:
            what = "rebuilt"
        else:
            what = "already built, unchanged (--rebuild replaces it while no delivery has started)"
        console.print(outline(ed, what=what, budget=built.rules.budget(ed.language), width=min(console.width, 100)))
        console.print(f"[dim]candidates published {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC[/dim]\n")


def _rebuild(app: AppContext, day: date | None, language: str | None, *, force: bool) -> None:
    """``--rebuild``: one audited rebuild per language (digest.actions.editions.rebuild)."""
    from digest.actions import editions
    from digest.cli.context import cli_actor
    from digest.daily.build import edition_day, edition_languages

    ops, actor = app.operations(), cli_actor()
    day = edition_day(app.settings, day, utcnow())
    console = Console(highlight=False, soft_wrap=True)
    for lang in edition_languages(app.settings, [language] if language else None):
        done = editions.rebuild(ops, actor, day, lang, force=force)
        what = "rebuilt, every editor's decision kept"
        if done.unkept:
            what = escape("rebuilt; not kept: " + "; ".join(str(u) for u in done.unkept))
        console.print(outline(done.edition, what=what, budget=done.budget, width=min(console.width, 100)))
        start, end = done.window
        console.print(f"[dim]candidates published {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC[/dim]\n")


def outline(ed: Edition, *, what: str, budget: int, width: int = 100) -> str:
    """The edition as a readable outline (rich markup), text wrapped at ``width``."""
    lines = [
        f"[bold]{escape(ed.newsletter)} · {ed.language} · {escape(_long_date(ed.edition_date, ed.language))}[/bold]"
        f"  [dim](edition {ed.id}, {what})[/dim]",
    ]
    if ed.status is EditionStatus.SKIPPED and not ed.items:
        lines.append("  no article in the window: nothing to send for this language")
        return "\n".join(lines)
    lines.append(
        f"  {ed.reading_minutes} min read · {ed.word_count} words of {budget} "
        f"({words_per_minute(ed.language)} words/min) · {len(ed.top)} top stories · {len(ed.briefs)} in brief"
    )
    for section in ed.sections(ItemKind.TOP):
        lines.append(f"\n[bold]{escape(section.category)}[/bold]")
        lines.extend(_top(item, width) for item in section.items)
    briefs = ed.sections(ItemKind.BRIEF)
    if briefs:
        lines.append(f"\n[bold]{escape(gettext(ed.language, BRIEF_LABEL))}[/bold]")
        for section in briefs:
            lines.append(f"  [italic]{escape(section.category)}[/italic]")
            lines.extend(_brief(item, width) for item in section.items)
    closing = [i for i in ed.items if i.kind is ItemKind.FINALLY]
    if closing:
        lines.append(f"\n[bold]{escape(gettext(ed.language, FINALLY_LABEL))}[/bold]")
        lines.extend(_brief(item, width) for item in closing)
    return "\n".join(lines)


def _wrap(text: str, width: int, indent: str, first: str | None = None) -> str:
    """Wrap plain ``text`` and escape it for rich markup."""
    lines = textwrap.wrap(text, width=max(40, width), initial_indent=first or indent, subsequent_indent=indent)
    return "\n".join(escape(line) for line in lines)


def _top(item: EditionItem, width: int) -> str:
    head = _wrap(f"{item.title} ({item.reading_minutes} min)", width, "     ", f"  {item.position + 1}. ")
    out = [f"[bold]{head}[/bold]"]
    if item.summary:
        out.append(_wrap(item.summary, width, "     "))
    out.append(f"     [dim]{escape(item.url)}[/dim]")
    for link in item.also_read:
        out.append(_wrap(f"+ {link.title} ({link.source or link.url})", width, "       ", "     "))
    return "\n".join(out)


def _brief(item: EditionItem, width: int) -> str:
    text = f"- {item.title} ({item.reading_minutes} min)" + (f": {item.summary}" if item.summary else "")
    out = [_wrap(text, width, "     ", "   "), f"     [dim]{escape(item.url)}[/dim]"]
    for link in item.also_read:
        out.append(_wrap(f"+ {link.title} ({link.source or link.url})", width, "       ", "     "))
    return "\n".join(out)


def _long_date(day: date, language: str) -> str:
    try:
        return format_date(day, format="full", locale=language)
    except (ValueError, LookupError):
        return day.isoformat()


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    group.add_command(edition)
