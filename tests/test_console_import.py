"""The console's CSV import of a real list: files up to ``[web] max_upload_kb`` (the form
says so), refusals as HTML pages in the console's style, and large files run as a
background job whose progress and per-line report are kept in the import_jobs table."""

from __future__ import annotations

import html
import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from admin_support import make_admin, sign_in, token_of
from smtp_server import SMTPServer
from sqlalchemy import select
from starlette.applications import Starlette
from web_support import Clock, add_subscriber, web_settings

from digest.actions import Actor, Door, Operations, imports
from digest.admins import Role
from digest.store import Store
from digest.store import import_jobs as jobs
from digest.store import subscribers as db
from digest.store import tables as t
from digest.web.app import create_app

EDITOR = "editor@example.org"


def rows_csv(n: int, *, bad_every: int = 0, start: int = 0) -> bytes:
    """A CSV of ``n`` rows; every ``bad_every``-th row has an invalid address."""
    lines = ["email,name,language"]
    for i in range(start, start + n):
        bad = bad_every and i % bad_every == bad_every - 1
        lines.append(f"{'not-an-address' if bad else f'reader{i:06d}@example.org'},Reader {i},fr")
    return ("\n".join(lines) + "\n").encode()


def make_app(tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock, **web: Any) -> Starlette:
    settings = web_settings(tmp_path, smtp.port, web=web)
    return create_app(settings, store, now=clock)


@pytest.fixture
def editor(store: Store, now: datetime) -> None:
    make_admin(store, EDITOR, Role.EDITOR, now)
    make_admin(store, "viewer@example.org", Role.VIEWER, now)


async def _client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers={"Accept-Language": "en"}
    ) as c:
        yield c


async def _post(client: httpx.AsyncClient, data: bytes, *, name: str = "list.csv", **form: str) -> httpx.Response:
    token = await token_of(client, "/admin/subscribers/import")
    return await client.post(
        "/admin/subscribers/import",
        data={"csrf_token": token, **form},
        files={"file": (name, data, "text/csv")},
    )


def audit_of(store: Store, action: str) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.audit_log).where(t.audit_log.c.action == action)).all()
    return [json.loads(r.details) for r in rows]


async def test_the_form_states_the_limit_and_takes_a_file_far_over_the_body_cap(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock, editor: None
) -> None:
    app = make_app(tmp_path, store, smtp, clock, max_body_kb=64, max_upload_kb=1024, import_background_rows=10_000)
    data = rows_csv(5000)
    assert len(data) > 3 * 64 * 1024  # the 64 KiB body cap of every other form
    async for client in _client(app):
        await sign_in(client, EDITOR)
        form = html.unescape((await client.get("/admin/subscribers/import")).text)
        assert "At most 1 MB." in form and "more than 10000 rows" in form
        french = html.unescape((await client.get("/admin/subscribers/import", params={"lang": "fr"})).text)
        assert "1\u202fMo au plus." in french
        await client.get("/admin/subscribers/import", params={"lang": "en"})
        response = await _post(client, data, confirmed="yes")
        assert response.status_code == 200, response.text[:300]
        assert "5000 added, 0 already on the list, 0 rejected" in html.unescape(response.text)
    assert db.count(store) == 5000


