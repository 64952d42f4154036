"""`digest summarize FILE --language fr|en [--style top|brief] [--titles FILE]`: try the summariser.

One document per input line, one summary per output line, in the same order and
count (an empty line for an empty document), made exactly as the edition makes
them: :func:`digest.editorial.summarize.summarize_story` at the style's lengths, with each
document's headline from ``--titles`` (one per line, as many as documents) as the
edition passes a story's headline.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

import click

from digest.cli.context import AppContext, pass_app

if TYPE_CHECKING:
    from digest.editorial.summarize import Style

#: The names of digest.editorial.summarize.STYLES, sorted, written out so that
#: `digest summarize --help` does not load the summariser (tests/test_cli_lazy.py checks).
STYLE_NAMES = ("brief", "lead", "top")


@click.command()
@click.argument("source", type=click.File("r", encoding="utf-8"), metavar="FILE")
@click.option("--language", required=True, type=click.Choice(["fr", "en"]), help="Language of the documents.")
@click.option(
    "--style",
    type=click.Choice(STYLE_NAMES),
    default="top",
    show_default=True,
    help="top: a top story's summary; brief: an En bref line (one sentence, at most 30 words).",
)
@click.option(
    "--titles",
    type=click.File("r", encoding="utf-8"),
    default=None,
    metavar="FILE",
    help="Each document's headline, one per line, as many lines as documents.",
)
@click.option(
    "--backend",
    type=click.Choice(["extractive", "openai"]),
    default="extractive",
    show_default=True,
    help="openai: the model of [summarize] rewrites each summary, guarded (a refused rewrite keeps the extract, "
    "and the reason goes to stderr).",
)
@pass_app
def summarize(app: AppContext, source: TextIO, language: str, style: str, titles: TextIO | None, backend: str) -> None:
    """Summarise each line of FILE (or - for stdin) as the edition would."""
    from digest.editorial.summarize import STYLES, summarize_story

    chosen = STYLES[style]
    # One document per line, as the file's lines are read (no other line separators).
    docs: Iterable[str] = (line.rstrip("\r\n") for line in source)
    heads: Iterable[str] = itertools.repeat("")
    if titles is not None:
        # Both read whole first: a count that does not match is refused before any output.
        docs = list(docs)
        heads = [line.rstrip("\r\n").strip() for line in titles]
        if len(heads) != len(docs):
            raise click.UsageError(
                f"--titles {titles.name}: {len(heads)} line{'' if len(heads) == 1 else 's'} for"
                f" {len(docs)} document{'' if len(docs) == 1 else 's'} in {source.name}"
            )
    if backend == "openai":
        _rewrite(app, list(zip(docs, heads, strict=False)), language, chosen)
        return
    for text, title in zip(docs, heads, strict=False):  # heads is endless without --titles
        summary = summarize_story(text, language=language, style=chosen, title=title) if text.strip() else None
        click.echo(summary.text if summary is not None else "")


def _rewrite(app: AppContext, documents: list[tuple[str, str]], language: str, style: Style) -> None:
    """Each document's rewrite, or its extract with the reason on stderr."""
    from digest.language_model import rewrite_documents

    settings = app.settings
    if not settings.summarize.model:
        raise click.UsageError("--backend openai: set [summarize] model (and base_url) in the configuration")
    results = rewrite_documents(settings, documents, language=language, style=style)
    for number, (summary, reason) in enumerate(results, start=1):
        click.echo(summary.text)
        if reason and reason != "empty":
            click.echo(f"line {number}: extract kept ({reason})", err=True)


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    group.add_command(summarize)
