"""The editor's desk in Chromium: a rebuild keeps the editor's edit and pin, and the
banner saying so is in view after the page scrolls back to the story; two stories merged
and a third put in the "Et enfin" slot from the desk, which passes axe-core."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from browser_support import BROWSER_MARKS, serious_violations, sign_in
from test_browser_admin import Site, site  # noqa: F401  (the fixture)
from test_daily_build import insert_articles

from digest.daily.build import edition_window
from digest.models import Article
from digest.store.editions import get_edition

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = BROWSER_MARKS

BODY = (
    "Le Parlement a adopté mardi le budget de l'État pour 2027 par 312 voix contre 201. "
    "Le texte prévoit 4,2 milliards d'euros pour les hôpitaux et la rénovation de 500 écoles. "
    "L'opposition dénonce une hausse de la dette publique et annonce un recours. "
)
RAIN = (
    "Météo-France annonce le retour de la pluie sur la moitié nord du pays dès jeudi. "
    "Les cumuls atteindront 40 millimètres en Bretagne et en Normandie selon les prévisionnistes. "
    "Les agriculteurs attendaient ces précipitations après six semaines de sécheresse. "
)


def _articles(served: Site) -> None:
    """The two stories of the site's edition as stored articles, in today's window."""
    day = date.fromisoformat(served.day)
    _, end = edition_window(served.settings, day)
    at = min(end, datetime.now(UTC)) - timedelta(hours=1)
    edition = get_edition(served.store, served.edition_id)
    bodies = (BODY * 6, RAIN * 6)
    insert_articles(
        served.store,
        [
            Article(
                url=item.url,
                title=item.title,
                body=body,
                published_at=at,
                language="fr",
                category="Politique",
                guid=item.url,
                source="Le Quotidien",
            )
            for item, body in zip(edition.items, bodies, strict=True)
        ],
    )


def test_rebuild_keeps_the_editors_edit_and_pin_in_a_real_browser(site: Site, browser: Browser) -> None:  # noqa: F811
    from playwright.sync_api import expect

    _articles(site)
    base = site.base_url
    page = browser.new_context(locale="en-GB", viewport={"width": 375, "height": 700}).new_page()
    sign_in(page, base, "editor@example.org")
    page.goto(f"{base}/admin/editions/{site.day}")
    page.get_by_text("Edit story 1").click()
    page.locator("#summary-fr-0").fill("Le résumé de la rédaction, gardé.")
    page.get_by_role("button", name="Save story 1").click()
    expect(page.get_by_role("status").first).to_contain_text("Story 1 saved")
    page.get_by_role("button", name="Pin story 2 as the lead").click()
    banner = page.get_by_role("status").first
    expect(banner).to_contain_text("Story 2 pinned as the lead")
    expect(banner).to_be_in_viewport()
    page.get_by_role("button", name="Rebuild", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("Edition rebuilt; every decision kept.")
    frame = page.frame_locator("iframe.preview").first
    expect(frame.locator("body")).to_contain_text("Le résumé de la rédaction, gardé.")
    rebuilt = get_edition(site.store, site.edition_id)
    assert [i.title for i in rebuilt.items] == ["La pluie revient", "Le budget adopté"]
    assert rebuilt.items[1].summary == "Le résumé de la rédaction, gardé."


JAZZ = (
    "Le festival de jazz de Chefchaouen a ouvert vendredi soir sa douzième édition devant 3 000 spectateurs. "
    "Quarante musiciens venus de neuf pays joueront jusqu'à dimanche sur la place Outa el Hammam. "
    "Les organisateurs ont ajouté cette année une scène consacrée aux jeunes talents de la région. "
)
JAZZ_URL = "https://culture.example.org/jazz-chefchaouen"


def _three_stories(served: Site) -> None:
    """The site's two stories as stored articles, and a third (culture) from another outlet."""
    _articles(served)
    day = date.fromisoformat(served.day)
    _, end = edition_window(served.settings, day)
    at = min(end, datetime.now(UTC)) - timedelta(hours=2)
    jazz = Article(
        url=JAZZ_URL,
        title="Le festival de jazz de Chefchaouen ouvre ses portes",
        body=JAZZ * 6,
        published_at=at,
        language="fr",
        category="Culture",
        guid=JAZZ_URL,
        source="Culture Mag",
    )
    insert_articles(served.store, [jazz])


def _position(served: Site, url: str) -> int:
    return next(i.position for i in get_edition(served.store, served.edition_id).items if i.url == url)


def test_merge_and_and_finally_from_the_desk_in_a_real_browser(site: Site, browser: Browser) -> None:  # noqa: F811
    from playwright.sync_api import expect

    _three_stories(site)
    base = site.base_url
    budget_url, rain_url = (i.url for i in get_edition(site.store, site.edition_id).items)
    # bypass_csp: the console's CSP rightly refuses the injected axe script.
    context = browser.new_context(locale="en-GB", viewport={"width": 375, "height": 700}, bypass_csp=True)
    page = context.new_page()
    sign_in(page, base, "editor@example.org")
    page.goto(f"{base}/admin/editions/{site.day}")
    page.get_by_role("button", name="Rebuild", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("Edition rebuilt")
    assert len(get_edition(site.store, site.edition_id).items) == 3

    first, second = _position(site, budget_url), _position(site, rain_url)
    page.get_by_label(f"Story to merge into story {first + 1}").select_option(str(second))
    page.get_by_role("button", name=f"Merge into story {first + 1}", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text(f"Story {second + 1} merged into story {first + 1}.")
    merged = get_edition(site.store, site.edition_id).items
    assert len(merged) == 2
    assert [link.url for link in merged[_position(site, budget_url)].also_read] == [rain_url]
    expect(page.locator(f"#story-fr-{_position(site, budget_url)}")).to_contain_text("2 sources")

    jazz = _position(site, JAZZ_URL)
    page.get_by_role("button", name=f"Mark story {jazz + 1} as “And finally”").click()
    expect(page.get_by_role("status").first).to_contain_text(f"Story {jazz + 1} marked as “And finally”.")
    items = get_edition(site.store, site.edition_id).items
    assert items[-1].url == JAZZ_URL and items[-1].kind.value == "finally"
    assert sum(1 for i in items if i.kind.value == "finally") == 1
    frame = page.frame_locator("iframe.preview").first
    expect(frame.locator("body")).to_contain_text("Et enfin")
    jazz = _position(site, JAZZ_URL)
    expect(page.get_by_role("button", name=f"Take story {jazz + 1} out of “And finally”")).to_be_visible()
    assert serious_violations(page, "desk-merge-finally") == {}