async def test_a_file_over_the_cap_gets_the_console_page_saying_so_not_bare_text(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock, editor: None
) -> None:
    app = make_app(tmp_path, store, smtp, clock, max_upload_kb=64)
    async for client in _client(app):
        await sign_in(client, EDITOR)
        # Over the file cap, under the body's (the form's framing allowed): the handler says so.
        response = await _post(client, rows_csv(2500))
        assert response.status_code == 413 and response.headers["content-type"].startswith("text/html")
        page = html.unescape(response.text)
        assert "The file is larger than 64 KB." in page and "<h1>Import subscribers</h1>" in page
        assert 'class="error-summary" role="alert"' in page and 'name="file"' in page
        # Far over: refused by its Content-Length before anything is read, as an HTML page too.
        response = await _post(client, rows_csv(20_000))
        assert response.status_code == 413 and response.headers["content-type"].startswith("text/html")
        assert "The file is larger than 64 KB." in html.unescape(response.text)
        assert "body: larger than" not in response.text
        french = await client.post(
            "/admin/subscribers/import?lang=fr",
            data={"csrf_token": await token_of(client, "/admin/subscribers/import")},
            files={"file": ("list.csv", rows_csv(20_000), "text/csv")},
        )
        assert "Le fichier dépasse 64\u202fKo." in html.unescape(french.text)
    assert db.count(store) == 0


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("email,name\nzoé@example.org,Zoé\n".encode("latin-1"), "not UTF-8 (byte 0xe9)"),
        (b"name,language\nAnn,en\n", "no email column"),
        (b"email,colour\na@example.org,red\n", "unknown column 'colour'"),
        (b"", "empty file"),
    ],
)
async def test_a_file_that_cannot_be_read_gets_an_html_page_naming_the_reason(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock, editor: None, data: bytes, reason: str
) -> None:
    app = make_app(tmp_path, store, smtp, clock)
    async for client in _client(app):
        await sign_in(client, EDITOR)
        response = await _post(client, data)
        assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
        page = html.unescape(response.text)
        assert reason in page and "The file was not imported" in page and 'name="file"' in page
        api = await client.post(
            "/api/subscribers/import", content=data, headers={"Authorization": "Bearer admin-token-abcdef-0123456789"}
        )
        assert api.headers["content-type"].startswith("application/json")  # the API keeps JSON


async def test_a_large_file_is_a_background_job_with_a_report_by_line_kept_for_later(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock, editor: None, now: datetime
) -> None:
    add_subscriber(store, "reader000003@example.org", now)
    app = make_app(tmp_path, store, smtp, clock, import_background_rows=100)
    async for client in _client(app):
        await sign_in(client, EDITOR)
        response = await _post(client, rows_csv(1000, bad_every=250), name="big.csv", confirmed="yes")
        assert response.status_code == 303 and response.headers["location"] == "/admin/subscribers/import/1"
        assert app.state.imports.wait(1, timeout=60)
        for _reload in range(2):  # the report is read back from the table, each time
            page = await client.get("/admin/subscribers/import/1")
            assert page.status_code == 200 and "Refresh" not in page.headers
            text = html.unescape(page.text)
            assert "995 added, 1 already on the list, 4 rejected." in text
            assert "1000 of 1000 rows read." in text
            for line in (251, 501, 751, 1001):  # the header is line 1
                assert f"Line {line}: email:" in text
            assert "Line 5: reader000003@example.org is already on the list; not changed" in text
        listing = html.unescape((await client.get("/admin/subscribers/import")).text)
        assert "Recent imports" in listing and "big.csv" in listing
    job = jobs.get(store, 1)
    assert job is not None and job.state == "done" and job.rows_done == 1000 and job.rejected == 4
    assert audit_of(store, "subscriber.import") == [
        {"added": 995, "unchanged": 1, "rejected": 4, "job": 1, "door": "console"}
    ]
    assert db.count(store) == 996


async def test_a_running_job_page_refreshes_itself_and_shows_a_progress_bar(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock, editor: None, now: datetime
) -> None:
    job_id = jobs.create(
        store, file_name="list.csv", actor=EDITOR, role="editor", door="console", confirmed=False, rows_total=9000,
        now=now,
    )  # fmt: skip
    jobs.progress(store, job_id, rows_done=3000, added=2990, unchanged=0, rejected=10, now=now)
    app = make_app(tmp_path, store, smtp, clock)
    async for client in _client(app):
        await sign_in(client, "viewer@example.org")
        page = await client.get(f"/admin/subscribers/import/{job_id}")
        assert page.status_code == 200 and page.headers["refresh"] == "1"
        text = html.unescape(page.text)
        assert '<progress id="import-progress" class="import" max="9000" value="3000">' in text
        assert "3000 of 9000 rows read" in text and "2990 added" in text
        missing = await client.get("/admin/subscribers/import/99")
        assert missing.status_code == 404 and "No such import." in missing.text


