"""The scores of benchmarks/extraction.py: trafilatura's snippet metric and the token-level F1."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from extraction_scores import mean_scores, prf, snippet_counts, token_scores, tokens

GOLD = "The council voted on Tuesday. The pier will be rebuilt."


def test_the_gold_text_itself_scores_one() -> None:
    assert token_scores(GOLD, GOLD) == (1.0, 1.0, 1.0)


def test_extra_words_cost_precision_and_missing_words_cost_recall() -> None:
    # 10 gold tokens; 5 of them extracted plus 5 that are not in the gold.
    p, r, f = token_scores("The council voted on Tuesday. Share this story on Facebook now", GOLD)
    assert (p, r) == (pytest.approx(5 / 11), pytest.approx(5 / 10))
    assert f == pytest.approx(2 * p * r / (p + r))


def test_tokens_are_counted_with_their_repeats_and_case_folded() -> None:
    # "the" twice in the gold: a text with it once has recall 9/10, with it three times precision 10/11.
    assert token_scores("council voted on Tuesday. The pier will be rebuilt.", GOLD)[1] == pytest.approx(9 / 10)
    assert token_scores(GOLD + " THE", GOLD)[0] == pytest.approx(10 / 11)


def test_nothing_extracted_scores_zero() -> None:
    assert token_scores("", GOLD) == (0.0, 0.0, 0.0)


def test_each_chinese_or_japanese_character_is_a_token() -> None:
    assert sum(tokens("谷歌在2014年").values()) == 5
    assert sum(tokens("l’OTAN a dit").values()) == 4


def test_snippets_found_missed_and_let_through() -> None:
    text = "The council voted on Tuesday.\nThe pier will be   rebuilt."
    counts = snippet_counts(text, ["council voted", "pier will be rebuilt", "a missing line"], ["Share this"])
    assert counts == (2, 0, 1)
    assert snippet_counts(text + " Share this", ["council voted"], ["Share this"]) == (1, 1, 0)
    assert prf(2, 0, 1) == (1.0, pytest.approx(2 / 3), pytest.approx(0.8))


def test_page_scores_are_averaged_over_pages() -> None:
    assert mean_scores([(1.0, 0.5, 0.6), (0.5, 1.0, 0.8)]) == (0.75, 0.75, pytest.approx(0.7))
    assert mean_scores([]) == (0.0, 0.0, 0.0)
