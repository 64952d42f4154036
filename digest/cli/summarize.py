"""`digest summarize FILE --language fr|en [--style top|brief]`: try the summariser.

One document per input line, one summary per output line, in the same order and
count (an empty line for an empty document), made exactly as the edition makes
them: :func:`digest.summarize.summarize_story` at the style's lengths.
"""

from __future__ import annotations

from typing import TextIO

import click

from digest.summarize import STYLES, summarize_story


@click.command()
@click.argument("source", type=click.File("r", encoding="utf-8"), metavar="FILE")
@click.option("--language", required=True, type=click.Choice(["fr", "en"]), help="Language of the documents.")
@click.option(
    "--style",
    type=click.Choice(sorted(STYLES)),
    default="top",
    show_default=True,
    help="top: a top story's summary; brief: an En bref line (one sentence, at most 30 words).",
)
def summarize(source: TextIO, language: str, style: str) -> None:
    """Summarise each line of FILE (or - for stdin) as the edition would."""
    chosen = STYLES[style]
    for line in source:
        text = line.rstrip("\r\n")
        click.echo(summarize_story(text, language=language, style=chosen).text if text.strip() else "")


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    group.add_command(summarize)
