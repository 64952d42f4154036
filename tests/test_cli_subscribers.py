"""`digest subscribers ...` end to end: real config file, real database, real SMTP server."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import dkim
import pytest
from click.testing import CliRunner, Result
from email_samples import dns_txt, private_key_pem, signer
from smtp_server import SMTPServer
from sqlalchemy import select

from digest.cli import cli
from digest.models import SubscriberStatus
from digest.store import Store
from digest.store import subscribers as db
from digest.store import tables as t
from digest.tokens import Tokens

FIXTURES = Path(__file__).parent / "fixtures" / "subscribers"
SECRET = "test-signing-key-0123456789"


@pytest.fixture
def config_file(tmp_path: Path, db_url: str, store: Store, smtp: SMTPServer) -> Path:
    path = tmp_path / "digest.toml"
    path.write_text(
        f"""
[newsletter]
name = "Le Brief"
base_url = "https://brief.example.org"
categories = ["Politique", "Économie", "Sport", "Culture", "Tech"]

[database]
url = "{db_url}"

[smtp]
host = "127.0.0.1"
port = {smtp.port}
timeout_seconds = 5
""",
        encoding="utf-8",
    )
    return path


def run(config_file: Path, *args: str, secret: str | None = SECRET) -> Result:
    env = {"DIGEST_SECRET_KEY": secret} if secret else {"DIGEST_SECRET_KEY": ""}
    return CliRunner().invoke(cli, ["--config", str(config_file), "subscribers", *args], env=env)


def dump(store: Store) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with store.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(select(t.subscribers).order_by(t.subscribers.c.id))]
        supp = [tuple(r) for r in conn.execute(select(t.suppressions).order_by(t.suppressions.c.id))]
    return rows, supp


def confirm_token(body: str) -> str:
    match = re.search(r"https://brief\.example\.org/confirm/([A-Za-z0-9_.\-]+)", body)
    assert match, body
    return match.group(1)


def test_twelve_row_file_imports_seven_and_reports_five_by_line(
    config_file: Path, store: Store, smtp: SMTPServer
) -> None:
    assert run(config_file, "add", "already@example.org", "--name", "Old", "--confirmed").exit_code == 0
    before_rows, before_supp = dump(store)

    result = run(config_file, "import", str(FIXTURES / "twelve_rows.csv"))

    assert result.exit_code == 1
    assert "imported 7, already on the list 0, rejected 5" in result.stdout
    reported = re.findall(r"twelve_rows\.csv:(\d+): (\w+): (.*)", result.stderr)
    assert [(int(line), field) for line, field, _ in reported] == [
        (4, "email"),  # jean.dupont@@example.fr
        (6, "email"),  # a space in the address
        (8, "timezone"),  # Europe/Atlantis
        (9, "email"),  # duplicate of line 2
        (10, "language"),  # de
    ]
    assert "contains a space" in reported[1][2] and "duplicates line 2" in reported[3][2]
    assert "Traceback" not in result.output

    rows, supp = dump(store)
    assert rows[: len(before_rows)] == before_rows and supp == before_supp  # nothing else changed
    added = {r.email: r for r in db.search(store) if r.email != "already@example.org"}
    assert sorted(added) == sorted(
        [
            "camille.martin@example.org",
            "yassine.benali@example.com",
            "sarah.cohen@example.net",
            "priya.nair@example.in",
            "amina.diallo@example.sn",
            "tom.o'brien@example.ie",
            "lea.roux@xn--caf-crme-60ag.fr",
        ]
    )
    assert all(s.status is SubscriberStatus.PENDING for s in added.values())
    assert added["camille.martin@example.org"].topics == ("Politique", "Économie")
    assert added["yassine.benali@example.com"].name == "Benali, Yassine"

    # Pending rows get the double opt-in mail, each with its own valid confirm link.
    mails = smtp.wait_for(7)
    assert sorted(m.rcpt_tos[0] for m in mails) == sorted(added)
    tokens = Tokens(SECRET, max_age_seconds=86400)
    for mail in mails:
        body = mail.message().get_body(("plain",))
        assert body is not None
        subscriber_id = tokens.check("confirm", confirm_token(body.get_content()))
        assert added[mail.rcpt_tos[0]].id == subscriber_id

    # The same file again changes nothing and sends nothing.
    snapshot = dump(store)
    again = run(config_file, "import", str(FIXTURES / "twelve_rows.csv"))
    assert again.exit_code == 1
    assert "imported 0, already on the list 7, rejected 5" in again.stdout
    assert dump(store) == snapshot
    assert len(smtp.received) == 7


def test_add_pending_sends_the_confirmation_in_the_subscribers_language(
    config_file: Path, store: Store, smtp: SMTPServer
) -> None:
    result = run(config_file, "add", "Zoe@Example.org", "--name", "Zoé", "--language", "fr")
    assert result.exit_code == 0, result.output
    assert "added zoe@example.org (pending" in result.stdout and "confirmation mail sent" in result.stdout
    (mail,) = smtp.wait_for(1)
    msg = mail.message()
    assert msg["Subject"] == "Le Brief\u00a0: confirmez votre inscription"
    assert msg["To"].addresses[0].addr_spec == "zoe@example.org"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    html = msg.get_body(("html",))
    assert html is not None and 'lang="fr"' in html.get_content() and "Bonjour," in html.get_content()
    assert "Zoé" not in html.get_content() and msg["To"].addresses[0].display_name == ""  # no name, ever
    assert all(b < 128 for b in mail.data)  # quoted-printable, RFC 2047: 7-bit clean


def test_confirmation_sent_by_the_cli_is_dkim_signed_and_verifies(
    config_file: Path, tmp_path: Path, smtp: SMTPServer
) -> None:
    (tmp_path / "dkim.pem").write_bytes(private_key_pem())
    with config_file.open("a", encoding="utf-8") as handle:
        handle.write('[dkim]\ndomain = "lebrief.ma"\nselector = "brief2026"\nprivate_key_path = "dkim.pem"\n')
    result = run(config_file, "add", "zoe@example.org", "--language", "en")
    assert result.exit_code == 0, result.output
    (mail,) = smtp.wait_for(1)
    assert mail.data.startswith(b"DKIM-Signature:")
    assert dkim.verify(mail.data, dnsfunc=dns_txt(signer()))
    assert not dkim.verify(mail.data.replace(b"Hello,", b"Hullo,"), dnsfunc=dns_txt(signer()))


def test_add_confirmed_with_every_option_then_list_json(config_file: Path, store: Store) -> None:
    result = run(
        config_file, "add", "ravi@example.in", "--name", "Ravi", "--language", "en", "--topics", "tech;Sprot",
        "--timezone", "Asia/Kolkata", "--send-at", "06:30", "--confirmed",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "warning: topics: unknown category 'Sprot' (kept)" in result.stderr
    listed = run(config_file, "list", "--json", "--status", "confirmed")
    (entry,) = json.loads(listed.stdout)
    assert {k: entry[k] for k in ("email", "language", "topics", "timezone", "send_at", "status")} == {
        "email": "ravi@example.in",
        "language": "en",
        "topics": ["Tech", "Sprot"],
        "timezone": "Asia/Kolkata",
        "send_at": "06:30",
        "status": "confirmed",
    }
    assert entry["consent"]["source"] == "cli"
    assert json.loads(run(config_file, "list", "--json", "--status", "pending").stdout) == []
    table = run(config_file, "list").stdout
    assert re.search(r"ravi@example\.in\s+confirmed\s+en\s+Tech;Sprot\s+Asia/Kolkata\s+06:30", table)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "x@example.org", "--timezone", "Mars/Olympus", "--confirmed"], "timezone: unknown timezone"),
        (["add", "x@example.org", "--language", "de", "--confirmed"], "language: unknown language 'de'"),
        (["add", "x y@example.org", "--confirmed"], "contains a space"),
        (["add", "x@example.org", "--send-at", "7pm", "--confirmed"], "send_at: expected HH:MM"),
        (["add", "x@example.org", "--name", "a\nb", "--confirmed"], "name: contains control characters"),
        (["list", "--status", "gone"], "--status: expected one of"),
        (["remove", "nobody@example.org"], "nobody@example.org is not on the list"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    config_file: Path, store: Store, args: list[str], message: str
) -> None:
    before = dump(store)
    result = run(config_file, *args)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ") and message in result.stderr
    assert dump(store) == before


def test_pending_add_without_a_signing_key_fails_before_writing(config_file: Path, store: Store) -> None:
    result = run(config_file, "add", "x@example.org", secret=None)
    assert result.exit_code == 2 and "error: no signing key for links: set DIGEST_SECRET_KEY" in result.stderr
    assert dump(store) == ([], [])


def test_removed_address_is_suppressed_and_not_added_back(config_file: Path, store: Store) -> None:
    run(config_file, "add", "leaver@example.org", "--confirmed")
    result = run(config_file, "remove", "Leaver@example.org")
    assert result.exit_code == 0 and "unsubscribed leaver@example.org" in result.stdout
    assert db.suppression(store, "leaver@example.org") is not None
    again = run(config_file, "add", "leaver@example.org", "--confirmed")
    assert again.exit_code == 1 and "is suppressed (unsubscribed" in again.stderr
    sub = db.by_email(store, "leaver@example.org")
    assert sub is not None and sub.status is SubscriberStatus.UNSUBSCRIBED


def test_remove_forget_erases_the_address_everywhere(config_file: Path, store: Store, tmp_path: Path) -> None:
    run(config_file, "add", "private@example.org", "--name", "Private Person", "--confirmed")
    run(config_file, "add", "stays@example.org", "--confirmed")
    result = run(config_file, "remove", "private@example.org", "--forget")
    assert result.exit_code == 0 and "only a hashed suppression entry remains" in result.stdout
    assert "private" not in repr(dump(store)).lower()
    exported = run(config_file, "export").stdout
    assert "stays@example.org" in exported and "forgotten" not in exported
    (tmp_path / "back.csv").write_text("email\nprivate@example.org\n", encoding="utf-8")
    back = run(config_file, "import", str(tmp_path / "back.csv"), "--confirmed")
    assert back.exit_code == 1 and "back.csv:2: email: private@example.org is suppressed (forgotten)" in back.stderr


def test_export_file_round_trips_through_import(config_file: Path, store: Store, tmp_path: Path, now: datetime) -> None:
    run(config_file, "add", "a@example.org", "--name", "Dupont, Jean", "--topics", "Sport", "--confirmed")
    run(config_file, "add", "b@example.org", "--language", "en", "--send-at", "05:00", "--confirmed")
    run(config_file, "remove", "b@example.org")
    out = tmp_path / "export.csv"
    result = run(config_file, "export", "--out", str(out))
    assert result.exit_code == 0 and "exported 2 subscribers" in result.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".export.csv.")]  # no temp file left

    fresh_db = tmp_path / "fresh.db"
    Store(f"sqlite:///{fresh_db}").init()
    fresh_config = tmp_path / "fresh.toml"
    fresh_config.write_text(
        config_file.read_text(encoding="utf-8").replace(
            next(line for line in config_file.read_text().splitlines() if line.startswith("url =")),
            f'url = "sqlite:///{fresh_db}"',
        ),
        encoding="utf-8",
    )
    imported = run(fresh_config, "import", str(out), "--confirmed")
    assert imported.exit_code == 0, imported.output
    assert "imported 2, already on the list 0, rejected 0" in imported.stdout
    assert run(fresh_config, "export").stdout == out.read_text(encoding="utf-8")
