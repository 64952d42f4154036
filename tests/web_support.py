"""Helpers for the web tests: settings with secrets in files, a clock, page scraping."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from smtp_server import Received

from digest import config
from digest.config import Settings
from digest.models import Consent
from digest.store import Store
from digest.subscribers import membership as subs
from digest.tokens import Tokens

SECRET = "web-test-signing-key-0123456789"
ADMIN_TOKEN = "admin-token-abcdef-0123456789"
CATEGORIES = ["Politique", "Économie", "Sport", "Culture", "Tech"]
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


class Clock:
    """A settable clock to pass as ``now=``."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def web_settings(tmp_path: Path, smtp_port: int, *, base_url: str = "http://testserver", **more: Any) -> Settings:
    """Settings for a test app: secrets in files (never from the caller's environment)."""
    (tmp_path / "secret_key").write_text(SECRET, encoding="utf-8")
    (tmp_path / "admin_token").write_text(ADMIN_TOKEN, encoding="utf-8")
    overrides: dict[str, dict[str, Any]] = {
        "newsletter": {"base_url": base_url, "categories": CATEGORIES, "postal_address": "1 rue de l'Exemple, Paris"},
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "timeout_seconds": 5.0},
        "web": {
            "secret_key_env": "DIGEST_TEST_UNSET_SECRET_KEY",
            "secret_key_file": str(tmp_path / "secret_key"),
            "admin_token_env": "DIGEST_TEST_UNSET_ADMIN_TOKEN",
            "admin_token_file": str(tmp_path / "admin_token"),
        },
    }
    for section, keys in more.items():
        overrides.setdefault(section, {}).update(keys)
    return config.load(env={}).with_overrides(overrides)


def csrf_token(page: str) -> str:
    """The CSRF hidden field of the (first) form on a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF field on the page"
    return match.group(1)


def heading(page: str) -> str:
    """The page's h1, unescaped."""
    match = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert match, "no h1"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def status_text(page: str) -> str:
    """The text of the page's role=status banner, or ""."""
    match = re.search(r'role="status">(.*?)<', page, re.S)
    return html.unescape(match.group(1)).strip() if match else ""


def confirm_path(mail: Received, base_url: str = "http://testserver") -> str:
    """The confirm link's path from a captured confirmation mail (text part)."""
    body = mail.message().get_body(("plain",))
    assert body is not None
    match = re.search(re.escape(base_url) + r"(/confirm/[A-Za-z0-9_.\-]+)", body.get_content())
    assert match, "no confirm link in the mail"
    return match.group(1)


def token(subscriber_id: int, purpose: str, now: datetime, *, scope: str = "") -> str:
    """A link token as the app (same key) makes it, e.g. for an edition mail's links
    (an archive link's scope is its edition id)."""
    return Tokens(SECRET, max_age_seconds=60 * 86400).make(purpose, subscriber_id, now=now, scope=scope)


def add_subscriber(store: Store, email: str, now: datetime, *, confirmed: bool = True, **profile: Any) -> int:
    """A subscriber added directly (as an admin would), returning its id."""
    settings = config.load(env={})
    checked, _ = subs.check_profile(settings, CATEGORIES, **profile)
    sub = subs.add(store, settings, email, checked, consent=Consent(at=now, source="cli"), confirmed=confirmed, now=now)
    assert sub.id is not None
    return sub.id


class RecordingProofSender:
    """The delivery side of a test send, as the API sees it: records what it is asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, list[str]]] = []

    async def __call__(self, edition_id: int, addresses: Sequence[str]) -> Mapping[str, str]:
        self.calls.append((edition_id, list(addresses)))
        return {a: "sent" for a in addresses}
