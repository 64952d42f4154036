"""What a reader sees, in a real browser (headless Chromium driven by Playwright): the
inlined HTML at phone width has no horizontal scroll and shows every headline; at
600 px the card is 600 px wide. `digest preview --screenshot` writes the PNGs.
Screenshots are kept in test-artifacts/email/."""

from __future__ import annotations

import struct
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser_support import BROWSER_MARKS, CHROMIUM
from email_samples import DAY, composer, french_edition

from digest.cli import preview as preview_cli
from digest.mail.parts import html_part
from digest.models import EditionItem, ItemKind, Subscriber

if TYPE_CHECKING:
    from playwright.sync_api import Browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "email"

pytestmark = BROWSER_MARKS


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture(scope="module")
def email_html(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The HTML part of a real message, with a headline made of one very long word and
    a long URL in a summary (the things that push a narrow layout sideways)."""
    edition = french_edition()
    stubborn = EditionItem(
        position=50,
        kind=ItemKind.TOP,
        category="Technologie",
        title="Intelligenceartificiellegénérativeetanticonstitutionnellementrégulée : le texte",
        url="https://tech.example.ma/ia",
        summary="Le texte complet : https://www.example.ma/un/tres/long/chemin/sans/espace/aucun/pour/couper/la/ligne.",
        reading_minutes=4,
    )
    edition = replace(edition, items=(*edition.items, stubborn))
    message = composer(signed=False).compose(
        edition, Subscriber(email="zoe@example.com", name="Zoé", id=1), delivery_id=None, now=preview_now()
    )
    folder = tmp_path_factory.mktemp("email")
    html = (html_part(message.data) or "").replace("\r\n", "\n")
    path = folder / "edition.html"
    path.write_text(html, encoding="utf-8")
    return path, [i.title for i in edition.items]


def preview_now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime(2026, 11, 29, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize("width", [375, 600])
def test_no_horizontal_scroll_and_every_headline_visible(
    email_html: tuple[Path, list[str]], width: int, browser: Browser
) -> None:
    path, titles = email_html
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page.goto(path.as_uri())
    scroll_width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    assert scroll_width <= width
    for title in titles:
        link = page.get_by_role("link", name=title, exact=True)
        assert link.count() >= 1, title
        box = link.first.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0, title
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (title, box)
        assert link.first.is_visible()
    card = page.locator("table.container").bounding_box()
    assert card is not None
    assert card["width"] == pytest.approx(min(width, 600), abs=1)
    page.screenshot(path=str(ARTIFACTS / f"edition-{width}.png"), full_page=True)


def test_preview_screenshots_are_600_and_375_pixels_wide(email_html: tuple[Path, list[str]], tmp_path: Path) -> None:
    path, _ = email_html
    pngs = preview_cli.screenshots(path, tmp_path, f"edition-{DAY}-fr")
    assert [p.name for p in pngs] == [f"edition-{DAY}-fr-600.png", f"edition-{DAY}-fr-375.png"]
    widths = [png_size(p) for p in pngs]
    assert [w for w, _ in widths] == [600, 375]
    assert all(h > 1500 for _, h in widths)  # full page, not just the first screen
    assert widths[1][1] > widths[0][1]  # narrower means taller


def test_chromium_command_line_fallback_takes_a_screenshot(email_html: tuple[Path, list[str]], tmp_path: Path) -> None:
    path, _ = email_html
    png = tmp_path / "cli-375.png"
    preview_cli._chromium_cli(str(CHROMIUM), path, png, 375)
    assert png_size(png) == (375, preview_cli.FALLBACK_HEIGHT)
