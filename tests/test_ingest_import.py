"""import_sources and `digest articles import|list` on a real database (SQLite file and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures.ingest.http_server import FeedServer, Route, feed_server
from fixtures.ingest.seed_page import PAGE_URL, build
from sqlalchemy import select

from digest import config
from digest.cli import cli
from digest.errors import ValidationError
from digest.ingest import import_sources
from digest.store import Store
from digest.store import tables as t
from digest.store.articles import UpsertResult, count_articles, iter_all, list_stored, upsert_article

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
SOURCES = [str(FIXTURES / n) for n in ("rss.xml", "atom.xml", "articles.jsonl")]


@pytest.fixture
def settings(tmp_path: Path) -> config.Settings:
    path = tmp_path / "settings.toml"
    path.write_text("[ingest]\nallow_private_networks = true\ntimeout_seconds = 2\n", encoding="utf-8")
    return config.load(path, env={})


@pytest.fixture
def seed_file(tmp_path: Path, seed_text: str) -> str:
    path = tmp_path / "seed.html"
    path.write_text(build(seed_text).html, encoding="utf-8")
    return str(path)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with feed_server() as s:
        yield s


def test_feeds_jsonl_and_page_are_imported_with_bad_items_reported(
    store: Store, settings: config.Settings, seed_file: str, now: datetime
) -> None:
    report = import_sources(store, settings, [*SOURCES, seed_file], now=now)
    # rss: 3 good + 2 bad; atom: 2 good; jsonl: 4 good + 7 bad; page: 1 good.
    assert (report.added, report.updated, report.unchanged, report.rejected) == (10, 0, 0, 9)
    assert f"{SOURCES[0]} item 4 (gazette-atlas-48240): url: missing" in report.rejections
    assert f"{SOURCES[2]}:8: not UTF-8 (byte 0xe9 at column 96)" in report.rejections
    assert count_articles(store) == 10
    urls = {a.url for a in iter_all(store)}
    assert PAGE_URL in urls
    assert "https://www.gazette-atlas.example/economie/tanger-med-record-conteneurs.html" in urls  # no utm_*


def test_importing_the_same_sources_twice_changes_nothing(
    store: Store, settings: config.Settings, seed_file: str, now: datetime
) -> None:
    import_sources(store, settings, [*SOURCES, seed_file], now=now)
    before = [(s.article, s.updated_at) for s in list_stored(store)]
    again = import_sources(store, settings, [*SOURCES, seed_file], now=now + timedelta(hours=1))
    assert (again.added, again.updated, again.unchanged) == (0, 0, 10)
    assert count_articles(store) == 10
    assert [(s.article, s.updated_at) for s in list_stored(store)] == before


def test_reimporting_a_changed_item_updates_it_in_place(
    store: Store, settings: config.Settings, tmp_path: Path, now: datetime
) -> None:
    line = {
        "url": "https://a.example/story?utm_campaign=x",
        "title": "First title",
        "body": "A first version of the story, long enough to read.",
        "published_at": "2026-11-28T07:00:00+01:00",
        "category": "World",
        "language": "en",
    }
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(line), encoding="utf-8")
    assert import_sources(store, settings, [str(path)], now=now).added == 1
    line |= {"url": "https://a.example/story", "title": "Corrected title"}
    path.write_text(json.dumps(line), encoding="utf-8")
    report = import_sources(store, settings, [str(path)], now=now + timedelta(minutes=5))
    assert (report.added, report.updated) == (0, 1)
    (stored,) = list_stored(store)
    assert stored.article.title == "Corrected title"
    assert stored.updated_at == now + timedelta(minutes=5) and stored.created_at == now


def test_a_feed_guid_identifies_an_item_whose_link_changed(store: Store, now: datetime) -> None:
    from digest.models import Article

    first = Article(
        url="https://news.example/a-1",
        guid="item-1",
        title="T",
        body="B",
        published_at=now,
        language="en",
    )
    assert upsert_article(store, first, now=now) is UpsertResult.ADDED
    moved = replace(first, url="https://news.example/a-1-renamed", title="T2")
    assert upsert_article(store, moved, now=now) is UpsertResult.UPDATED
    # The same bare GUID from another site is another article.
    other = replace(first, url="https://elsewhere.example/x")
    assert upsert_article(store, other, now=now) is UpsertResult.ADDED
    assert sorted(a.url for a in iter_all(store)) == ["https://elsewhere.example/x", "https://news.example/a-1-renamed"]


def test_undated_items_keep_the_date_they_were_first_seen(
    store: Store, settings: config.Settings, tmp_path: Path, now: datetime
) -> None:
    rss = (FIXTURES / "rss.xml").read_text(encoding="utf-8")
    path = tmp_path / "undated.xml"
    path.write_text(rss.replace("<pubDate>", "<!--").replace("</pubDate>", "-->"), encoding="utf-8")
    import_sources(store, settings, [str(path)], now=now)
    report = import_sources(store, settings, [str(path)], now=now + timedelta(hours=3))
    assert report.unchanged == 3
    assert {a.published_at for a in iter_all(store)} == {now}


def test_stored_fields_body_html_language_and_reading_time(
    store: Store, settings: config.Settings, now: datetime
) -> None:
    import_sources(store, settings, SOURCES, now=now)
    by_url = {a.url: a for a in iter_all(store)}
    derby = by_url["https://www.le-reporter.example/sport/derby-nul.html"]
    assert derby.body_html == (
        "<p>Les deux clubs de la ville se sont quittés sur un score de 3-3 samedi, au terme d’un derby haletant.</p>"
        "<p>Le gardien visiteur a arrêté un penalty à la dernière minute.</p>"
    )
    assert derby.language == "fr"  # detected: the line gives none
    summit = by_url["https://www.le-reporter.example/world/summit-closes.html"]
    assert summit.language == "en" and summit.published_at == datetime(2026, 11, 28, 19, 0, tzinfo=UTC)
    budget = by_url["https://www.le-reporter.example/politique/budget-2027-adopte.html"]
    assert budget.summary == "Le texte passe l’étape de l’Assemblée avec une majorité confortable."
    # Words as whitespace-separated tokens that hold a letter or digit ("«", "%" and "—" are not words).
    assert budget.word_count == sum(1 for w in budget.body.split() if any(c.isalnum() for c in w))
    assert budget.reading_minutes == 1
    assert all(a.reading_minutes == -(-a.word_count // {"fr": 204, "en": 238}[a.language]) for a in by_url.values())


def test_category_and_language_options_override_the_sources(
    store: Store, settings: config.Settings, now: datetime
) -> None:
    import_sources(store, settings, [SOURCES[1]], category="International", language="EN-gb", now=now)
    assert {(a.category, a.language) for a in iter_all(store)} == {("International", "en")}
    with pytest.raises(ValidationError, match="--language: 'anglais' is not a language code"):
        import_sources(store, settings, [SOURCES[1]], language="anglais", now=now)


def test_unreadable_sources_are_one_line_each_and_the_rest_is_imported(
    store: Store, settings: config.Settings, tmp_path: Path, server: FeedServer, now: datetime
) -> None:
    (tmp_path / "notes.txt").write_text("just some notes", encoding="utf-8")
    (tmp_path / "empty.jsonl").write_bytes(b"")
    report = import_sources(
        store,
        settings,
        [
            str(tmp_path / "missing.jsonl"),
            str(tmp_path / "notes.txt"),
            str(tmp_path / "empty.jsonl"),
            str(FIXTURES / "malformed.xml"),
            server.url("/gone"),
            "http://127.0.0.1:9/feed.xml",
            SOURCES[1],
        ],
        now=now,
    )
    assert report.added == 2
    assert report.rejections == [
        f"{tmp_path / 'missing.jsonl'}: file not found",
        f"{tmp_path / 'notes.txt'}: not a feed, a JSON Lines file or an HTML page",
        f"{tmp_path / 'empty.jsonl'}: empty",
        f"{FIXTURES / 'malformed.xml'}: not a valid RSS/Atom feed (<unknown>:4:0: no element found)",
        f"{server.url('/gone')}: HTTP 404 Not Found",
        "http://127.0.0.1:9/feed.xml: connection refused",
    ]


def test_urls_of_feeds_pages_and_json_lines_are_fetched_and_recognised(
    store: Store, settings: config.Settings, server: FeedServer, seed_text: str, now: datetime
) -> None:
    server.routes["/rss"] = Route(body=(FIXTURES / "rss.xml").read_bytes(), content_type="application/xml")
    server.routes["/lines"] = Route(body=(FIXTURES / "articles.jsonl").read_bytes(), content_type="text/plain")
    server.routes["/politique/otan.html"] = Route(body=build(seed_text).html.encode(), content_type="text/html")
    report = import_sources(
        store, settings, [server.url("/rss"), server.url("/lines"), server.url("/politique/otan.html")], now=now
    )
    assert (report.added, report.rejected) == (8, 9)
    assert f"{server.url('/lines')}:4: invalid JSON: Expecting ',' delimiter (column 80)" in report.rejections
    assert all(r.headers["user-agent"].startswith("digest/") for r in server.requests)


def test_fetching_is_refused_without_allow_private_networks(
    store: Store, tmp_path: Path, server: FeedServer, now: datetime
) -> None:
    path = tmp_path / "default.toml"
    path.write_text("", encoding="utf-8")
    report = import_sources(store, config.load(path, env={}), [server.url("/rss")], now=now)
    assert report.added == 0 and len(report.rejections) == 1
    assert "loopback address (set [ingest] allow_private_networks to allow)" in report.rejections[0]
    assert server.requests == []


# -- the CLI ------------------------------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path, db_url: str) -> dict[str, str]:
    cfg = tmp_path / "digest.toml"
    cfg.write_text('[schedule]\ntimezone = "Africa/Casablanca"\n', encoding="utf-8")
    env = {"DIGEST_CONFIG": str(cfg), "DIGEST_DATABASE_URL": db_url}
    assert CliRunner().invoke(cli, ["init"], env=env).exit_code == 0
    return env


def test_cli_import_prints_counts_and_rejections_and_exits_1(cli_env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["articles", "import", *SOURCES], env=cli_env)
    assert result.exit_code == 1
    assert result.stdout.strip().splitlines()[-1] == "added 9, updated 0, unchanged 0, rejected 9"
    assert f"rejected: {SOURCES[2]}:6: url: missing" in result.stderr
    assert f"warning: {SOURCES[2]}:9: unknown key rating ignored" in result.stderr
    again = CliRunner().invoke(cli, ["articles", "import", SOURCES[1]], env=cli_env)
    assert again.exit_code == 0 and again.stdout.strip() == "added 0, updated 0, unchanged 2, rejected 0"


def test_cli_list_json_has_every_stored_field_and_date_filter(cli_env: dict[str, str]) -> None:
    CliRunner().invoke(cli, ["articles", "import", *SOURCES], env=cli_env)
    result = CliRunner().invoke(cli, ["articles", "list", "--json"], env=cli_env)
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert len(rows) == 9
    assert set(rows[0]) == {
        "id",
        "url",
        "guid",
        "title",
        "body",
        "body_html",
        "summary",
        "author",
        "category",
        "language",
        "source",
        "published_at",
        "word_count",
        "reading_minutes",
        "feed_id",
        "content_hash",
        "created_at",
        "updated_at",
    }

    # 28 Nov 2026 in Casablanca (UTC+1): the 23:30 festival article belongs to the 28th, nothing to the 27th.
    def on(day: str) -> list[dict[str, object]]:
        out = CliRunner().invoke(cli, ["articles", "list", "--json", "--date", day], env=cli_env).stdout
        return list(json.loads(out))

    assert len(on("2026-11-28")) == 9
    assert on("2026-11-27") == []
    text = CliRunner().invoke(cli, ["articles", "list"], env=cli_env)
    assert "Festival du film : le palmarès dévoilé" in text.stdout and text.stdout.strip().endswith("9 articles")
    bad = CliRunner().invoke(cli, ["articles", "list", "--date", "28/11/2026"], env=cli_env)
    assert bad.exit_code != 0 and bad.stderr.strip() == "error: --date: expected YYYY-MM-DD, got '28/11/2026'"


def test_stored_rows_hold_a_content_hash(store: Store, settings: config.Settings, now: datetime) -> None:
    import_sources(store, settings, [SOURCES[1]], now=now)
    with store.engine.connect() as conn:
        hashes = conn.execute(select(t.articles.c.content_hash)).scalars().all()
    assert len(hashes) == 2 and all(len(h) == 64 for h in hashes)


def test_two_imports_of_the_same_file_at_once_store_each_article_once(
    store: Store, settings: config.Settings, now: datetime
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    # Separate engines: like two processes, each with its own connections.
    stores = [Store(store.url) for _ in range(2)]
    try:
        with ThreadPoolExecutor(2) as pool:
            reports = list(pool.map(lambda s: import_sources(s, settings, [SOURCES[2]], now=now), stores))
    finally:
        for s in stores:
            s.close()
    assert sum(r.added for r in reports) == 4
    assert sum(r.added + r.unchanged + r.updated for r in reports) == 8
    assert count_articles(store) == 4
