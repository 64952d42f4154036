"""The edition report: one function's figures, and every door (JSON API, CSV download,
`digest report`) shows the same ones for a seeded edition with known clicks, bounces
and unsubscribes. The console page in a browser: tests/test_browser_report.py."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

import httpx
from admin_support import make_admin, sign_in
from click.testing import CliRunner
from smtp_server import SMTPServer
from tracking_support import BROWSER, EXPECTED, EXPECTED_STORIES, EXPECTED_TOPICS, seed_report
from web_support import ADMIN_TOKEN, Clock, web_settings

from digest.admins import Role
from digest.cli import cli
from digest.store import Store
from digest.web.app import create_app

DAY = date(2026, 11, 29)


def figures_of_csv(
    text: str,
) -> tuple[dict[str, int], dict[int, tuple[int, int, int]], dict[str, tuple[int, int, int]]]:
    totals, stories, topics = {}, {}, {}
    for row in csv.DictReader(io.StringIO(text)):
        if row["row"] == "total":
            totals[row["key"]] = int(row["count"])
        elif row["row"] == "story":
            stories[int(row["key"])] = (int(row["count"]), int(row["readers"]), int(row["machine"]))
        elif row["row"] == "topic":
            topics[row["key"]] = (int(row["count"]), int(row["readers"]), int(row["machine"]))
    return totals, stories, topics


def test_json_csv_and_cli_agree_on_a_seeded_edition(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    settings = web_settings(tmp_path, smtp.port, database={"url": store.url})
    app = create_app(settings, store, now=clock)
    make_admin(store, "owner@example.org", Role.OWNER, clock.now)

    # Clicks go over HTTP through the app, each from its own client address.
    def click(path: str, ip: str) -> int:
        async def one() -> int:
            transport = httpx.ASGITransport(app=app, client=(ip, 4000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                return (await c.get(path, headers={"user-agent": BROWSER})).status_code

        return asyncio.run(one())

    edition_id = seed_report(store, settings, clock, click, DAY)
    clock.advance(days=10)  # read once the seven-day window has closed

    async def read() -> tuple[dict[str, object], str]:
        transport = httpx.ASGITransport(app=app, client=("198.51.100.1", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            api = await c.get(f"/api/editions/{edition_id}/report", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
            assert api.status_code == 200
            assert (await sign_in(c, "owner@example.org")).status_code == 303
            download = await c.get(f"/admin/editions/{DAY}/report.csv")
            assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
            return api.json(), download.text

    api, csv_text = asyncio.run(read())
    assert {k: api[k] for k in EXPECTED} == EXPECTED
    assert api["unsubscribed_by"] == {"link": 1, "one-click": 1}
    assert {s["position"]: (s["clicks"], s["readers"], s["machine_clicks"]) for s in api["stories"]} == EXPECTED_STORIES  # type: ignore[index,union-attr]
    assert {t["topic"]: (t["clicks"], t["readers"], t["machine_clicks"]) for t in api["topics"]} == EXPECTED_TOPICS  # type: ignore[index,union-attr]

    totals, stories, topics = figures_of_csv(csv_text)
    assert totals == EXPECTED and stories == EXPECTED_STORIES and topics == EXPECTED_TOPICS

    config = tmp_path / "digest.toml"
    config.write_text(f'[newsletter]\nname = "Le Brief"\n\n[database]\nurl = "{store.url}"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "report", "--date", DAY.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    (printed,) = json.loads(result.output)
    assert printed == api
    text = CliRunner().invoke(cli, ["--config", str(config), "report", "--date", DAY.isoformat()])
    assert text.exit_code == 0 and "machine_clicks" in text.output and "Le budget est voté" in text.output
    # Stories are numbered from 1, as the console numbers them.
    for story in api["stories"]:  # type: ignore[union-attr]
        line = rf"^ +{story['position'] + 1}\. +{story['clicks']} +\d+ +\d+  {re.escape(story['title'])}$"  # type: ignore[index]
        assert re.search(line, text.output, re.M), text.output


def test_the_report_keeps_its_figures_once_the_events_are_rolled_up_by_the_daily_tick(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    from digest.daily.report import as_json, edition_report
    from digest.daily.tick import DailyTicker
    from digest.store import tracking as tracking_db

    settings = web_settings(tmp_path, smtp.port, tracking={"retention_days": 90})
    app = create_app(settings, store, now=clock)

    def click(path: str, ip: str) -> int:
        async def one() -> int:
            transport = httpx.ASGITransport(app=app, client=(ip, 4000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                return (await c.get(path, headers={"user-agent": BROWSER})).status_code

        return asyncio.run(one())

    edition_id = seed_report(store, settings, clock, click, DAY)
    before = as_json(edition_report(store, settings, edition_id))
    ticker = DailyTicker(store, settings)
    assert ticker.tick(clock.now + timedelta(days=30)).rolled_up == 0  # within retention: kept raw
    assert tracking_db.raw_count(store, edition_id) == 8
    report = ticker.tick(clock.now + timedelta(days=92))
    assert report.rolled_up == 8 and tracking_db.raw_count(store, edition_id) == 0
    assert ticker.tick(clock.now + timedelta(days=92, minutes=1)).rolled_up == 0  # nothing counted twice
    assert as_json(edition_report(store, settings, edition_id)) == before
