"""The choices of the preferences page, in the reader's language: topics (the
categories of that language, in its alphabetical order) and time zones (current IANA
names only, grouped by region, with localised city names and their UTC offset).

Babel has no collation; :func:`collation_key` folds accents and case first, which is
how French and English dictionaries order words ("Économie" before "Politique",
before "World"), and breaks ties on the exact spelling.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from babel.core import get_global
from babel.dates import get_timezone_location

from digest import i18n
from digest.i18n import N_

#: Regions of the IANA names people pick from, and their names for the catalogue.
REGIONS = {
    "Africa": N_("Africa"),
    "America": N_("Americas"),
    "Antarctica": N_("Antarctica"),
    "Asia": N_("Asia"),
    "Atlantic": N_("Atlantic Ocean"),
    "Australia": N_("Australia"),
    "Europe": N_("Europe"),
    "Indian": N_("Indian Ocean"),
    "Pacific": N_("Pacific Ocean"),
}


def collation_key(text: str) -> tuple[str, str]:
    """Sort key: accents and case folded first, the exact text second."""
    decomposed = unicodedata.normalize("NFKD", text)
    base = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return base.casefold(), text


def topics_for(
    language: str, configured: Sequence[str], by_language: dict[str, set[str]], chosen: Iterable[str] = ()
) -> list[str]:
    """The categories a reader of ``language`` may pick, sorted for that language.

    ``configured`` ([newsletter] categories) when set, less those the store has seen
    only in other languages; else those the store has seen in ``language``. Topics the
    reader already has stay (ticked), even when no longer offered.
    """
    other = set().union(*(cats for lang, cats in by_language.items() if lang != language)) if by_language else set()
    mine = by_language.get(language, set())
    offered = [c for c in configured if c in mine or c not in other] if configured else list(mine)
    return sorted(set(offered) | set(chosen), key=collation_key)


@functools.cache
def _current_zones() -> tuple[str, ...]:
    """IANA names under a region, without the deprecated aliases (CLDR's list of
    them, from Babel: Asia/Calcutta, Europe/Kiev, America/Buenos_Aires...)."""
    aliases = set(get_global("zone_aliases"))
    return tuple(
        sorted(z for z in available_timezones() if z.split("/")[0] in REGIONS and z not in aliases and "/" in z)
    )


def _offset(delta: timedelta | None) -> str:
    minutes = int((delta or timedelta()).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def zone_city(zone: str, language: str) -> str:
    """The zone's city in ``language`` (CLDR, through Babel): "Calcutta" in French."""
    try:
        return str(get_timezone_location(zone, locale=language, return_city=True))
    except (LookupError, ValueError):
        return zone.rsplit("/", 1)[-1].replace("_", " ")


def utc_offset(zone: str, now: datetime) -> str:
    """The zone's offset in force at ``now``: "UTC+05:30"."""
    return _offset(now.astimezone(ZoneInfo(zone)).utcoffset())


def zone_label(zone: str, language: str, now: datetime) -> str:
    """ "Kolkata (UTC+05:30)", in ``language``, with the offset in force at ``now``."""
    return f"{zone_city(zone, language)} ({utc_offset(zone, now)})"


@functools.lru_cache(maxsize=8)
def _groups(language: str, hour: datetime) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    grouped: dict[str, list[tuple[str, str]]] = {}
    for zone in _current_zones():
        grouped.setdefault(zone.split("/")[0], []).append((zone, zone_label(zone, language, hour)))
    return tuple(
        (i18n.gettext(language, REGIONS[region]), tuple(sorted(options, key=lambda o: collation_key(o[1]))))
        for region, options in sorted(
            grouped.items(), key=lambda kv: collation_key(i18n.gettext(language, REGIONS[kv[0]]))
        )
    )


def timezone_choices(language: str, now: datetime) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """(region name, ((IANA name, label), ...)) groups, in ``language`` (cached per hour:
    offsets change with daylight saving time)."""
    return _groups(language, now.replace(minute=0, second=0, microsecond=0))


def is_listed(zone: str) -> bool:
    """Whether ``zone`` is one of the listed current names (an alias is not)."""
    return zone in _current_zones()