async def test_a_job_its_process_left_unfinished_is_marked_failed_and_audited_once(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock, editor: None, now: datetime
) -> None:
    job_id = jobs.create(
        store, file_name="list.csv", actor=EDITOR, role="editor", door="console", confirmed=False, rows_total=9000,
        now=now,
    )  # fmt: skip
    jobs.progress(store, job_id, rows_done=4000, added=4000, unchanged=0, rejected=0, now=now)
    app = make_app(tmp_path, store, smtp, clock)
    async for client in _client(app):
        await sign_in(client, EDITOR)
        assert "Refresh" in (await client.get(f"/admin/subscribers/import/{job_id}")).headers  # still alive
        clock.advance(minutes=3)  # no sign of life from its worker since
        for _reload in range(2):
            page = html.unescape((await client.get(f"/admin/subscribers/import/{job_id}")).text)
            assert "The import stopped: interrupted" in page
    job = jobs.get(store, job_id)
    assert job is not None and job.state == "failed"
    details = audit_of(store, "subscriber.import")
    assert len(details) == 1 and details[0]["added"] == 4000 and details[0]["failed"].startswith("interrupted")


def test_a_job_asked_to_stop_ends_failed_between_two_steps_keeping_what_it_wrote(
    tmp_path: Path, store: Store, now: datetime
) -> None:
    ops = Operations(web_settings(tmp_path, 25), store, lambda: now)
    actor = Actor(EDITOR, Role.EDITOR, Door.CONSOLE)
    parsed = imports.parse(rows_csv(500), name="/tmp/list.csv")
    job_id = imports.start(ops, actor, parsed, confirmed=True)
    steps: list[int] = []

    def stopping() -> bool:
        steps.append(1)
        return len(steps) > 2  # stop before the third step

    report = imports.run(ops, actor, job_id, parsed, confirmed=True, stopping=stopping, step=100)
    assert report.added == 200 and db.count(store) == 200
    job = jobs.get(store, job_id)
    assert job is not None and job.state == "failed" and "service stopped" in job.error and job.rows_done == 200
    assert job.file_name == "list.csv"


def test_a_viewer_cannot_start_a_job(tmp_path: Path, store: Store, now: datetime) -> None:
    from digest.actions import Forbidden

    ops = Operations(web_settings(tmp_path, 25), store, lambda: now)
    with pytest.raises(Forbidden):
        imports.start(ops, Actor("v@example.org", Role.VIEWER, Door.CONSOLE), imports.parse(rows_csv(3), name="a.csv"),
                      confirmed=False)  # fmt: skip
    assert jobs.recent(store) == []


async def test_a_viewer_is_refused_the_upload(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock, editor: None
) -> None:
    app = make_app(tmp_path, store, smtp, clock)
    async for client in _client(app):
        await sign_in(client, "viewer@example.org")
        response = await _post(client, rows_csv(3))
        assert response.status_code == 403
    assert db.count(store) == 0


async def test_the_app_marks_stale_jobs_failed_at_start_and_stops_its_jobs_at_shutdown(
    tmp_path: Path, store: Store, smtp: SMTPServer
) -> None:
    import asyncio
    from datetime import UTC, timedelta
    from threading import Event

    long_ago = datetime.now(UTC) - timedelta(hours=1)
    stale = jobs.create(store, file_name="old.csv", actor=EDITOR, role="editor", door="console", confirmed=False,
                        rows_total=10, now=long_ago)  # fmt: skip
    app = create_app(web_settings(tmp_path, smtp.port), store)
    started, stopped = Event(), Event()

    def work(stopping: Any) -> None:
        started.set()
        while not stopping():  # a job's steps, until the service stops
            stopped.wait(0.01)
        stopped.set()

    # The ASGI lifespan, as uvicorn drives it under `digest serve`.
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    life = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, outbox.put))
    assert (await asyncio.wait_for(outbox.get(), 10))["type"] == "lifespan.startup.complete"
    job = jobs.get(store, stale)
    assert job is not None and job.state == "failed" and job.error.startswith("interrupted")
    app.state.imports.submit(99, work)
    assert started.wait(5) and app.state.imports.running() == [99]
    await inbox.put({"type": "lifespan.shutdown"})
    assert (await asyncio.wait_for(outbox.get(), 10))["type"] == "lifespan.shutdown.complete"
    await life
    assert stopped.is_set() and app.state.imports.running() == []
    with pytest.raises(RuntimeError, match="shutting down"):
        app.state.imports.submit(100, work)
