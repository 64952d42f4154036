"""The Summarizer seam: the edition build summarises with the summariser it is given,
and ``[summarize] backend`` chooses it in one place (digest.daily.build.summarizer_for)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from test_daily_build import DAY, NOW, insert_articles, load_settings
from test_select import END, START, fixture_day

from digest import config
from digest.config.sections import SummarizeSettings
from digest.daily.build import SUMMARIZERS, build_editions, summarizer_for
from digest.editorial.plan import EditionRules, assemble_edition
from digest.editorial.summarize import BRIEF, LEAD, STYLES, Style, Summary, summarize_article
from digest.editorial.summarizer import EXTRACTIVE, ExtractiveSummarizer, Summarizer
from digest.errors import ConfigError
from digest.models import Article, Edition
from digest.store import Store

ARTICLES = fixture_day()


@dataclass
class Headlines:
    """A summariser of its own: a sentence made of the headline, said twice (long
    enough for every style), recording what it was asked."""

    asked: list[tuple[str, Style]] = field(default_factory=list)

    def summarize(self, article: Article, style: Style) -> Summary:
        self.asked.append((article.url, style))
        sentence = f"Résumé maison : {article.title.strip()} (récit complet en ligne)."
        return Summary((sentence, sentence), "extract")


def edition(summarizer: Summarizer) -> Edition:
    return assemble_edition(
        ARTICLES,
        newsletter="Le Brief",
        edition_date=DAY,
        language="fr",
        window=(START, END),
        rules=EditionRules(),
        summarizer=summarizer,
        now=NOW,
    )


def test_the_edition_carries_the_summaries_of_the_summariser_it_is_given() -> None:
    own = Headlines()
    mine = edition(own)
    assert mine.items
    for item in mine.items:
        expected = f"Résumé maison : {item.title} (récit complet en ligne)."
        assert item.summary == f"{expected} {expected}", item.url
    assert {i.url for i in mine.items} <= {url for url, _style in own.asked}
    styles = [style for _url, style in own.asked]
    assert LEAD in styles and BRIEF in styles  # each slot asks in its own style
    assert not any(i.summary.startswith("Résumé maison") for i in edition(EXTRACTIVE).items)


def test_extractive_summarizer_is_summarize_article() -> None:
    article = next(a for a in ARTICLES if a.language == "fr" and a.body)
    for style in STYLES.values():
        assert ExtractiveSummarizer().summarize(article, style) == summarize_article(article, style)


def test_build_editions_uses_the_summariser_passed_in(store: Store, tmp_path: Path) -> None:
    settings = load_settings(tmp_path, store.url)
    insert_articles(store, ARTICLES)
    (fr,) = build_editions(store, settings, edition_date=DAY, now=NOW, languages=["fr"], summarizer=Headlines())
    assert fr.items and all(i.summary.startswith("Résumé maison") for i in fr.items)


def test_backend_setting_names_the_extractive_summariser_by_default(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, "sqlite:///x.db")
    assert settings.summarize.backend == "extractive"
    assert summarizer_for(settings) is EXTRACTIVE


def test_every_backend_choice_has_a_summariser_and_others_are_refused(tmp_path: Path) -> None:
    (backend,) = [f for f in dataclasses.fields(SummarizeSettings) if f.name == "backend"]
    assert set(backend.metadata["choices"]) == set(SUMMARIZERS)
    path = tmp_path / "digest.toml"
    path.write_text('[summarize]\nbackend = "gpt"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[summarize\] backend"):
        config.load(path, env={})
