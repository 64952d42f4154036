"""`digest send`, `digest status`, `digest bounces import` end to end: the real
composer, a real database and a real SMTP server."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from delivery_support import add_edition, add_subscribers, delivered_to
from smtp_server import SMTPServer
from sqlalchemy import func, select
from test_deliver_bounces import dsn

from digest.cli import cli
from digest.store import Store
from digest.store import tables as t

SECRET = "a-test-signing-key-of-enough-length-0123456789"


def write_config(tmp_path: Path, db_url: str, smtp: SMTPServer, extra: str = "") -> Path:
    path = tmp_path / "digest.toml"
    path.write_text(
        f"""[newsletter]
languages = ["fr"]
[database]
url = "{db_url}"
[smtp]
host = "{smtp.host}"
port = {smtp.port}
connections = 3
processes = 1
envelope_from = "bounces+{{local}}={{domain}}@bounce.example.org"
{extra}
""",
        encoding="utf-8",
    )
    return path


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], env={"DIGEST_SECRET_KEY": SECRET})


@pytest.fixture
def day(now: datetime) -> date:
    return now.date()


def deliveries(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.deliveries)).scalar_one())


def test_send_mails_every_confirmed_subscriber_once_and_a_rerun_sends_nothing(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, day: date, tmp_path: Path
) -> None:
    addresses = add_subscribers(store, 25, now=now)
    add_subscribers(store, 3, now=now, prefix="unconfirmed", status="pending")
    add_edition(store, day=day, now=now)
    config = write_config(tmp_path, db_url, smtp)
    result = run(config, "send", "--date", day.isoformat())
    assert result.exit_code == 0, result.output
    assert "this run: 25 sent, 0 failed, 0 to retry" in result.output
    got = delivered_to(smtp.received)
    assert got == {a: 1 for a in addresses}
    message = smtp.messages_to(addresses[0])[0]
    assert message.mail_from == "bounces+reader0=example.org@bounce.example.org"
    parsed = message.message()
    assert parsed["To"].addresses[0].addr_spec == addresses[0]
    assert parsed["List-Unsubscribe"] and "Le budget adopté" in parsed["Subject"]
    again = run(config, "send", "--date", day.isoformat())
    assert again.exit_code == 0 and "nothing left to send" in again.output
    assert len(smtp.received) == 25


def test_test_copy_goes_only_to_the_given_address_and_touches_no_row(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, day: date, tmp_path: Path
) -> None:
    add_subscribers(store, 5, now=now)
    add_edition(store, day=day, now=now)
    config = write_config(tmp_path, db_url, smtp)
    result = run(config, "send", "--date", day.isoformat(), "--to", "Editor@Example.net")
    assert result.exit_code == 0, result.output
    (copy,) = smtp.received
    assert copy.rcpt_tos == ("editor@example.net",)
    message = copy.message()
    assert message["Subject"].startswith("[TEST]") and message["X-Digest-Test"] == "yes"
    assert deliveries(store) == 0


def test_dry_run_renders_everything_and_sends_nothing(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, day: date, tmp_path: Path
) -> None:
    add_subscribers(store, 7, now=now)
    add_edition(store, day=day, now=now)
    result = run(write_config(tmp_path, db_url, smtp), "send", "--date", day.isoformat(), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "7 messages rendered, none sent" in result.output
    assert smtp.received == [] and deliveries(store) == 0


def test_status_reports_counts_and_failures_with_their_last_error(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, day: date, tmp_path: Path
) -> None:
    addresses = add_subscribers(store, 6, now=now)
    add_edition(store, day=day, now=now)
    smtp.fail_recipient(addresses[1], "550 5.1.1 no such user")
    smtp.fail_recipient(addresses[2], "451 4.3.0 try again later")
    config = write_config(tmp_path, db_url, smtp)
    sent = run(config, "send", "--date", day.isoformat())
    assert sent.exit_code == 3, sent.output  # one reader still waiting for a retry
    assert "this run: 4 sent, 1 failed, 1 to retry, 1 addresses suppressed" in sent.output
    assert f"failed {addresses[1]}: 550 5.1.1 no such user (address suppressed)" in sent.output
    text = run(config, "status", "--date", day.isoformat())
    assert "sent 4 · failed 1 · retrying 1 · in flight 0" in text.output
    assert "451 4.3.0 try again later; attempt 2 at" in text.output
    data = json.loads(run(config, "status", "--date", day.isoformat(), "--json").output)
    (edition,) = data["editions"]
    assert edition["counts"]["sent"] == 4 and edition["counts"]["failed"] == 1
    (failed,) = edition["failed"]
    assert failed["email"] == addresses[1] and failed["last_code"] == 550 and failed["suppressed"] is True
    (retrying,) = edition["retrying"]
    assert retrying["email"] == addresses[2] and retrying["attempts"] == 1


def test_send_reports_an_unreachable_server_as_one_line_and_keeps_every_row(
    store: Store, db_url: str, now: datetime, day: date, tmp_path: Path
) -> None:
    add_subscribers(store, 10, now=now)
    add_edition(store, day=day, now=now)
    with SMTPServer() as gone:
        config = write_config(tmp_path, db_url, gone)
    result = run(config, "send", "--date", day.isoformat())
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert last.startswith(f"error: SMTP server unavailable ({gone.host}:{gone.port}: cannot connect")
    assert deliveries(store) == 10


def test_bounces_import_suppresses_the_reported_address(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    (address,) = add_subscribers(store, 1, now=now)
    report = tmp_path / "bounce.eml"
    report.write_bytes(dsn(address))
    result = run(write_config(tmp_path, db_url, smtp), "bounces", "import", str(report))
    assert result.exit_code == 0, result.output
    assert "1 messages read: 1 hard bounces, 0 soft bounces, 0 complaints; 1 addresses suppressed" in result.output
    missing = run(write_config(tmp_path, db_url, smtp), "bounces", "import", str(tmp_path / "none"))
    assert missing.exit_code == 1 and "error:" in missing.output and "no such file" in missing.output


def test_hold_policy_keeps_rows_caught_in_flight_for_the_operator(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, day: date, tmp_path: Path
) -> None:
    import subprocess
    import sys
    from datetime import timedelta

    from digest.deliver.ledger import sender_id
    from digest.store.claims import claim, mark_sending
    from digest.store.fanout import fan_out

    addresses = add_subscribers(store, 4, now=now)
    edition = add_edition(store, day=day, now=now)
    fan_out(store, edition, language="fr", due_at_for=lambda tz, at: now, now=now)
    # a sender of this machine that died in the middle of a transaction
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    dead = f"{sender_id().split(':')[0]}:{int(gone.stdout)}:0"
    (row,) = claim(store, dead, batch=1, now=now, lease=timedelta(hours=1))
    mark_sending(store, dead, [row.id], now=now, lease=timedelta(hours=1))
    config = write_config(tmp_path, db_url, smtp, 'in_flight_policy = "hold"\n')

    sent = run(config, "send", "--date", day.isoformat())
    assert sent.exit_code == 3, sent.output  # the held reader still waits for the operator
    assert len(smtp.received) == 3 and smtp.messages_to(row.subscriber.email) == []
    status = run(config, "status", "--date", day.isoformat())
    assert "held 1" in status.output and f"{row.subscriber.email}: in flight when {dead} stopped" in status.output
    released = run(config, "send", "--date", day.isoformat(), "--release-held")
    assert released.exit_code == 0 and "released 1 held deliveries" in released.output
    assert delivered_to(smtp.received) == {a: 1 for a in addresses}


def test_send_test_copies_and_dry_runs_are_audited_as_one_action_each(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, day: date, tmp_path: Path
) -> None:
    """`digest send` goes through the action layer: "delivery.send" with what the run did,
    test copies as "edition.test_send" (the console's and the API's name), a dry run
    (which changes nothing) without a row; the door is recorded."""
    from digest.store import audit

    add_subscribers(store, 4, now=now)
    add_edition(store, day=day, now=now)
    config = write_config(tmp_path, db_url, smtp)
    assert run(config, "send", "--date", day.isoformat(), "--dry-run").exit_code == 0
    assert audit.recent(store) == []
    assert run(config, "send", "--date", day.isoformat(), "--to", "editor@example.net").exit_code == 0
    assert run(config, "send", "--date", day.isoformat()).exit_code == 0
    rows = list(reversed(audit.recent(store)))
    assert [(r.action, r.target, r.details["door"]) for r in rows] == [
        ("edition.test_send", f"date:{day.isoformat()}", "cli"),
        ("delivery.send", f"date:{day.isoformat()}", "cli"),
    ]
    assert rows[0].details["to"] == ["editor@example.net"] and rows[0].details["refused"] == 0
    assert (rows[1].details["sent"], rows[1].details["failed"], rows[1].details["exit_code"]) == (4, 0, 0)
    assert all(r.actor.startswith("cli:") for r in rows)
