"""Clicks that teach the picking, when ``[selection] learn_from_clicks`` asks.

Each topic's weight is multiplied by a factor from its click-through rate over the
last :data:`LEARN_EDITIONS` editions: human clicks per story shown, relative to the
rate of all topics, smoothed toward 1 when a topic was shown only a few times, and
bounded to :data:`MIN_FACTOR`..:data:`MAX_FACTOR` so no topic can vanish or take over.
Machine clicks (scanners, proxies) never count. The factors are computed here, from
the store, and handed to the pure editorial pick as values.
"""

from __future__ import annotations

from datetime import date

from digest.config import Settings
from digest.store import Store
from digest.store import tracking_report as report_db
from digest.store.edition_figures import recent_edition_ids

#: Editions whose clicks count.
LEARN_EDITIONS = 30
#: Bounds of a topic's factor.
MIN_FACTOR = 0.5
MAX_FACTOR = 2.0
#: Stories a topic's rate is smoothed with (at the overall rate), so one lucky click moves little.
PRIOR_STORIES = 2


def factors_from_rates(rates: dict[str, tuple[int, int]]) -> dict[str, float]:
    """Topic -> its bounded factor, from (human clicks, stories shown) per topic."""
    clicks = sum(c for c, _ in rates.values())
    shown = sum(s for _, s in rates.values())
    if clicks == 0 or shown == 0:
        return {}
    overall = clicks / shown
    out: dict[str, float] = {}
    for topic, (c, s) in rates.items():
        smoothed = (c + PRIOR_STORIES * overall) / (s + PRIOR_STORIES)
        out[topic] = round(min(MAX_FACTOR, max(MIN_FACTOR, smoothed / overall)), 2)
    return out


def click_factors(store: Store, settings: Settings, *, before: date) -> dict[str, float]:
    """The factors the picking uses for an edition dated ``before`` ({} when
    ``learn_from_clicks`` is off or nothing was clicked)."""
    if not settings.selection.learn_from_clicks:
        return {}
    editions = recent_edition_ids(store, settings.newsletter.name, before=before, limit=LEARN_EDITIONS)
    return factors_from_rates(report_db.click_rates(store, editions))
