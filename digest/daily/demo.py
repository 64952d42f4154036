"""`digest demo`: the whole product on embedded defaults, in one folder.

Creates (or reuses) a folder with a SQLite database, a config and a signing key;
imports the bundled sample (JSON Lines, an RSS feed, an HTML article page), shifted so
its articles are today's; adds sample subscribers in several languages and timezones;
builds today's editions; and sends them through a local capture SMTP server (aiosmtpd on
127.0.0.1, a free port), saving each message as .eml and its HTML part beside it, with
an index.html linking them all. Running it again sends nothing twice: the delivery rows
say who already has today's edition.
"""

from __future__ import annotations

import email
import email.policy
import html
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from digest import config
from digest.config import Settings
from digest.mail.parts import html_part
from digest.models import Consent, Edition
from digest.store import Store

#: The sample's own edition date: its articles are dated the day before, up to 07:00.
SAMPLE_DATE = date(2026, 11, 29)

CONFIG = """\
# digest demo configuration: every other key takes its default (see config.example.toml).
[newsletter]
name = "Le Brief"
sender = "Le Brief <brief@demo.digest.localhost>"
postal_address = "Le Brief (demo), 1 rue de l'Exemple, 20000 Casablanca, Maroc"
# Dates as Moroccan French and British English write them.
locale = ["fr_MA", "en_GB"]
base_url = "http://127.0.0.1:8000"

[database]
url = "sqlite:///digest.db"

[web]
# The key that signs links lives in a file beside this one, never in the config.
secret_key_file = "secret.key"

[schedule]
send_at = "07:00"
timezone = "Africa/Casablanca"
"""

#: (email, name, language, topics, timezone, send_at, confirmed)
SUBSCRIBERS: tuple[tuple[str, str, str, str, str, str, bool], ...] = (
    ("amina@example.org", "Amina", "fr", "", "Africa/Casablanca", "", True),
    ("lucas@example.org", "Lucas", "fr", "Politique;Économie", "Europe/Paris", "06:30", True),
    ("sofia@example.org", "Sofia", "en", "", "America/New_York", "07:30", True),
    ("arjun@example.org", "Arjun", "en", "", "Asia/Kolkata", "08:00", True),
    ("karim@example.org", "Karim", "fr", "", "", "", False),  # never confirmed: gets nothing
)

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:[+-]\d{2}:\d{2}|Z)")
_PUBDATE = re.compile(r"<pubDate>([^<]+)</pubDate>")


@dataclass
class DemoReport:
    """What a demo run did, for the closing summary."""

    directory: Path
    edition_date: date
    imported: int = 0
    unchanged: int = 0
    rejected: list[str] = field(default_factory=list)
    subscribers_added: int = 0
    editions: list[Edition] = field(default_factory=list)
    sent: int = 0
    already_sent: int = 0
    failed: int = 0
    messages: list[Path] = field(default_factory=list)
    index: Path | None = None


def prepare(directory: Path) -> Settings:
    """Create the folder, its config and its signing key when missing; load the config."""
    directory.mkdir(parents=True, exist_ok=True)
    cfg = directory / "digest.toml"
    if not cfg.exists():
        cfg.write_text(CONFIG, encoding="utf-8")
    key = directory / "secret.key"
    if not key.exists():
        key.write_text(secrets.token_urlsafe(32) + "\n", encoding="utf-8")
        key.chmod(0o600)
    return config.load(cfg, env={})


def shifted_sample(target: Path, days: int) -> list[Path]:
    """Copy the bundled sample into ``target`` with every date moved by ``days`` days."""
    target.mkdir(parents=True, exist_ok=True)
    delta = timedelta(days=days)

    def iso(match: re.Match[str]) -> str:
        text = match.group(0)
        moved = datetime.fromisoformat(text.replace("Z", "+00:00")) + delta
        return moved.isoformat(timespec="seconds")

    def rfc822(match: re.Match[str]) -> str:
        return f"<pubDate>{format_datetime(parsedate_to_datetime(match.group(1)) + delta)}</pubDate>"

    out = []
    sample = resources.files("digest") / "sample"
    for name, shift in (("articles.jsonl", None), ("feed.xml", rfc822), ("page.html", iso)):
        text = (sample / name).read_text(encoding="utf-8")
        if name.endswith(".jsonl"):
            lines = []
            for line in text.splitlines():
                if line.strip():
                    item = json.loads(line)
                    item["published_at"] = _ISO.sub(iso, item["published_at"])
                    lines.append(json.dumps(item, ensure_ascii=False))
            text = "\n".join(lines) + "\n"
        else:
            assert shift is not None
            text = (_PUBDATE if name == "feed.xml" else _ISO).sub(shift, text)
        path = target / name
        path.write_text(text, encoding="utf-8")
        out.append(path)
    return out


