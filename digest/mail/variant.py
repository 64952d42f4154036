"""One edition variant, rendered and inlined once: the view, the texts and the
message template every subscriber of the variant shares.

Size: Gmail clips a message whose HTML is over about 102 KB and hides the rest —
footer and unsubscribe link included. The encoded HTML part is kept under
:data:`HTML_LIMIT`; on a rich day the last "En bref" items (in edition order) are
left out, and the email says how many more are in the online edition. Nothing is
ever cut mid-way.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime

from digest import i18n
from digest.errors import RenderError
from digest.mail.html import Rendered, render
from digest.mail.inline import inline_css
from digest.mail.message import Greeting, MessageTemplate, Personal, StaticHeaders
from digest.mail.view import UNTRACKED, EditionView, Masthead, Selection, Tracking, build
from digest.models import Edition, ItemKind

#: Largest encoded HTML part, in bytes (quoted-printable included: the real size).
HTML_LIMIT = 90 * 1024

#: Personal values longer than nearly any real ones, to size a variant safely.
_SAMPLE = Personal(
    email="marie-elisabeth.de-la-tour-d-auvergne.1987@exemple-de-domaine-long.example",
    name="Marie-Élisabeth de La Tour d’Auvergne-Lauraguais",
    unsubscribe="https://newsletter.example.org/unsubscribe/" + "x" * 160,
    preferences="https://newsletter.example.org/preferences/" + "x" * 160,
    archive="https://newsletter.example.org/editions/123456789?t=" + "x" * 160,
    message_id="x" * 60 + "@newsletter.example.org",
    date=datetime(2026, 11, 29, 6, 0, tzinfo=UTC),
    stamp="?m=zzzzzzzzzzzzz.zzzzzzzzzzzzz.xxxxxxxxxxxx",
)


@dataclass(frozen=True)
class Variant:
    """An edition seen through one topic set, ready to personalise."""

    view: EditionView
    rendered: Rendered  # subject, text and inlined HTML, with slot markers
    template: MessageTemplate
    html_bytes: int  # encoded HTML part with the longest personal values


def greeting(language: str) -> Greeting:
    """The greeting line of ``language``."""
    return Greeting(
        named=i18n.translations(language).gettext("Hello %(name)s,"),
        anonymous=i18n.gettext(language, "Hello,"),
    )


def _make(view: EditionView, headers: StaticHeaders) -> Variant:
    raw = render(view)
    rendered = dataclasses.replace(raw, html=inline_css(raw.html))
    template = MessageTemplate(
        rendered,
        dataclasses.replace(headers, subject=rendered.subject, language=view.lang),
        greeting(view.lang),
    )
    return Variant(view, rendered, template, template.html_part_size(_SAMPLE))


def build_variant(
    edition: Edition,
    selection: Selection,
    masthead: Masthead,
    headers: StaticHeaders,
    *,
    html_limit: int = HTML_LIMIT,
    tracking: Tracking = UNTRACKED,
) -> Variant:
    """Render, inline and encode ``selection`` of ``edition``, dropping the last
    "En bref" items while the HTML part is over ``html_limit`` bytes."""
    variant = _make(build(edition, masthead, selection, tracking=tracking), headers)
    if variant.html_bytes <= html_limit:
        return variant
    briefs = sum(1 for i in selection.items if i.kind is ItemKind.BRIEF)
    smallest = _make(build(edition, masthead, selection, brief_limit=0, tracking=tracking), headers)
    if smallest.html_bytes > html_limit:
        raise RenderError(
            f"edition {edition.edition_date} ({edition.language}): the HTML is {smallest.html_bytes} bytes "
            f"without any 'in brief' item, over the {html_limit}-byte limit"
        )
    # largest brief count that fits: size grows with the count, so bisect
    lo, hi, best = 1, briefs - 1, smallest
    while lo <= hi:
        mid = (lo + hi) // 2
        candidate = _make(build(edition, masthead, selection, brief_limit=mid, tracking=tracking), headers)
        if candidate.html_bytes <= html_limit:
            best, lo = candidate, mid + 1
        else:
            hi = mid - 1
    return best
