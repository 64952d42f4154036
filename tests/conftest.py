"""Shared fixtures: real databases (a SQLite file always, PostgreSQL when
DIGEST_TEST_DATABASE_URL is set), each test getting its own empty schema."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from smtp_server import SMTPServer
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from web_support import Clock, RecordingProofSender

from digest.store import Store

# No per-example deadline: the machine is shared and timing is the benchmarks' job. In CI
# the examples are derandomised, so a run is reproducible and never flaky; locally they
# stay random, which is how new failing cases are found.
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None, print_blob=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")

PG_URL = os.environ.get("DIGEST_TEST_DATABASE_URL", "")
ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"

BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason="DIGEST_TEST_DATABASE_URL not set")),
]


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database created for this test run and dropped after it."""
    if not PG_URL:
        pytest.skip("DIGEST_TEST_DATABASE_URL not set")
    name = f"digest_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_url(pg_database: str) -> Iterator[str]:
    """An empty schema in the run's PostgreSQL database, used through search_path."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_database, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg_database else "?"
    url = f"{pg_database}{sep}options=-csearch_path%3D{schema}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL: a fresh SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'digest.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A store with the current schema, on each backend."""
    s = Store(db_url)
    s.init()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def now() -> datetime:
    """A fixed 'now' for tests: Sunday 29 November 2026, 06:00 UTC."""
    return datetime(2026, 11, 29, 6, 0, tzinfo=UTC)


@pytest.fixture
def seed_text() -> str:
    """The seed article page's text (a French news site), kept in the repo so the tests
    need nothing beside a plain clone."""
    return (FIXTURES / "seed" / "news_page.txt").read_text(encoding="utf-8")


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    """A real SMTP server (aiosmtpd) on a free port, recording what it receives."""
    with SMTPServer() as server:
        yield server


@pytest.fixture
def clock(now: datetime) -> Clock:
    """A settable clock starting at ``now``, to pass as ``now=``."""
    return Clock(now)


@pytest.fixture
def proofs() -> RecordingProofSender:
    """What the admin API's test sends were asked to deliver (no mail leaves)."""
    return RecordingProofSender()
