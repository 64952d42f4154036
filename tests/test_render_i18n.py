"""Message catalogues: every label the templates (email, pages, confirmation mail)
and the code use is translated in French and English, with the same placeholders; dates in the reader's language."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract
from babel.messages.pofile import read_po

from digest import i18n
from digest.errors import RenderError
from digest.mail import jinja
from digest.mail.variant import greeting

ROOT = Path(__file__).resolve().parent.parent
# Python code names messages with these (the message is the argument at that position)
KEYWORDS = {"gettext": (2,), "ngettext": (2, 3), "pgettext": ((2, "c"), 3), "N_": None}
# messages asked for by a call babel's extractor cannot read (digest.mail.variant.greeting)
CODE_MESSAGES = {"Hello %(name)s,"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def template_messages() -> set[str]:
    """Every msgid the templates (email, pages, confirmation mail) use, as Jinja2's
    extractor sees it."""
    env = jinja.environment("en")
    found: set[str] = set()
    for path in sorted(jinja.TEMPLATES.rglob("*")):
        if path.suffix not in (".html", ".txt"):
            continue
        source = path.read_text(encoding="utf-8")
        for _line, func, message in env.extract_translations(source):  # type: ignore[attr-defined]
            if isinstance(message, str):
                found.add(message)
            else:
                strings = message[1:] if func in ("pgettext", "npgettext") else message
                found.update(m for m in strings if m)
    return found


def code_messages() -> set[str]:
    """Every msgid the Python code of digest names (gettext, ngettext, pgettext, N_)."""
    found = set(CODE_MESSAGES)
    for path in sorted((ROOT / "digest").rglob("*.py")):
        with path.open("rb") as handle:
            for _line, message, _comments, _context in extract("python", handle, keywords=KEYWORDS):
                found.update([message] if isinstance(message, str) else [m for m in message if m])
    return found


def used_messages() -> set[str]:
    return template_messages() | code_messages()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_message_is_translated_with_the_same_placeholders(language: str) -> None:
    with i18n.catalogue_path(language).open("rb") as fp:
        catalog = read_po(fp, locale=language)
    used = used_messages()
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
    used = used_messages()
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
