"""The reader's language: gettext catalogues and dates (Babel).

Catalogues are the ``.po`` files in ``digest/locale/<lang>/LC_MESSAGES/digest.po``,
read and compiled in memory on first use: no build step, and nothing compiled can go
stale beside its source. Templates call ``_()`` and ``ngettext()`` through Jinja2's
i18n extension; Python code that needs a label uses :func:`gettext` here.
"""

from __future__ import annotations

import functools
import io
import re
from datetime import date
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.support import Translations

from digest.errors import RenderError

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "digest"
_YEAR = re.compile(r"[,،]?\s*(?:'[^']*'\s*)?y+\.?")


def catalogue_path(language: str, domain: str = DOMAIN) -> Path:
    """Where the ``.po`` file of ``language`` lives (``domain`` "admin": the console's)."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"


def languages() -> tuple[str, ...]:
    """Languages that have a message catalogue."""
    return tuple(sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")))


@functools.cache
def translations(language: str, domain: str = DOMAIN) -> Translations:
    """The compiled catalogue of ``language`` (fuzzy entries left out)."""
    path = catalogue_path(language, domain)
    try:
        with path.open("rb") as fp:
            catalog = read_po(fp, locale=language, domain=domain, abort_invalid=True)
    except FileNotFoundError:
        raise RenderError(f"no message catalogue for language {language!r} ({path})") from None
    except PoFileError as exc:
        raise RenderError(f"{path}: {exc}") from None
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=domain)


def gettext(language: str, message: str, **values: object) -> str:
    """``message`` translated into ``language``, %-formatted with ``values``."""
    text: str = translations(language).gettext(message)
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
