"""The newsletter's name in a sentence: French contractions, English prepositions."""

from __future__ import annotations

import pytest

from digest.text.names import phrases, split_article, with_preposition


@pytest.mark.parametrize(
    ("preposition", "name", "article", "expected"),
    [
        ("à", "Le Brief", "", "au Brief"),
        ("de", "Le Brief", "", "du Brief"),
        ("de", "L'Essentiel", "", "de L'Essentiel"),
        ("à", "L’Essentiel", "", "à L’Essentiel"),
        ("à", "Les Échos", "", "aux Échos"),
        ("de", "Les Échos", "", "des Échos"),
        ("à", "La Croix", "", "à La Croix"),
        ("de", "Ouest-Matin", "", "d'Ouest-Matin"),
        ("de", "Digest", "", "de Digest"),
        ("à", "Le Brief", "none", "à Le Brief"),
        ("à", "Lettre du matin", "", "à Lettre du matin"),
    ],
)
def test_french_contracts_the_preposition_with_the_names_article(
    preposition: str, name: str, article: str, expected: str
) -> None:
    assert with_preposition(preposition, name, article) == expected


def test_configured_article_must_match_the_name_to_contract() -> None:
    assert split_article("Le Brief", "le") == ("le", "Brief")
    assert split_article("Le Brief", "la") == ("", "Le Brief")


def test_english_keeps_the_name_whole() -> None:
    assert phrases("Le Brief", "en") == {
        "to_newsletter": "to Le Brief",
        "from_newsletter": "from Le Brief",
        "of_newsletter": "of Le Brief",
    }
    assert phrases("Le Brief", "fr")["to_newsletter"] == "au Brief"