def today_in(settings: Settings, now: datetime) -> date:
    """The edition date for ``now``: today in the newsletter's timezone."""
    return now.astimezone(ZoneInfo(settings.schedule.timezone)).date()


def save_html_parts(eml: Path) -> Path | None:
    """Write the HTML part of a captured message beside it (same name, .html)."""
    page = html_part(eml.read_bytes())
    if page is None:
        return None
    out = eml.with_suffix(".html")
    out.write_text(page, encoding="utf-8")
    return out


def write_index(directory: Path, messages: list[Path]) -> Path:
    """An index.html linking every captured message (its HTML and its .eml)."""
    rows = []
    for eml in sorted(messages):
        msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        subject, to = str(msg.get("Subject", "")), str(msg.get("To", ""))
        page = eml.with_suffix(".html")
        rel_html = page.relative_to(directory).as_posix() if page.exists() else ""
        rel_eml = eml.relative_to(directory).as_posix()
        rows.append(
            f"<tr><td>{html.escape(to)}</td><td>{html.escape(subject)}</td>"
            f'<td><a href="{html.escape(rel_html)}">HTML</a></td>'
            f'<td><a href="{html.escape(rel_eml)}">.eml</a></td></tr>'
        )
    index = directory / "index.html"
    index.write_text(
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>digest demo: captured mail</title>'
        "<style>body{font-family:Arial,Helvetica,sans-serif;margin:2em}td,th{padding:.3em .8em;text-align:left}"
        "</style></head><body><h1>Messages received by the demo SMTP server</h1>"
        '<table><tr><th>To</th><th>Subject</th><th colspan="2">Open</th></tr>\n'
        + "\n".join(rows)
        + "\n</table></body></html>\n",
        encoding="utf-8",
    )
    return index


def add_subscribers(store: Store, settings: Settings, now: datetime) -> int:
    """Add the sample subscribers not on the list yet; return how many were added."""
    from digest.store.subscribers import by_email
    from digest.subscribers import membership as subscriptions

    added = 0
    known = subscriptions.known_topics(settings, store)
    for address, name, language, topics, tz, send_at, confirmed in SUBSCRIBERS:
        if by_email(store, address) is not None:
            continue
        profile, _ = subscriptions.check_profile(
            settings, known, name=name, language=language, topics=topics, timezone=tz, send_at=send_at or None
        )
        consent = Consent(at=now, source="demo", text_version="demo")
        subscriptions.add(store, settings, address, profile, consent=consent, confirmed=confirmed, now=now)
        added += 1
    return added


def run(directory: Path, *, now: datetime) -> DemoReport:
    """Run the demo in ``directory`` (created or reused) as of ``now``."""
    import asyncio

    from digest.daily.build import build_editions, fan_out_now, summarizer_for
    from digest.deliver.ledger import sender_id
    from digest.deliver.local_inbox import CaptureServer
    from digest.deliver.messages import EditionMessages
    from digest.deliver.sender import run_sender
    from digest.ingest import import_sources

    directory = directory.resolve()
    settings = prepare(directory)
    store = Store(settings.database_url)
    try:
        store.init()
        edition_date = today_in(settings, now)
        report = DemoReport(directory=directory, edition_date=edition_date)
        sources = shifted_sample(directory / "sample", (edition_date - SAMPLE_DATE).days)
        imported = import_sources(store, settings, [str(p) for p in sources], now=now)
        report.imported, report.unchanged = imported.added + imported.updated, imported.unchanged
        report.rejected = list(imported.rejections)
        report.subscribers_added = add_subscribers(store, settings, now)
        report.editions = build_editions(
            store, settings, edition_date=edition_date, now=now, summarizer=summarizer_for(settings)
        )
        ids = fan_out_now(store, report.editions, now=now)
        mail_dir = directory / "mail"
        with CaptureServer(mail_dir) as server:
            smtp = settings.with_overrides(server.smtp_overrides())
            messages = EditionMessages.from_settings(smtp, store, clock=lambda: now)
            sent = asyncio.run(
                run_sender(store, smtp, messages, sender_id=sender_id(), stop=asyncio.Event(), edition_ids=ids)
            )
        report.sent, report.failed = sent.sent, sent.failed + sent.retrying
        for eml in sorted(mail_dir.glob("*.eml")):
            save_html_parts(eml) if not eml.with_suffix(".html").exists() else None
            report.messages.append(eml)
        report.index = write_index(directory, report.messages)
        return report
    finally:
        store.close()
