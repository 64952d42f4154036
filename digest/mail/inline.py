"""CSS inlining with premailer, once per edition variant (never per subscriber).

Gmail, Outlook and most webmail drop or rewrite ``<style>`` blocks, so every rule
that can be is written into ``style`` attributes. What cannot be inlined (@media
queries for small screens and dark mode) stays in a ``<style>`` in ``<head>`` for the
clients that honour it. ``!important`` is kept so those @media rules still win over
inline styles; CSS widths on tables and cells become ``width`` attributes, which
Outlook's Word engine reads. Nothing is fetched (allow_network=False).

premailer and cssutils (about 0.4 s of CPU to import) are imported at the first
inlining, not with this module: a sender process that finds nothing to send, or a
command that only composes plain-text mail, never pays for them.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

from digest.errors import RenderError

# cssutils reports every vendor property (mso-*, -webkit-*) it does not know at
# WARNING/ERROR level; they are deliberate, so keep its logger quiet.
_CSS_LOG_LEVEL = logging.CRITICAL

_INDENT = re.compile(r"\n[ \t]+")
_TRAILING = re.compile(r"[ \t]+\n")
_BLANK_LINES = re.compile(r"\n{2,}")


@functools.cache
def _premailer() -> Any:
    """The Premailer class, imported (and cssutils quietened) on first use."""
    import cssutils
    from premailer import Premailer

    cssutils.log.setLevel(_CSS_LOG_LEVEL)
    return Premailer


def inline_css(html: str) -> str:
    """``html`` with its <style> rules inlined; @media rules kept in <head>."""
    premailer = _premailer()
    try:
        inlined: str = premailer(
            html,
            keep_style_tags=False,  # leftovers (@media, :hover) are kept in <head>
            strip_important=False,
            allow_network=False,
            disable_validation=True,
            cssutils_logging_level=_CSS_LOG_LEVEL,
            remove_classes=False,  # the @media rules select by class
            exclude_pseudoclasses=True,
            disable_leftover_css=False,
        ).transform(pretty_print=False)
    except Exception as exc:  # premailer raises bare exceptions of many kinds
        raise RenderError(f"CSS inlining failed: {exc}") from exc
    return tidy(inlined)


def tidy(html: str) -> str:
    """Drop indentation and blank lines: whitespace that HTML collapses anyway but
    that costs bytes (and quoted-printable =20 escapes) in every message."""
    html = _INDENT.sub("\n", html)
    html = _TRAILING.sub("\n", html)
    return _BLANK_LINES.sub("\n", html).strip() + "\n"
