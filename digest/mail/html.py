"""Jinja2 rendering of an edition variant: subject, HTML (before inlining) and text.

The templates are ``templates/email/*``, rendered in the one Jinja2 configuration of
:mod:`digest.mail.jinja` (autoescaped HTML, the language's catalogue, StrictUndefined).
"""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import TemplateError

from digest.errors import RenderError
from digest.mail.jinja import environment
from digest.mail.slots import MARKERS
from digest.mail.view import EditionView


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
        subject = " ".join(env.get_template("email/subject.txt").render(view=view).split())
        context = {"view": view, "slots": MARKERS, "subject": subject}
        html = env.get_template("email/edition.html").render(context)
        text = env.get_template("email/edition.txt").render(context)
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
