"""Building the day's editions from the store: stored once per date and language,
read back whole, rebuilt only before delivery; `digest edition build` on top."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, insert, select
from test_select import fixture_day

from digest import config
from digest.cli import cli
from digest.daily.build import build_editions, edition_window
from digest.editorial.plan import EditionRules, assemble_edition
from digest.editorial.summarizer import EXTRACTIVE
from digest.errors import NotFoundError, ValidationError
from digest.models import Article, EditionStatus, ItemKind
from digest.store import Store
from digest.store import tables as t
from digest.store.articles import published_between
from digest.store.editions import (
    EditionLockedError,
    editions_for_date,
    find_edition,
    get_edition,
    has_deliveries,
    save_edition,
)
from digest.words import word_count

DAY = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 5, 45, tzinfo=UTC)


def write_config(tmp_path: Path, db_url: str) -> Path:
    path = tmp_path / "digest.toml"
    path.write_text(f'[newsletter]\nname = "Le Brief"\n\n[database]\nurl = "{db_url}"\n', encoding="utf-8")
    return path


def load_settings(tmp_path: Path, db_url: str) -> config.Settings:
    return config.load(write_config(tmp_path, db_url), env={})


def insert_articles(store: Store, articles: list[Article], now: datetime = NOW) -> None:
    rows = [
        {
            "url": a.url,
            "guid": a.guid,
            "title": a.title,
            "body": a.body,
            "summary": a.summary,
            "category": a.category,
            "language": a.language,
            "source": a.source,
            "published_at": a.published_at,
            "word_count": word_count(a.body),  # what ingest stores
            "reading_minutes": 0,
            "created_at": now,
            "updated_at": now,
        }
        for a in articles
    ]
    with store.engine.begin() as conn:
        conn.execute(insert(t.articles), rows)


def add_delivery(store: Store, edition_id: int) -> None:
    with store.engine.begin() as conn:
        sub = conn.execute(
            insert(t.subscribers).values(
                email="reader@example.org", language="fr", status="confirmed", created_at=NOW, updated_at=NOW
            )
        ).inserted_primary_key[0]
        conn.execute(
            insert(t.deliveries).values(
                edition_id=edition_id, subscriber_id=sub, state="pending", due_at=NOW, created_at=NOW, updated_at=NOW
            )
        )


def edition_rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.editions)).scalar_one())


def test_window_ends_at_the_send_time_in_the_newsletter_timezone(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, "sqlite:///x.db")
    start, end = edition_window(settings, DAY)
    assert end == datetime(2026, 11, 29, 6, 0, tzinfo=UTC)  # 07:00 in Casablanca (UTC+1)
    assert end - start == timedelta(hours=24)
    paris = settings.with_overrides({"schedule": {"timezone": "Europe/Paris", "send_at": "06:30"}})
    assert edition_window(paris, date(2026, 7, 1))[1] == datetime(2026, 7, 1, 4, 30, tzinfo=UTC)  # summer time


def test_build_stores_each_language_with_items_in_order(store: Store, tmp_path: Path) -> None:
    settings = load_settings(tmp_path, store.url)
    insert_articles(store, fixture_day())
    built = build_editions(store, settings, edition_date=DAY, now=NOW)
    assert [e.language for e in built] == ["fr", "en"]
    for ed in built:
        assert ed.id is not None and ed.status is EditionStatus.BUILT and ed.built_at == NOW
        stored = get_edition(store, ed.id)
        assert stored == ed
        assert find_edition(store, "Le Brief", DAY, ed.language) == ed
        assert [i.position for i in stored.items] == list(range(len(stored.items)))
        assert all(i.article_id is not None for i in stored.items)
    fr = built[0]
    assert fr.top and fr.briefs and fr.word_count <= 204 * 5
    # What was stored is what the pure step composes from the same candidates.
    window = edition_window(settings, DAY)
    composed = assemble_edition(
        [a for a in fixture_day() if a.language == "fr"],
        newsletter="Le Brief",
        edition_date=DAY,
        language="fr",
        window=window,
        rules=EditionRules(),
        summarizer=EXTRACTIVE,
        now=NOW,
    )
    assert [(i.url, i.kind, i.summary) for i in fr.items] == [(i.url, i.kind, i.summary) for i in composed.items]
    pair = [i for i in fr.items if i.also_read]
    assert len(pair) == 1 and pair[0].also_read[0].source == "Info Matin"
    assert [e.language for e in editions_for_date(store, "Le Brief", DAY)] == ["en", "fr"]


def test_building_the_same_date_twice_keeps_the_first_edition(store: Store, tmp_path: Path) -> None:
    settings = load_settings(tmp_path, store.url)
    insert_articles(store, fixture_day())
    first = build_editions(store, settings, edition_date=DAY, now=NOW)
    late = Article(
        url="https://example.org/late-news",
        title="Dernière minute : accord salarial signé dans la fonction publique",
        body="Les syndicats et le gouvernement ont signé samedi un accord salarial. " * 30,
        published_at=datetime(2026, 11, 29, 5, 0, tzinfo=UTC),
        language="fr",
        category="Société",
    )
    insert_articles(store, [late])
    again = build_editions(store, settings, edition_date=DAY, now=NOW + timedelta(minutes=5))
    assert again == first
    assert edition_rows(store) == 2
    assert late.url not in {i.url for i in again[0].items}


def test_rebuild_before_delivery_replaces_the_content_in_place(store: Store, tmp_path: Path) -> None:
    settings = load_settings(tmp_path, store.url)
    insert_articles(store, fixture_day())
    (first,) = build_editions(store, settings, edition_date=DAY, now=NOW, languages=["fr"])
    scoop = Article(
        url="https://example.org/scoop",
        title="Le gouvernement annonce un plan national pour le rail",
        body="Le gouvernement a annoncé samedi un plan de 30 milliards pour moderniser le rail. " * 25,
        summary="Trente milliards pour le rail d'ici 2035. Les premières lignes rénovées ouvriront en 2028.",
        published_at=datetime(2026, 11, 29, 5, 30, tzinfo=UTC),
        language="fr",
        category="Économie",
    )
    insert_articles(store, [scoop])
    (rebuilt,) = build_editions(store, settings, edition_date=DAY, now=NOW, languages=["fr"], rebuild=True)
    assert rebuilt.id == first.id
    assert scoop.url in {i.url for i in rebuilt.items}
    assert get_edition(store, first.id or 0) == rebuilt
    assert edition_rows(store) == 1


def test_rebuild_is_refused_once_a_delivery_exists(store: Store, tmp_path: Path) -> None:
    settings = load_settings(tmp_path, store.url)
    insert_articles(store, fixture_day())
    (ed,) = build_editions(store, settings, edition_date=DAY, now=NOW, languages=["fr"])
    assert ed.id is not None and not has_deliveries(store, ed.id)
    add_delivery(store, ed.id)
    with pytest.raises(EditionLockedError, match="deliveries"):
        build_editions(store, settings, edition_date=DAY, now=NOW, languages=["fr"], rebuild=True)
    with pytest.raises(EditionLockedError):
        save_edition(store, ed, rebuild=True, now=NOW)
    assert get_edition(store, ed.id) == ed
    # Without --rebuild the stored edition is simply returned.
    assert build_editions(store, settings, edition_date=DAY, now=NOW, languages=["fr"]) == [ed]


def test_concurrent_saves_create_one_edition(store: Store) -> None:
    insert_articles(store, fixture_day())
    edition = assemble_edition(
        published_between(store, datetime(2026, 11, 20, tzinfo=UTC), NOW),
        newsletter="Le Brief",
        edition_date=DAY,
        language="en",
        window=(datetime(2026, 11, 28, 6, tzinfo=UTC), datetime(2026, 11, 29, 6, tzinfo=UTC)),
        rules=EditionRules(),
        summarizer=EXTRACTIVE,
        now=NOW,
    )
    results: list[int | None] = []
    errors: list[BaseException] = []

    def save() -> None:
        try:
            results.append(save_edition(store, edition, rebuild=False, now=NOW).id)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=save) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert len(set(results)) == 1 and edition_rows(store) == 1
    with store.engine.connect() as conn:
        items = conn.execute(select(func.count()).select_from(t.edition_items)).scalar_one()
    assert items == len(edition.items)


def test_a_language_without_articles_is_stored_as_skipped_once_its_window_closed(store: Store, tmp_path: Path) -> None:
    settings = load_settings(tmp_path, store.url)
    insert_articles(store, [a for a in fixture_day() if a.language == "fr"])
    closed = edition_window(settings, DAY)[1]  # before that, an empty edition is not stored (test_daily_no_lost_days)
    fr, en = build_editions(store, settings, edition_date=DAY, now=closed)
    assert fr.status is EditionStatus.BUILT
    assert en.status is EditionStatus.SKIPPED and en.items == () and en.id is not None
    with store.engine.connect() as conn:
        reason = conn.execute(select(t.editions.c.skip_reason).where(t.editions.c.id == en.id)).scalar_one()
    assert reason


def test_unknown_edition_and_language_are_clear_errors(store: Store, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="edition 999"):
        get_edition(store, 999)
    assert find_edition(store, "Le Brief", DAY, "fr") is None
    with pytest.raises(ValidationError, match="'de'"):
        build_editions(store, load_settings(tmp_path, store.url), edition_date=DAY, now=NOW, languages=["de"])


def test_cli_edition_build_prints_the_outline_and_is_idempotent(store: Store, tmp_path: Path) -> None:
    insert_articles(store, fixture_day())
    cfg = str(write_config(tmp_path, store.url))
    runner = CliRunner()
    first = runner.invoke(cli, ["--config", cfg, "edition", "build", "--date", "2026-11-29"])
    assert first.exit_code == 0, first.output
    out = first.stdout
    assert "Le Brief · fr · dimanche 29 novembre 2026" in out
    assert "Le Brief · en · Sunday, November 29, 2026" in out
    assert "built)" in out and "En bref" in out and "In brief" in out
    assert "La Chambre des représentants adopte le projet de loi de finances 2027" in out
    assert "+ Loi de finances : feu vert des députés" in out  # the folded duplicate
    assert "5 min read" in out
    second = runner.invoke(cli, ["--config", cfg, "edition", "build", "--date", "2026-11-29", "--language", "fr"])
    assert second.exit_code == 0 and "already built, unchanged" in second.stdout
    assert edition_rows(store) == 2
    rebuilt = runner.invoke(cli, ["--config", cfg, "edition", "build", "--date", "2026-11-29", "--rebuild"])
    assert rebuilt.exit_code == 0 and "rebuilt" in rebuilt.stdout
    fr = find_edition(store, "Le Brief", DAY, "fr")
    assert fr is not None and fr.items[0].kind is ItemKind.TOP


def test_cli_edition_build_errors_are_one_line(store: Store, tmp_path: Path) -> None:
    cfg = str(write_config(tmp_path, store.url))
    runner = CliRunner()
    bad_date = runner.invoke(cli, ["--config", cfg, "edition", "build", "--date", "29/11/2026"])
    assert bad_date.exit_code != 0 and bad_date.stderr.strip().startswith("error: --date")
    assert len(bad_date.stderr.strip().splitlines()) == 1
    bad_lang = runner.invoke(cli, ["--config", cfg, "edition", "build", "--language", "xx"])
    assert bad_lang.exit_code != 0 and "error: language 'xx'" in bad_lang.stderr
    insert_articles(store, fixture_day())
    ok = runner.invoke(cli, ["--config", cfg, "edition", "build", "--date", "2026-11-29", "--language", "fr"])
    assert ok.exit_code == 0
    fr = find_edition(store, "Le Brief", DAY, "fr")
    assert fr is not None and fr.id is not None
    add_delivery(store, fr.id)
    locked = runner.invoke(cli, ["--config", cfg, "edition", "build", "--date", "2026-11-29", "--rebuild"])
    assert locked.exit_code == 1 and "cannot be rebuilt" in locked.stderr and "Traceback" not in locked.output
