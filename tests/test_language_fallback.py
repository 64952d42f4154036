"""One answer to "which language does this reader, page or mail get":
digest.i18n.language_for, and the switch's other language, digest.i18n.other_language."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest import config, i18n
from digest.mail.fresh_link import preferences_link_message
from digest.mail.transactional import confirmation_message, link_message
from digest.models import Subscriber

LOCALES = Path(__file__).parent / "fixtures" / "locale"  # a test-only German catalogue


@pytest.fixture
def german() -> Iterator[None]:
    i18n.add_locale_dir(LOCALES)
    try:
        yield
    finally:
        i18n.remove_locale_dir(LOCALES)


@pytest.mark.parametrize(
    ("wanted", "default", "expected"),
    [
        (("en",), "fr", "en"),  # a supported language is kept
        (("fr",), "en", "fr"),
        (("de",), "fr", "fr"),  # no catalogue: the newsletter's language
        (("de",), "en", "en"),
        (("",), "fr", "fr"),  # nothing asked
        ((None,), "en", "en"),
        ((), "fr", "fr"),
        (("xx", None, "", "en", "fr"), "fr", "en"),  # the first supported of several, in order
        (("de",), "de", "en"),  # even the default has no catalogue: the first that has one
        (("FR",), "en", "en"),  # codes are compared as given (they are stored lower-case)
    ],
)
def test_language_for_answers(wanted: tuple[str | None, ...], default: str, expected: str) -> None:
    assert i18n.language_for(*wanted, default=default) == expected


def test_a_language_that_gains_a_catalogue_is_kept(german: None) -> None:
    assert i18n.language_for("de", default="fr") == "de"
    assert i18n.language_for("it", default="de") == "de"


@pytest.mark.parametrize(
    ("language", "default", "expected"),
    [("fr", "fr", "en"), ("en", "fr", "fr"), ("en", "en", "fr"), ("fr", "en", "en"), ("de", "fr", "fr")],
)
def test_the_language_switch_offers_the_other_language(language: str, default: str, expected: str) -> None:
    assert i18n.other_language(language, default=default) == expected


def test_with_a_third_language_the_switch_offers_the_newsletters_first(german: None) -> None:
    assert i18n.other_language("de", default="fr") == "fr"
    assert i18n.other_language("fr", default="fr") == "de"  # then alphabetical: de, en


def test_every_transactional_mail_to_a_reader_without_a_catalogue_is_in_the_newsletters_language() -> None:
    settings = config.load(None, env={})  # [newsletter] language = "fr"
    reader = Subscriber(id=3, email="a@example.org", language="it")
    now = datetime(2026, 11, 29, tzinfo=UTC)
    mails = [
        confirmation_message(settings, reader, "https://x.example/c", now=now),
        link_message(settings, reader, "https://x.example/p", reason="requested", now=now),
        preferences_link_message(settings, reader, "https://x.example/p", now=now),
    ]
    assert [m["Content-Language"] for m in mails] == ["fr", "fr", "fr"]
