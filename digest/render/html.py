"""Jinja2 rendering of an edition variant: subject, HTML (before inlining) and text.

One environment per language, with autoescape for ``.html`` templates, the i18n
extension bound to that language's catalogue, and StrictUndefined so a typo in a
template fails loudly instead of printing nothing.
"""

from __future__ import annotations

import functools
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape

from digest.errors import RenderError
from digest.render import i18n
from digest.render.slots import MARKERS
from digest.render.view import EditionView

_SPACES = re.compile(r"[ \t\r\n]+")

#: templates/email, reached through the package's ``templates`` symlink.
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "email"


def wrap(text: str, width: int = 72, indent: str = "") -> str:
    """Fill ``text`` to ``width`` columns for the plain-text part, never breaking a
    word or a URL (a longer one gets a line of its own)."""
    return textwrap.fill(
        _SPACES.sub(" ", str(text)).strip(),  # not str.split(): it would eat no-break spaces
        width=width,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


@functools.cache
def environment(language: str) -> Environment:
    """The template environment of ``language`` (cached: one per process)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["wrap"] = wrap
    return env


@dataclass(frozen=True)
class Rendered:
    """A variant's three texts, with slot markers where personal values go."""

    subject: str
    html: str
    text: str


def render(view: EditionView) -> Rendered:
    """Render the subject, HTML and text of ``view`` in its language."""
    env = environment(view.lang)
    try:
        subject = " ".join(env.get_template("subject.txt").render(view=view).split())
        context = {"view": view, "slots": MARKERS, "subject": subject}
        html = env.get_template("edition.html").render(context)
        text = env.get_template("edition.txt").render(context)
    except TemplateError as exc:
        raise RenderError(f"email template: {exc}") from exc
    return Rendered(subject=subject, html=html, text=_tidy_text(text))


def _tidy_text(text: str) -> str:
    """No trailing spaces (except the "-- " signature separator), at most two blank
    lines in a row, one final newline."""
    lines = [line if line == "-- " else line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    blanks = 0
    for line in lines:
        blanks = blanks + 1 if not line else 0
        if blanks <= 2:
            out.append(line)
    return "\n".join(out).strip("\n") + "\n"
