"""The mailto: form of List-Unsubscribe: each subscriber's carries their own signed
token, and `digest bounces import FILE|MAILDIR` reads the requests and unsubscribes."""

from __future__ import annotations

import re
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote

from delivery_support import add_edition, add_subscribers
from smtp_server import SMTPServer
from test_deliver_cli import run, write_config

from digest.models import SubscriberStatus
from digest.store import Store
from digest.store import subscribers as db

MAILTO = 'unsubscribe_mailto = "leave@lebrief.example"'


def request(sender: str, subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "leave@lebrief.example"
    msg["Subject"] = subject
    msg.set_content("")
    return msg.as_bytes()


def test_each_subscriber_mails_their_own_token_and_the_import_unsubscribes_them(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    day: date = now.date()
    first, second, third = add_subscribers(store, 3, now=now)
    add_edition(store, day=day, now=now)
    config = write_config(tmp_path, db_url, smtp, extra="").read_text()
    path = tmp_path / "digest.toml"
    path.write_text(config.replace("[newsletter]\n", f"[newsletter]\n{MAILTO}\n"), encoding="utf-8")
    sent = run(path, "send", "--date", day.isoformat())
    assert sent.exit_code == 0, sent.output
    subjects: dict[str, str] = {}
    for address in (first, second):
        header = smtp.messages_to(address)[0].message()["List-Unsubscribe"]
        match = re.search(r"<mailto:leave@lebrief\.example\?subject=([^>]+)>", str(header))
        assert match, header
        subjects[address] = unquote(match.group(1))
    assert subjects[first] != subjects[second]  # personal, not one shared address
    maildir = tmp_path / "Maildir"
    for folder in ("new", "cur", "tmp"):
        (maildir / folder).mkdir(parents=True)
    (maildir / "new" / "1.eml").write_bytes(request(first, subjects[first]))
    (maildir / "new" / "2.eml").write_bytes(request(second, "Re: " + subjects[second]))
    forged = subjects[first].replace(subjects[first].split(".")[0].split()[-1], str(third_id(store, third)), 1)
    (maildir / "new" / "3.eml").write_bytes(request(third, forged))
    result = run(path, "bounces", "import", str(maildir))
    assert result.exit_code == 0, result.output
    assert "3 messages read: 0 hard bounces, 0 soft bounces, 0 complaints; 0 addresses suppressed" in result.output
    assert "2 unsubscribed by mail" in result.output
    for address, status in ((first, "unsubscribed"), (second, "unsubscribed"), (third, "confirmed")):
        sub = db.by_email(store, address)
        assert sub is not None and sub.status is SubscriberStatus(status), address
    suppressed = db.suppression(store, first)
    assert suppressed is not None and (suppressed.reason, suppressed.detail) == ("unsubscribed", "mailto")
    assert sorted(p.name for p in (maildir / "new").iterdir()) == []  # read, moved to cur/


def third_id(store: Store, address: str) -> int:
    sub = db.by_email(store, address)
    assert sub is not None and sub.id is not None
    return sub.id
