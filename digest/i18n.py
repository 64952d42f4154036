"""The reader's language: gettext catalogues and dates (Babel).

Catalogues are the ``.po`` files in ``digest/locale/<lang>/LC_MESSAGES/digest.po``,
read and compiled in memory on first use: no build step, and nothing compiled can go
stale beside its source. They hold every word a person reads — emails, web pages,
the confirmation mail — and a language is supported exactly when it has a catalogue:
adding one adds the language. :func:`add_locale_dir` makes another directory of the
same layout count too (a deployment's own language, without touching the package).
Templates call ``_()``, ``ngettext()`` and ``pgettext()`` through Jinja2's i18n
extension (see :mod:`digest.mail.jinja`); Python code uses :func:`gettext` here.
"""

from __future__ import annotations

import functools
import io
import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.support import Translations

from digest.errors import RenderError

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "digest"
_YEAR = re.compile(r"[,،]?\s*(?:'[^']*'\s*)?y+\.?")


#: Where catalogues are looked for, the package's own first.
_LOCALE_DIRS: list[Path] = [LOCALE_DIR]


def add_locale_dir(path: Path) -> None:
    """Look for catalogues in ``path`` too (``<path>/<lang>/LC_MESSAGES/digest.po``),
    after the package's own; a language found there becomes supported."""
    if path not in _LOCALE_DIRS:
        _LOCALE_DIRS.append(path)
        translations.cache_clear()


def remove_locale_dir(path: Path) -> None:
    """Undo :func:`add_locale_dir`."""
    if path in _LOCALE_DIRS[1:]:
        _LOCALE_DIRS.remove(path)
        translations.cache_clear()


def catalogue_path(language: str) -> Path:
    """Where the ``.po`` file of ``language`` lives (the first directory holding one)."""
    for directory in _LOCALE_DIRS:
        path = directory / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        if path.is_file():
            return path
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def languages(*, first: str | None = None) -> tuple[str, ...]:
    """Languages that have a message catalogue: ``first`` (the newsletter's default
    language) in front when it is one of them, the others in alphabetical order."""
    found = list(_found(tuple(_LOCALE_DIRS)))
    if first in found:
        found.remove(first)
        found.insert(0, first)
    return tuple(found)


def language_for(*wanted: str | None, default: str) -> str:
    """The language a reader, page or mail gets, the one answer everywhere: the first
    of ``wanted`` (a subscriber's language, ``?lang=``, a cookie, an edition's language,
    in the caller's order of preference) that has a catalogue; else ``default`` (the
    newsletter's, ``[newsletter] language``) when it has one; else the first language
    that has a catalogue."""
    supported = languages(first=default)
    for language in wanted:
        if language and language in supported:
            return language
    return supported[0] if supported else default


def other_language(language: str, *, default: str) -> str:
    """The language a "read this in ..." switch offers beside ``language``: the first
    other language with a catalogue, the newsletter's ``default`` first; ``language``
    itself when it is the only one."""
    return next((code for code in languages(first=default) if code != language), language)


@functools.cache
def _found(directories: tuple[Path, ...]) -> tuple[str, ...]:
    # cached per list of directories: a page asks on every request
    return tuple(sorted({p.parent.parent.name for d in directories for p in d.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}))


def language_name(language: str) -> str:
    """The language's name in itself, capitalised as in a menu: "Français", "English"."""
    name = Locale.parse(language).get_display_name(language) or language
    return name[:1].upper() + name[1:]


@functools.cache
def translations(language: str) -> Translations:
    """The compiled catalogue of ``language`` (fuzzy entries left out)."""
    path = catalogue_path(language)
    try:
        with path.open("rb") as fp:
            catalog = read_po(fp, locale=language, domain=DOMAIN, abort_invalid=True)
    except FileNotFoundError:
        raise RenderError(f"no message catalogue for language {language!r} ({path})") from None
    except PoFileError as exc:
        raise RenderError(f"{path}: {exc}") from None
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue where it is named, to be translated later
    (gettext_noop): ``message_page(..., N_("Page not found"), ...)``."""
    return message


def gettext(language: str, message: str, **values: object) -> str:
    """``message`` translated into ``language``, %-formatted with ``values``."""
    text: str = translations(language).gettext(message)
    return text % values if values else text


def pgettext(language: str, context: str, message: str, **values: object) -> str:
    """``message`` in ``context`` (msgctxt) translated into ``language``, %-formatted."""
    text = str(translations(language).pgettext(context, message))
    return text % values if values else text


def ngettext(language: str, singular: str, plural: str, n: int, **values: object) -> str:
    """The singular or plural form for ``n``; ``num`` is filled with ``n``."""
    text: str = translations(language).ngettext(singular, plural, n)
    return text % {"num": n, **values}


def full_date(day: date, language: str) -> str:
    """The date as a masthead writes it: "dimanche 29 novembre 2026"."""
    return format_date(day, format="full", locale=language)


def day_and_month(day: date, language: str) -> str:
    """Weekday, day and month, without the year: "dimanche 29 novembre", "Sunday,
    November 29" (the locale's full date pattern with its year taken out)."""
    pattern = Locale.parse(language).date_formats["full"].pattern
    without_year = _YEAR.sub("", pattern).strip(" ,.،")
    return format_date(day, format=without_year, locale=language)


def zoned_time(value: datetime, timezone: str, language: str) -> str:
    """A moment as the console and the pages show it, always with its zone: the
    newsletter's local time and its offset from UTC, "2026-12-06 06:00 UTC+01:00"
    (GMT in English, UTC in French, as the locale writes it)."""
    return format_datetime(value, "yyyy-MM-dd HH:mm ZZZZ", tzinfo=ZoneInfo(timezone), locale=language)
