"""No lost days: an empty edition is stored only once its window has closed, an
explicit send builds a skipped edition again when articles arrived since, and what
`digest send` says it will send is what its closing summary reports as sent."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from delivery_support import add_edition, add_subscribers, delivered_to
from smtp_server import SMTPServer
from sqlalchemy import func, select
from test_daily_build import edition_rows, insert_articles
from test_deliver_cli import SECRET, write_config
from test_select import fixture_day

from digest import config
from digest.cli import cli
from digest.daily.build import build_editions, edition_window
from digest.daily.preview import preview
from digest.models import EditionStatus
from digest.store import Store
from digest.store import tables as t
from digest.store.editions import find_edition

DAY = date(2026, 11, 29)
BEFORE_SEND = datetime(2026, 11, 29, 5, 0, tzinfo=UTC)  # the window ends at 06:00 UTC


def send(config_path: Path, day: date) -> str:
    result = CliRunner().invoke(
        cli, ["--config", str(config_path), "send", "--date", day.isoformat()], env={"DIGEST_SECRET_KEY": SECRET}
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_an_empty_window_still_open_stores_no_edition(store: Store, smtp: SMTPServer, tmp_path: Path) -> None:
    settings = config.load(write_config(tmp_path, store.url, smtp), env={})
    (early,) = build_editions(store, settings, edition_date=DAY, now=BEFORE_SEND)
    assert early.status is EditionStatus.SKIPPED and early.id is None
    assert edition_rows(store) == 0
    (closed,) = build_editions(store, settings, edition_date=DAY, now=edition_window(settings, DAY)[1])
    assert closed.status is EditionStatus.SKIPPED and closed.id is not None  # the day is over: recorded


def test_preview_before_the_articles_arrive_does_not_cancel_the_days_send(
    store: Store, smtp: SMTPServer, tmp_path: Path
) -> None:
    path = write_config(tmp_path, store.url, smtp)
    settings = config.load(path, env={"DIGEST_SECRET_KEY": SECRET})
    addresses = add_subscribers(store, 3, now=BEFORE_SEND)
    notes: list[str] = []
    preview(store, settings, day=DAY, language="fr", for_email=None, out=tmp_path / "p", now=BEFORE_SEND,
            say=notes.append)  # fmt: skip
    assert find_edition(store, settings.newsletter.name, DAY, "fr") is None
    assert any("nothing stored" in n for n in notes), notes
    insert_articles(store, fixture_day())  # the day's articles come in after the preview
    out = send(path, DAY)
    assert "3 to send" in out and "this run: 3 sent" in out, out
    assert delivered_to(smtp.received) == {a: 1 for a in addresses}


def test_an_explicit_send_rebuilds_a_skipped_edition_once_the_window_holds_articles(
    store: Store, smtp: SMTPServer, tmp_path: Path
) -> None:
    path = write_config(tmp_path, store.url, smtp)
    settings = config.load(path, env={})
    addresses = add_subscribers(store, 2, now=BEFORE_SEND)
    closed = edition_window(settings, DAY)[1]
    (skipped,) = build_editions(store, settings, edition_date=DAY, now=closed)
    assert skipped.status is EditionStatus.SKIPPED and skipped.id is not None
    insert_articles(store, fixture_day())  # imported late, published within the window
    out = send(path, DAY)
    rebuilt = find_edition(store, settings.newsletter.name, DAY, "fr")
    assert rebuilt is not None and rebuilt.id == skipped.id and rebuilt.items
    assert rebuilt.status is not EditionStatus.SKIPPED
    assert "2 to send" in out and "this run: 2 sent" in out, out
    assert delivered_to(smtp.received) == {a: 1 for a in addresses}


@pytest.mark.slow(seconds=10)
def test_send_says_how_many_it_will_send_and_reports_every_process_sending_them(
    store: Store, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    # 1,000 due rows: `digest send` starts a helper process, whose sends count too.
    add_subscribers(store, 1000, now=now)
    add_edition(store, day=now.date(), now=now)
    path = write_config(tmp_path, store.url, smtp, "rate_per_second = 120\n")  # the helper gets a share
    path.write_text(path.read_text().replace("processes = 1", "processes = 2"))
    out = send(path, now.date())
    assert "1,000 to send" in out and "this run: 1,000 sent" in out, out
    assert len(smtp.received) == 1000
    with store.engine.connect() as conn:
        senders = conn.execute(select(func.count(func.distinct(t.delivery_attempts.c.sender)))).scalar_one()
    assert senders == 2
