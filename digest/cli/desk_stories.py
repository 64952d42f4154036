"""The editor's story decisions from the command line: `digest edition merge|split|
finally`.

Each command calls one function of :mod:`digest.actions.stories` (the console and the
API call the same), acting as ``cli:<login>``. Stories are numbered from 1, as `digest
edition build` and the console show them. Each decision rebuilds the edition and is
kept by a later rebuild; what the rebuild could not keep is printed.
"""

from __future__ import annotations

import click

from digest.cli.context import AppContext, cli_actor, parse_date, pass_app
from digest.cli.desk import DATE, LANGUAGE_ONE, STORY


def _said(day: str, language: str, what: str, unkept: list[str]) -> None:
    click.echo(f"{day} {language}: {what}")
    if unkept:
        click.echo("not kept: " + "; ".join(unkept))


@click.command("merge")
@DATE
@LANGUAGE_ONE
@STORY
@click.option(
    "--with", "other", type=click.IntRange(min=1), required=True, help="The story merged into it (its number)."
)
@pass_app
def merge(app: AppContext, date_: str, language: str | None, story: int, other: int) -> None:
    """Merge story --with into --story: its articles become "Lire aussi" sources of --story."""
    from digest.actions import editions, stories

    day = parse_date(date_)
    assert day is not None
    ops = app.operations()
    ed = editions.edition_on(ops, day, language)
    done = stories.merge_stories(ops, cli_actor(), ed, story - 1, other - 1)
    _said(day.isoformat(), ed.language, f"story {other} merged into story {story}", [str(u) for u in done.unkept])


@click.command("split")
@DATE
@LANGUAGE_ONE
@STORY
@pass_app
def split(app: AppContext, date_: str, language: str | None, story: int) -> None:
    """Split a story back into one story per article (its "Lire aussi" sources)."""
    from digest.actions import editions, stories

    day = parse_date(date_)
    assert day is not None
    ops = app.operations()
    ed = editions.edition_on(ops, day, language)
    done = stories.split_story(ops, cli_actor(), ed, story - 1)
    _said(day.isoformat(), ed.language, f"story {story} split", [str(u) for u in done.unkept])


@click.command("finally")
@DATE
@LANGUAGE_ONE
@STORY
@click.option("--unmark", is_flag=True, help='Take the story out of the "Et enfin" slot and leave it empty.')
@pass_app
def finally_(app: AppContext, date_: str, language: str | None, story: int, unmark: bool) -> None:
    """Put a story in the closing "Et enfin" / "And finally" slot (one story at most)."""
    from digest.actions import editions, stories

    day = parse_date(date_)
    assert day is not None
    ops = app.operations()
    ed = editions.edition_on(ops, day, language)
    done = stories.mark_finally(ops, cli_actor(), ed, story - 1, marked=not unmark)
    what = f'story {story} {"unmarked" if unmark else "marked"} as "Et enfin"'
    _said(day.isoformat(), ed.language, what, [str(u) for u in done.unkept])


#: Added to the `edition` group by :func:`digest.cli.desk.register`.
STORY_COMMANDS = (merge, split, finally_)
