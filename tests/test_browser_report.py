"""The edition report page in a real browser (headless Chromium, Playwright) over
uvicorn: its figures are the JSON API's for a seeded edition with known clicks,
bounces and unsubscribes, its charts are SVG drawn without script, and it passes
axe-core at 375 px in light and dark mode, in English and French."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from admin_support import make_admin
from browser_support import BROWSER_MARKS, serious_violations, serving, sign_in
from smtp_server import SMTPServer
from tracking_support import BROWSER, EXPECTED, EXPECTED_STORIES, seed_report
from web_support import ADMIN_TOKEN, Clock, web_settings

from digest.admins import Role
from digest.store import Store
from digest.web.app import create_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = BROWSER_MARKS
DAY = date(2026, 11, 29)


def test_report_page_shows_the_apis_figures_and_passes_axe(
    tmp_path: Path, migrated_sqlite: Callable[[Path], Store], smtp: SMTPServer, clock: Clock, browser: Browser
) -> None:
    store = migrated_sqlite(tmp_path / "report.db")
    make_admin(store, "owner@example.org", Role.OWNER, clock.now)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = web_settings(
        tmp_path,
        smtp.port,
        base_url=base,
        web={"trusted_proxies": ["127.0.0.1"]},
        selection={"learn_from_clicks": True},
    )
    app = create_app(settings, store, now=clock)
    try:
        with serving(app, sock), httpx.Client(base_url=base) as http:

            def click(path: str, ip: str) -> int:
                headers = {"user-agent": BROWSER, "x-forwarded-for": ip}
                return http.get(path, headers=headers, follow_redirects=False).status_code

            edition_id = seed_report(store, settings, clock, click, DAY)
            clock.advance(days=10)
            api = http.get(f"/api/editions/{edition_id}/report", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
            assert api.status_code == 200
            figures = api.json()
            assert {k: figures[k] for k in EXPECTED} == EXPECTED
            found: dict[str, Any] = {}
            for scheme in ("light", "dark"):
                context = browser.new_context(
                    locale="en-GB", viewport={"width": 375, "height": 900}, color_scheme=scheme,
                    bypass_csp=True, java_script_enabled=True,
                )  # fmt: skip
                page = context.new_page()
                sign_in(page, base, "owner@example.org")
                cookies = context.cookies()
                for lang in ("en", "fr"):
                    page.goto(f"{base}/admin/editions/{DAY}/report?lang={lang}")
                    found |= serious_violations(page, f"report ({scheme}, {lang})")
                context.close()
            # The figures and charts need no script: read them with JavaScript off.
            context = browser.new_context(locale="en-GB", java_script_enabled=False)
            page = context.new_page()
            page.context.add_cookies(cookies)
            page.goto(f"{base}/admin/editions/{DAY}/report?lang=en")
            section = page.locator("#report-fr")
            shown = {name: int(section.locator(f'tr[data-figure="{name}"] td').inner_text()) for name in EXPECTED}
            assert shown == EXPECTED
            stories = {
                s: tuple(int(x) for x in section.locator(f'tr[data-story="{s}"] td').all_inner_texts())
                for s in EXPECTED_STORIES
            }
            assert stories == EXPECTED_STORIES
            assert section.locator("svg[role=img] rect").count() == len(EXPECTED_STORIES) + 3
            assert "learns from clicks" in section.inner_text()
            context.close()
            assert found == {}
    finally:
        sock.close()
        store.close()
