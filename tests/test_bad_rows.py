"""Bad rows stay bad rows: an address that cannot go into a header, a line nested
thousands deep, a date in year 9999 are each refused with their location, and every
good row still gets through (and its confirmation mail)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from smtp_server import SMTPServer
from test_cli_subscribers import config_file, run  # noqa: F401 - config_file is a fixture
from web_support import ADMIN, Clock, csrf_token, web_settings

from digest.cli import cli
from digest.errors import ValidationError
from digest.store import Store
from digest.store import subscribers as db
from digest.store.articles import iter_all
from digest.subscribers.membership import normalise_address
from digest.web.app import create_app

ENCODED_WORD = "=?utf-8?q?v?=@example.org"


@pytest.mark.parametrize("address", [ENCODED_WORD, "=?iso-8859-1?b?dg==?=@example.org", "a?=@example.org"])
def test_addresses_that_cannot_be_written_into_a_header_are_invalid(address: str) -> None:
    with pytest.raises(ValidationError, match="cannot be written into a mail header"):
        normalise_address(address)


def test_cli_import_rejects_the_bad_row_with_its_line_and_confirms_every_good_one(
    config_file: Path,  # noqa: F811
    store: Store,
    smtp: SMTPServer,
    tmp_path: Path,
) -> None:
    csv = tmp_path / "list.csv"
    csv.write_text(f"email,name\nann@example.org,Ann\n{ENCODED_WORD},V\nbob@example.org,Bob\n", encoding="utf-8")
    result = run(config_file, "import", str(csv))
    assert result.exit_code == 1  # a row was rejected
    assert "Traceback" not in result.output
    assert f"{csv}:3: email:" in result.stderr and "RFC 2047" in result.stderr
    assert "imported 2, already on the list 0, rejected 1" in result.stdout
    assert "confirmation mails sent: 2 of 2" in result.stdout
    assert sorted(m.rcpt_tos[0] for m in smtp.wait_for(2)) == ["ann@example.org", "bob@example.org"]


def test_cli_add_refuses_the_address_in_one_line(
    config_file: Path,  # noqa: F811
    store: Store,
    smtp: SMTPServer,
) -> None:
    result = run(config_file, "add", ENCODED_WORD)
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert result.stderr.strip().count("\n") == 0 and "cannot be written into a mail header" in result.stderr
    assert db.search(store) == [] and smtp.received == []


async def test_web_form_and_api_tell_the_truth_about_the_address(
    tmp_path: Path, store: Store, smtp: SMTPServer, clock: Clock
) -> None:
    app = create_app(web_settings(tmp_path, smtp.port), store, now=clock)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.5", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        form = await c.get("/subscribe")
        page = await c.post(
            "/subscribe",
            data={"csrf_token": csrf_token(form.text), "email": ENCODED_WORD, "consent": "yes", "language": "fr"},
        )
        assert page.status_code == 400 and 'aria-invalid="true"' in page.text  # not "check your inbox"
        api = await c.post("/api/subscribers", json={"email": ENCODED_WORD}, headers=ADMIN)
        assert api.status_code in (400, 422) and "header" in api.json()["error"]
        csv = f"email\nann@example.org\n{ENCODED_WORD}\nbob@example.org\n"
        report = await c.post("/api/subscribers/import", content=csv, headers={**ADMIN, "Content-Type": "text/csv"})
    body = report.json()
    assert body["added"] == 2 and [r["line"] for r in body["rejected"]] == [3]
    assert body["confirmations_queued"] == 2 and body["confirmations_failed"] == 0
    assert len(smtp.wait_for(2)) == 2


def test_articles_import_reports_deep_nesting_and_far_future_dates_per_line(
    tmp_path: Path, db_url: str, store: Store, now: datetime
) -> None:
    good = {
        "url": "https://news.example.org/a",
        "title": 'Faille <script>alert("x")</script> & données',
        "body": "Une faille touche les navigateurs. " * 10,
        "published_at": "2026-11-29T06:00:00+00:00",
    }
    future = {**good, "url": "https://news.example.org/b", "published_at": "9999-12-31T00:00:00+00:00"}
    lines = [json.dumps(good), "[" * 50_000 + "]" * 50_000, json.dumps(future), '{"url": ' + "9" * 5000 + "}"]
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = tmp_path / "digest.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "articles", "import", str(path)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "RecursionError" not in result.output
    assert f"{path}:2: invalid JSON: nested" in result.stderr
    assert f"{path}:3: published_at:" in result.stderr and "in the future" in result.stderr
    assert f"{path}:4: invalid JSON" in result.stderr
    (stored,) = list(iter_all(store))
    assert stored.title == 'Faille <script>alert("x")</script> & données'  # plain text kept as given
