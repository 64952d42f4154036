"""The timezones a person can pick on the preferences page."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

# Legacy aliases and POSIX-style names that nobody should have to scroll past.
_SKIP_PREFIXES = ("Etc/", "SystemV/", "US/", "posix/", "right/", "Canada/", "Brazil/", "Chile/", "Mexico/")


@lru_cache(maxsize=1)
def _zones() -> tuple[str, ...]:
    zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith(_SKIP_PREFIXES))
    return (*zones, "UTC")


def common_timezones(current: str = "") -> list[str]:
    """Area/City names, sorted, then UTC; ``current`` is kept even when it is an alias."""
    zones = list(_zones())
    if current and current not in zones:
        zones.insert(0, current)
    return zones
