"""The fixture news days (tests/fixtures/newsday, tests/fixtures/briefing, the bundled sample)
loaded as articles, and what an editor makes of the newsday (expected.json)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from digest.editorial.plan import EditionRules, assemble_edition
from digest.editorial.summarizer import EXTRACTIVE
from digest.ingest.language import detect_language
from digest.models import Article, Edition

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NEWSDAY = FIXTURES / "newsday"
END = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
START = END - timedelta(hours=24)
DAY = date(2026, 11, 29)


def load_day(path: Path) -> list[Article]:
    """Every article of a JSON Lines day, ``id`` its line number."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        d = json.loads(line)
        out.append(
            Article(
                id=n,
                url=d["url"],
                title=d["title"],
                body=d.get("body", ""),
                published_at=datetime.fromisoformat(d["published_at"]),
                language=d.get("language") or detect_language(f"{d['title']}\n{d.get('body', '')}") or "fr",
                category=d.get("category", ""),
                source=d.get("source", ""),
                summary=d.get("summary", ""),
                guid=d.get("guid", ""),
            )
        )
    return out


#: The six-outlet days: (articles file, what an editor makes of it).
DAYS = {"en": ("day.jsonl", "expected.json"), "fr": ("jour.jsonl", "jour.expected.json")}


def expected(language: str = "en") -> dict[str, Any]:
    """What an editor makes of the newsday in ``language``."""
    data: dict[str, Any] = json.loads((NEWSDAY / DAYS[language][1]).read_text(encoding="utf-8"))
    return data


def newsday(language: str = "en") -> list[Article]:
    """The six-outlet English day, or the French one."""
    return load_day(NEWSDAY / DAYS[language][0])


def short(guid: str) -> str:
    """ "newsday:quake-a" -> "quake-a"."""
    return guid.split(":", 1)[1]


def build(articles: list[Article], language: str, *, end: datetime = END) -> Edition:
    """The edition of the day's articles with the default rules."""
    return assemble_edition(
        articles,
        newsletter="The Brief",
        edition_date=end.date(),
        language=language,
        window=(end - timedelta(hours=24), end),
        rules=EditionRules(),
        summarizer=EXTRACTIVE,
        now=end,
    )


def fixture_days() -> list[tuple[str, list[Article], str, datetime]]:
    """Every fixture day and language, for tests that must hold on all of them."""
    briefing = load_day(FIXTURES / "briefing" / "day.jsonl")
    sample = load_day(FIXTURES.parent.parent / "digest" / "sample" / "articles.jsonl")
    sample_end = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
    return [
        ("newsday-en", newsday(), "en", END),
        ("newsday-fr", newsday("fr"), "fr", END),
        ("briefing-fr", briefing, "fr", END),
        ("briefing-en", briefing, "en", END),
        ("sample-fr", sample, "fr", sample_end),
        ("sample-en", sample, "en", sample_end),
    ]
