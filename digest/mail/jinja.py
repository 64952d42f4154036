"""The one Jinja2 configuration of digest: emails, web pages and the confirmation mail.

Every template lives under ``templates/`` and is named from there
(``email/edition.html``, ``web/subscribe.html``, ``web/email/confirm.txt``). One
environment per language, all configured alike:

* autoescape for ``.html`` templates (text parts and subjects are not HTML);
* StrictUndefined, so a typo in a template fails loudly instead of printing nothing;
* ``trim_blocks``/``lstrip_blocks`` (tags take no room) and the final newline kept;
* gettext from the language's catalogue (:mod:`digest.i18n`): ``_()``,
  ``ngettext()`` and ``pgettext()``, new style (``_("Hello %(name)s,", name=name)``:
  the catalogue's text is trusted, the values are escaped);
* the ``wrap`` filter for plain-text parts.
"""

from __future__ import annotations

import functools
import re
import textwrap
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from digest import i18n

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

_SPACES = re.compile(r"[ \t\r\n]+")


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
    """The template environment of ``language`` (cached: one per language and process;
    RenderError when the language has no catalogue)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True, default=False),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["wrap"] = wrap
    return env
