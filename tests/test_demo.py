"""`digest demo` as a new user runs it: a subprocess in an empty folder."""

from __future__ import annotations

import email
import email.policy
import html as html_lib
import os
import sqlite3
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

from digest.daily.demo import SUBSCRIBERS
from digest.text.typography import typeset


def run_demo(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    return subprocess.run(
        [sys.executable, "-m", "digest", "demo"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def parse(path: Path) -> EmailMessage:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default.clone(raise_on_defect=True))
    assert isinstance(msg, EmailMessage)
    return msg


@pytest.mark.slow(seconds=8)
def test_demo_mails_every_confirmed_sample_subscriber_once(tmp_path: Path) -> None:
    first = run_demo(tmp_path)
    assert first.returncode == 0, first.stderr
    folder = tmp_path / "digest-demo"
    confirmed = {s[0] for s in SUBSCRIBERS if s[6]}
    emls = sorted((folder / "mail").glob("*.eml"))
    assert len(emls) == len(confirmed)

    with sqlite3.connect(folder / "digest.db") as db:
        headlines = {
            lang: dict(
                db.execute(
                    "SELECT i.title, i.category FROM edition_items i JOIN editions e ON e.id = i.edition_id "
                    "WHERE e.language = ? AND i.kind = 'top'",
                    (lang,),
                )
            )
            for lang in ("fr", "en")
        }
        languages = dict(db.execute("SELECT email, language FROM subscribers"))
        topics = dict(db.execute("SELECT email, topics FROM subscribers"))
    assert headlines["fr"] and headlines["en"]

    recipients = set()
    for path in emls:
        msg = parse(path)
        to = msg["To"].addresses[0].addr_spec
        recipients.add(to)
        assert msg.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        html_part = msg.get_body(preferencelist=("html",))
        assert html_part is not None
        html = html_part.get_content()
        lang = languages[to]
        chosen = set(topics[to].split(";")) if topics[to] else None
        wanted = [h for h, cat in headlines[lang].items() if chosen is None or cat in chosen]
        assert wanted
        text = html_lib.unescape(html)
        missing = [h for h in wanted if typeset(h, lang) not in text]
        assert not missing, f"{to}: headlines missing: {missing}"
        if chosen is not None:  # a topic subscriber gets only their categories
            others = [h for h, cat in headlines[lang].items() if cat not in chosen]
            assert others and not [h for h in others if typeset(h, lang) in text]
        assert path.with_suffix(".html").exists()
    assert recipients == confirmed
    assert "karim@example.org" not in recipients  # never confirmed

    index = folder / "index.html"
    assert str(index) in first.stdout
    for path in emls:
        assert path.name in index.read_text(encoding="utf-8")

    second = run_demo(tmp_path)
    assert second.returncode == 0, second.stderr
    assert "nothing new to send" in second.stdout
    assert len(list((folder / "mail").glob("*.eml"))) == len(confirmed)
    with sqlite3.connect(folder / "digest.db") as db:
        assert db.execute("SELECT count(*) FROM editions").fetchone()[0] == 2
        assert db.execute("SELECT count(*) FROM deliveries WHERE state = 'sent'").fetchone()[0] == len(confirmed)
