"""``[selection] learn_from_clicks``: a topic readers click ten times more rises in the
picking, within x0.5..x2, machine clicks never count, and the report shows the factors."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from test_select import END, START, fixture_day
from tracking_support import seeded_edition
from web_support import web_settings

from digest.daily.build import edition_rules
from digest.daily.learning import MAX_FACTOR, MIN_FACTOR, click_factors, factors_from_rates
from digest.daily.report import edition_report
from digest.editorial.pick import pick_stories
from digest.models import Article
from digest.store import Store
from digest.store import tracking as db

DAY = date(2026, 11, 29)


def clicks(edition_id: int, position: int, n: int, *, at: datetime, machine: bool = False) -> list[db.Event]:
    reason = "scanner" if machine else ""
    return [db.Event(edition_id, position, "", "click", machine, reason, i, None, at) for i in range(n)]


def best_rank(picks: list[str], category: str, day: list[Article]) -> int:
    """The rank of the category's first story."""
    by_guid = {a.guid: a for a in day}
    return min(i for i, guid in enumerate(picks) if by_guid[guid].category == category)


def test_a_topic_clicked_ten_times_more_gains_rank_within_bounds_and_the_report_says_so(
    tmp_path: Path, store: Store, now: datetime
) -> None:
    settings = web_settings(tmp_path, 25, selection={"learn_from_clicks": True})
    # Three past editions (positions: 1 Politique, 2-3 Sport, 4 Culture): Culture's
    # one story is clicked ten times as often as Politique's; scanners click Politique a lot.
    for back in (3, 2, 1):
        edition_id = seeded_edition(store, DAY - timedelta(days=back), now=now)
        at = now - timedelta(days=back)
        db.record(store, clicks(edition_id, 1, 2, at=at) + clicks(edition_id, 4, 20, at=at))
        db.record(store, clicks(edition_id, 2, 1, at=at) + clicks(edition_id, 1, 200, at=at, machine=True))
    factors = click_factors(store, settings, before=DAY)
    assert factors["Culture"] == MAX_FACTOR  # bounded: ten times the rate is x2, not x10
    assert MIN_FACTOR <= factors["Politique"] < 1 and MIN_FACTOR <= factors["Sport"] < 1
    assert all(MIN_FACTOR <= f <= MAX_FACTOR for f in factors.values())

    day = fixture_day()

    def ranking(learned: dict[str, float]) -> list[str]:
        weights = edition_rules(settings, learned).category_weights
        return [
            p.article.guid for p in pick_stories(day, language="fr", start=START, end=END, category_weights=weights)
        ]

    plain, learned = ranking({}), ranking(factors)
    assert best_rank(learned, "Culture", day) < best_rank(plain, "Culture", day)
    assert best_rank(learned, "Politique", day) >= best_rank(plain, "Politique", day)

    # Off (the default), nothing is learnt.
    off = web_settings(tmp_path, 25)
    assert click_factors(store, off, before=DAY) == {}

    # The report of today's edition shows each topic's factor.
    today = seeded_edition(store, DAY, now=now)
    report = edition_report(store, settings, today)
    assert report.learn_from_clicks
    assert {t.topic: t.factor for t in report.topics} == {k: factors[k] for k in ("Politique", "Sport", "Culture")}


def test_factors_stay_within_bounds_for_any_rates() -> None:
    rates = {"A": (1000, 1), "B": (0, 1000), "C": (5, 10)}
    factors = factors_from_rates(rates)
    assert factors["A"] == MAX_FACTOR and factors["B"] == MIN_FACTOR
    assert factors_from_rates({"A": (0, 3)}) == {}  # no click at all: nothing to learn
