"""The console's catalogue: every message of templates/web/admin and of the console's
code is translated in French and English with the same placeholders."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from jinja2 import Environment

from digest.render import i18n
from digest.web.admin.core import DOMAIN, VALUE_LABELS

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def used_messages() -> set[str]:
    """msgids of the console templates (Jinja2's extractor) and of gettext(request, "...") calls."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    found: set[str] = set(VALUE_LABELS)
    for path in (ROOT / "templates" / "web" / "admin").glob("*.html"):
        for _line, _func, message in env.extract_translations(path.read_text(encoding="utf-8")):  # type: ignore[attr-defined]
            first = message if isinstance(message, str | None) else message[0]
            if isinstance(first, str):
                found.add(first)
    for path in (ROOT / "digest" / "web" / "admin").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") == "gettext"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
            ):
                found.add(node.args[1].value)
    return found


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_console_message_is_translated_with_the_same_placeholders(language: str) -> None:
    with i18n.catalogue_path(language, DOMAIN).open("rb") as fp:
        catalog = read_po(fp, locale=language)
    strings = {m.id: m.string for m in catalog if m.id and isinstance(m.id, str)}
    used = used_messages()
    assert len(used) > 150
    missing = sorted(used - strings.keys())
    assert not missing, f"{language}: not in admin.po: {missing}"
    stale = sorted(strings.keys() - used)
    assert not stale, f"{language}: unused in admin.po: {stale}"
    for msgid, text in strings.items():
        assert text, f"{language}: untranslated {msgid!r}"
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(msgid)), (language, msgid)


def test_french_console_labels_come_from_the_catalogue() -> None:
    assert i18n.translations("fr", DOMAIN).gettext("Dashboard") == "Tableau de bord"
    assert i18n.translations("en", DOMAIN).gettext("Dashboard") == "Dashboard"
