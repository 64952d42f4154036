"""The one word-counting rule shared by the budget, reading times and summaries."""

from __future__ import annotations

import pytest

from digest.words import word_count


def test_words_are_counted_as_a_reader_reads_them() -> None:
    assert word_count("L’OTAN et le porte-parole ont parlé : « 14 % » !") == 7


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("  \n ", 0),
        ("— : « » % !", 0),
        ("U.S. forces", 2),
        ("300 000 habitants", 3),
        ("1,5 % de croissance", 3),
        ("Scroll down for video", 4),
    ],
)
def test_punctuation_alone_is_not_a_word(text: str, expected: int) -> None:
    assert word_count(text) == expected
