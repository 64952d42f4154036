"""Consecutive editions partition time: an article published between two builds lands
in exactly one edition, whenever the scheduler built them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from test_daily_build import insert_articles, load_settings

from digest.daily.build import build_editions
from digest.models import Article
from digest.store import Store

DAY = date(2026, 11, 29)
SEND = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)  # 07:00 Africa/Casablanca


def article(n: int, published_at: datetime) -> Article:
    body = " ".join(
        f"Le conseil municipal numéro {n} a voté une mesure importante pour la ville. "
        f"Les habitants du quartier {n} attendent des travaux depuis des années. "
        "Le maire a promis un calendrier précis avant la fin du mois."
        for _ in range(3)
    )
    return Article(
        url=f"https://news.example.org/{n}",
        title=f"Conseil municipal {n} : une mesure adoptée",
        body=body,
        published_at=published_at,
        language="fr",
        category="Politique",
    )


def urls(editions: list) -> set[str]:  # type: ignore[type-arg]
    return {item.url for ed in editions for item in ed.items} | {
        link.url for ed in editions for item in ed.items for link in item.also_read
    }


def test_article_after_an_early_build_goes_to_the_next_edition(store: Store, tmp_path: Path) -> None:
    settings = load_settings(tmp_path, store.url).with_overrides({"newsletter": {"languages": ["fr"]}})
    early = SEND - timedelta(days=1, hours=4)  # yesterday's edition built at 02:00 UTC (a reader in Asia)
    before = article(1, early - timedelta(hours=2))
    between = article(2, early + timedelta(hours=2))  # after yesterday's build, before its send time
    today = article(3, SEND - timedelta(hours=3))
    insert_articles(store, [before, between, today])
    yesterday = build_editions(store, settings, edition_date=DAY - timedelta(days=1), now=early)
    assert urls(yesterday) == {before.url}
    todays = build_editions(store, settings, edition_date=DAY, now=SEND)
    assert urls(todays) == {between.url, today.url}


def test_an_edition_built_on_time_does_not_repeat_yesterdays_articles(store: Store, tmp_path: Path) -> None:
    settings = load_settings(tmp_path, store.url).with_overrides({"newsletter": {"languages": ["fr"]}})
    yesterday_send = SEND - timedelta(days=1)
    old = article(1, yesterday_send - timedelta(hours=1))
    new = article(2, yesterday_send + timedelta(hours=1))
    insert_articles(store, [old, new])
    assert urls(build_editions(store, settings, edition_date=DAY - timedelta(days=1), now=yesterday_send)) == {old.url}
    late = SEND + timedelta(hours=2)  # today's built late (catch-up): the window still ends at send time
    assert urls(build_editions(store, settings, edition_date=DAY, now=late)) == {new.url}


def test_a_past_date_built_afterwards_does_not_empty_todays_window(store: Store, tmp_path: Path) -> None:
    settings = load_settings(tmp_path, store.url).with_overrides({"newsletter": {"languages": ["fr"]}})
    recent = article(1, SEND - timedelta(hours=2))
    insert_articles(store, [recent])
    later = SEND + timedelta(hours=3)
    build_editions(store, settings, edition_date=DAY - timedelta(days=1), now=later)  # yesterday, built today
    assert urls(build_editions(store, settings, edition_date=DAY, now=later)) == {recent.url}
