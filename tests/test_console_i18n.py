"""Counts and times in the console (issue 25, item 9): every count through the
catalogue's plural rule (French: 0 and 1 singular), every time with its zone, in
English and French, over real HTTP on a real SQLite file."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from admin_support import make_admin, sign_in
from smtp_server import SMTPServer
from web_support import Clock, add_subscriber, web_settings

from digest import i18n
from digest.admins import Role
from digest.store import Store
from digest.web.app import create_app

OWNER = "owner@example.org"


async def pages(tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock, *paths: str) -> dict[str, str]:
    settings = web_settings(tmp_path, smtp.port, schedule={"timezone": "Europe/Paris"})
    app = create_app(settings, store, now=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        assert (await sign_in(client, OWNER)).status_code == 303
        return {path: html.unescape((await client.get(path)).text) for path in paths}


@pytest.mark.parametrize(
    ("readers", "lang", "said"),
    [
        (1, "en", "1 subscriber matches."),
        (1, "fr", "1 abonné correspond."),
        (0, "fr", "0 abonné correspond."),
        (0, "en", "0 subscribers match."),
        (2, "fr", "2 abonnés correspondent."),
    ],
)
async def test_a_count_takes_the_plural_form_of_the_language(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock, now: datetime, readers: int, lang: str, said: str
) -> None:
    make_admin(store, OWNER, Role.OWNER, now)
    for i in range(readers):
        add_subscriber(store, f"reader{i}@example.org", now)
    path = f"/admin/subscribers?lang={lang}"
    found = await pages(tmp_path, store, smtp, clock, path)
    assert f'id="result-count" role="status">{said}<' in found[path]


async def test_every_time_in_the_console_names_its_zone(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock, now: datetime
) -> None:
    make_admin(store, OWNER, Role.OWNER, now)
    add_subscriber(store, "ada@example.org", now)  # 06:00 UTC: 07:00 in Paris
    found = await pages(tmp_path, store, smtp, clock, "/admin/subscribers/1?lang=en", "/admin/subscribers/1?lang=fr")
    assert "2026-11-29 07:00 GMT+01:00" in found["/admin/subscribers/1?lang=en"]
    assert "2026-11-29 07:00 UTC+01:00" in found["/admin/subscribers/1?lang=fr"]
    assert "2026-11-29 07:00<" not in "".join(found.values())  # never a bare time


def test_zoned_time_follows_summer_time() -> None:
    summer = datetime(2026, 7, 1, 4, 0, tzinfo=UTC)
    assert i18n.zoned_time(summer, "Europe/Paris", "en") == "2026-07-01 06:00 GMT+02:00"
    assert i18n.zoned_time(summer, "America/New_York", "fr") == "2026-07-01 00:00 UTC-04:00"
