"""The editor's desk shows what the model did: which stories were rewritten, the
sentences it was given beside what it wrote, the guard's verdict and reason, and one
click to use the extract instead (over real HTTP, against the test model server)."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from admin_support import make_admin, sign_in, token_of
from llm_server import LLMServer, llm_server
from rewrite_articles import SEND_AT, stories
from smtp_server import SMTPServer
from test_daily_build import insert_articles
from test_ops import FixedStatus
from web_support import Clock, web_settings

from digest.admins import Role
from digest.daily.build import build_editions
from digest.store import Store
from digest.store.editions import find_edition
from digest.web.app import create_app
from digest.web.ops import ops_app

DAY = SEND_AT.date()


@pytest.fixture
async def desk(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock, now: datetime
) -> AsyncIterator[tuple[httpx.AsyncClient, LLMServer]]:
    with llm_server() as server:
        summarize = {"backend": "openai", "base_url": server.url, "model": "test-model"}
        settings = web_settings(tmp_path, smtp.port, summarize=summarize)
        insert_articles(store, stories(), now)
        server.script = {"Tanger": "wrong_figure"}
        build_editions(store, settings, edition_date=DAY, now=SEND_AT - timedelta(minutes=15), languages=["fr"])
        make_admin(store, "editor@example.org", Role.EDITOR, now)
        app = create_app(settings, store, now=clock)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers={"Accept-Language": "en"}
        ) as client:
            await sign_in(client, "editor@example.org")
            yield client, server


async def test_the_desk_shows_each_rewrite_its_sources_and_the_guards_verdict(
    desk: tuple[httpx.AsyncClient, LLMServer], store: Store
) -> None:
    client, server = desk
    page = html.unescape((await client.get(f"/admin/editions/{DAY.isoformat()}")).text)

    assert page.count("Rewritten by the model") == 7
    assert page.count("The model's rewrite was refused: number") == 1
    assert "Guard: refused (number: 10,2)" in page  # the server wrote 10,2 for 9,2 millions
    assert "Sentences given to the model" in page and "What the model wrote" in page
    assert page.count("Use the extract for story") == 7
    assert server.calls == 8  # reading the desk calls nobody
    app = ops_app(store, scheduler=FixedStatus(True), clock=lambda: SEND_AT)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as ops:
        scraped = (await ops.get("/metrics")).text  # and /metrics says why, by reason
    assert re.search(r'^digest_rewrite_rejections_total\{reason="number"\} [1-9]', scraped, re.MULTILINE)
    assert re.search(r'^digest_model_calls_total\{result="ok"\} [1-9]', scraped, re.MULTILINE)
    assert re.search(r'^digest_model_tokens_total\{kind="completion"\} [1-9]', scraped, re.MULTILINE)


async def test_one_click_puts_the_extract_back(desk: tuple[httpx.AsyncClient, LLMServer], store: Store) -> None:
    client, _server = desk
    edition = find_edition(store, "Le Brief", DAY, "fr")
    assert edition is not None and edition.id is not None
    first = edition.items[0]
    assert first.summary.startswith("En bref, ")
    page = html.unescape((await client.get(f"/admin/editions/{DAY.isoformat()}")).text)
    form = re.search(
        r'action="[^"]*/items/0" class="inline">\s*<input[^>]*>\s*<input type="hidden" name="op" value="save">'
        r'<input type="hidden" name="headline" value="([^"]*)"><input type="hidden" name="summary" value="([^"]*)">'
        r"\s*<button[^>]*>Use the extract for story 1<",
        page,
        re.DOTALL,
    )
    assert form is not None
    token = await token_of(client, f"/admin/editions/{DAY.isoformat()}")

    done = await client.post(
        f"/admin/editions/{DAY.isoformat()}/fr/items/0",
        data={"csrf_token": token, "op": "save", "headline": form.group(1), "summary": form.group(2)},
        follow_redirects=True,
    )

    assert done.status_code == 200
    shown = find_edition(store, "Le Brief", DAY, "fr")
    assert shown is not None
    assert shown.items[0].summary == form.group(2) and not shown.items[0].summary.startswith("En bref")
    assert shown.items[0].summary.lower() in first.summary.lower()  # the sentences the rewrite was made of
