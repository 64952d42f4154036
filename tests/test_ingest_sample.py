"""The demo sample shipped in the package (digest/sample) imports cleanly."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

import pytest

from digest import config
from digest.ingest import import_sources
from digest.store import Store
from digest.store.articles import iter_all

SAMPLE = resources.files("digest") / "sample"
START = datetime(2026, 11, 28, 6, 0, tzinfo=timezone(timedelta(hours=1)))
END = datetime(2026, 11, 29, 5, 0, tzinfo=timezone(timedelta(hours=1)))


@pytest.fixture
def settings(tmp_path: Path) -> config.Settings:
    path = tmp_path / "settings.toml"
    path.write_text("", encoding="utf-8")
    return config.load(path, env={})


def test_sample_imports_without_rejections_in_both_languages(
    store: Store, settings: config.Settings, now: datetime
) -> None:
    sources = [str(SAMPLE / name) for name in ("articles.jsonl", "feed.xml", "page.html")]
    report = import_sources(store, settings, sources, now=now)
    assert report.rejections == [] and report.warnings == []
    articles = list(iter_all(store))
    assert report.added == len(articles) == 27
    languages = Counter(a.language for a in articles)
    assert languages == {"fr": 19, "en": 8}
    for a in articles:
        assert START <= a.published_at <= END, a.url
        assert a.category and a.source and a.author, a.url
        assert a.reading_minutes >= 1
        for furniture in ("Lire aussi", "Partager", "appeared first on", "Temps de lecture", "Laisser un commentaire"):
            assert furniture not in a.body, (a.url, furniture)
    again = import_sources(store, settings, sources, now=now)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 27)


def test_sample_lines_are_news_length_and_include_a_near_duplicate_pair() -> None:
    lines = [json.loads(line) for line in (SAMPLE / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    assert 20 <= len(lines) <= 24
    for line in lines:
        words = sum(1 for w in line["body"].split() if any(c.isalnum() for c in w))
        assert 150 <= words <= 700, (line["url"], words)
    assert sum(1 for line in lines if line.get("summary")) >= 5
    # Two outlets, one event: the central bank's rate cut, told in different words.
    rate = [line for line in lines if "2,25 %" in line["body"] or "2,25 %" in line["title"]]
    assert len({line["source"] for line in rate}) == 2
    assert rate[0]["title"] != rate[1]["title"] and rate[0]["body"] != rate[1]["body"]
