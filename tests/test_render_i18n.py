"""Message catalogues: every label the templates and the code use is translated in
French and English, with the same placeholders; dates in the reader's language."""

from __future__ import annotations

import re
from datetime import date

import pytest
from babel.messages.pofile import read_po

from digest.errors import RenderError
from digest.render import html, i18n
from digest.render.variant import greeting

TEMPLATES = ("edition.html", "edition.txt", "subject.txt")
# messages the Python code asks for (digest.render.variant.greeting)
CODE_MESSAGES = {"Hello %(name)s,", "Hello,"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def template_messages() -> set[str]:
    """Every msgid the templates use, as Jinja2's extractor sees it."""
    env = html.environment("en")
    found: set[str] = set()
    for name in TEMPLATES:
        source = (html.TEMPLATES / name).read_text(encoding="utf-8")
        for _line, _func, message in env.extract_translations(source):  # type: ignore[attr-defined]
            if isinstance(message, str):
                found.add(message)
            else:
                found.update(m for m in message if m)
    return found


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_message_is_translated_with_the_same_placeholders(language: str) -> None:
    with i18n.catalogue_path(language).open("rb") as fp:
        catalog = read_po(fp, locale=language)
    used = template_messages() | CODE_MESSAGES
    assert len(used) > 15
    ids: dict[str, list[str]] = {}
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        singular = message.id if isinstance(message.id, str) else message.id[0]
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(strings), f"{language}: untranslated {singular!r}"
        sources = [message.id] if isinstance(message.id, str) else list(message.id)
        wanted = {p for source in sources for p in PLACEHOLDER.findall(source)}
        for target in strings:
            assert set(PLACEHOLDER.findall(target)) == wanted, (language, singular, target)
        ids[singular] = strings
        if not isinstance(message.id, str):
            ids[message.id[1]] = strings
    missing = used - ids.keys()
    assert not missing, f"{language}: not in the catalogue: {sorted(missing)}"
    assert not list(catalog.check()), "babel finds errors in the catalogue"


def test_unused_messages_are_not_left_in_the_catalogues() -> None:
    used = template_messages() | CODE_MESSAGES
    with i18n.catalogue_path("fr").open("rb") as fp:
        catalog = read_po(fp, locale="fr")
    stale = [m.id for m in catalog if m.id and (m.id if isinstance(m.id, str) else m.id[0]) not in used]
    assert not stale


def test_french_labels_come_from_the_catalogue() -> None:
    assert i18n.gettext("fr", "In brief") == "En bref"
    assert i18n.ngettext("fr", "Reading time: %(num)d minute", "Reading time: %(num)d minutes", 5) == (
        "Temps de lecture\u00a0: 5 minutes"
    )
    # French: 1 is singular (and so is 0); English: only 1
    assert i18n.ngettext("fr", "%(num)d more brief in the online edition", "x", 1).startswith("1 autre brève")
    assert i18n.ngettext("en", "Reading time: %(num)d minute", "Reading time: %(num)d minutes", 1).endswith("minute")
    assert greeting("fr").format("Zoé") == "Bonjour Zoé,"
    assert greeting("en").format("") == "Hello,"


def test_dates_in_the_readers_language() -> None:
    day = date(2026, 11, 29)
    assert i18n.full_date(day, "fr") == "dimanche 29 novembre 2026"
    assert i18n.full_date(day, "en") == "Sunday, November 29, 2026"
    assert i18n.day_and_month(day, "fr") == "dimanche 29 novembre"
    assert i18n.day_and_month(day, "en") == "Sunday, November 29"


def test_languages_are_those_with_a_catalogue() -> None:
    assert set(i18n.languages()) >= {"fr", "en"}
    with pytest.raises(RenderError, match="no message catalogue"):
        i18n.translations("xx")
