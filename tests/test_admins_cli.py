"""`digest admins ...` and `digest edition approve` end to end, and the review gate on
`digest send`: real config file, real database, real SMTP server."""

from __future__ import annotations

import getpass
from datetime import date, datetime
from pathlib import Path

from click.testing import CliRunner, Result
from delivery_support import add_edition, add_subscribers
from smtp_server import SMTPServer
from sqlalchemy import select
from test_deliver_cli import SECRET, write_config

from digest.admins import Role, verify_password
from digest.cli import cli
from digest.store import Store, audit
from digest.store import tables as t
from digest.store.admins import credentials, list_admins

PASSWORD = "correct horse battery"


def run(config: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], input=stdin, env={"DIGEST_SECRET_KEY": SECRET})


def test_admins_add_reads_the_password_from_stdin_and_stores_only_an_argon2_hash(
    store: Store, db_url: str, smtp: SMTPServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, db_url, smtp)
    result = run(config, "admins", "add", "Editor@Example.org", "--role", "editor", stdin=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "added admin editor@example.org (editor)" in result.output
    found = credentials(store, "editor@example.org")
    assert found is not None
    admin, stored = found
    assert admin.role is Role.EDITOR
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert verify_password(stored, PASSWORD) and not verify_password(stored, PASSWORD + "x")


def test_admins_add_refuses_a_short_password_and_an_unknown_role(
    store: Store, db_url: str, smtp: SMTPServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, db_url, smtp)
    short = run(config, "admins", "add", "a@example.org", "--role", "owner", stdin="elevenchars\n")
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    bad_role = run(config, "admins", "add", "a@example.org", "--role", "god", stdin=PASSWORD + "\n")
    assert bad_role.exit_code == 2
    assert list_admins(store) == []


def test_admins_list_remove_and_password_are_audited_as_the_os_user(
    store: Store, db_url: str, smtp: SMTPServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, db_url, smtp)
    assert run(config, "admins", "add", "owner@example.org", "--role", "owner", stdin=PASSWORD + "\n").exit_code == 0
    assert run(config, "admins", "add", "viewer@example.org", "--role", "viewer", stdin=PASSWORD + "\n").exit_code == 0
    listed = run(config, "admins", "list")
    assert listed.output.splitlines()[0].startswith("owner@example.org\towner")
    assert "viewer@example.org\tviewer" in listed.output
    changed = run(config, "admins", "password", "owner@example.org", stdin="another long password\n")
    assert changed.exit_code == 0, changed.output
    found = credentials(store, "owner@example.org")
    assert found is not None and verify_password(found[1], "another long password")
    assert run(config, "admins", "remove", "viewer@example.org").exit_code == 0
    missing = run(config, "admins", "remove", "viewer@example.org")
    assert missing.exit_code == 1 and "no admin viewer@example.org" in missing.output
    entries = audit.recent(store)
    assert [e.action for e in entries] == ["admin.remove", "admin.password", "admin.add", "admin.add"]
    assert {e.actor for e in entries} == {f"cli:{getpass.getuser()}"}
    assert entries[-1].details == {"role": "owner", "door": "cli"}


def test_send_in_review_mode_refuses_an_unapproved_edition_until_it_is_approved(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    day: date = now.date()
    add_subscribers(store, 3, now=now)
    add_edition(store, day=day, now=now)
    config = write_config(tmp_path, db_url, smtp, extra='[schedule]\nreview = "approve"\n')
    refused = run(config, "send", "--date", day.isoformat())
    assert refused.exit_code == 1
    assert f"digest edition approve --date {day.isoformat()} --language fr" in refused.output
    assert smtp.received == []
    with store.engine.connect() as conn:
        assert conn.execute(select(t.deliveries)).first() is None
    proof = run(config, "send", "--date", day.isoformat(), "--to", "editor@example.net")
    assert proof.exit_code == 0 and len(smtp.received) == 1
    approved = run(config, "edition", "approve", "--date", day.isoformat())
    assert approved.exit_code == 0 and "fr: approved by cli:" in approved.output
    sent = run(config, "send", "--date", day.isoformat())
    assert sent.exit_code == 0, sent.output
    assert len(smtp.received) == 4
    # oldest first: the test copy, the approval, the send (the refused send changed nothing)
    assert [e.action for e in reversed(audit.recent(store))] == [
        "edition.test_send",
        "edition.approve",
        "delivery.send",
    ]


def test_edition_approve_names_a_missing_edition(store: Store, db_url: str, smtp: SMTPServer, tmp_path: Path) -> None:
    config = write_config(tmp_path, db_url, smtp)
    result = run(config, "edition", "approve", "--date", "2020-01-01")
    assert result.exit_code == 1 and "no edition for 2020-01-01" in result.output
