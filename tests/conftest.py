"""Shared fixtures: real databases (a SQLite file always, PostgreSQL when
DIGEST_TEST_DATABASE_URL is set), each test getting its own; a real SMTP server.

What is costly is paid once per worker (pytest-xdist process), not once per test: the
migrations (each test's ``store`` is a copy of a migrated template, see
database_support), the SMTP server (one per worker, cleared before each test) and the
PostgreSQL database (one per worker, a schema per test)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from browser_support import _chromium, browser  # noqa: F401  (fixtures: one Chromium per worker)
from database_support import (
    SchemaPool,
    Statement,
    copy_sqlite,
    record_migrations,
    schema_url,
    sqlite_template_path,
)
from hypothesis import settings as hypothesis_settings
from smtp_server import SMTPServer
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool
from web_support import Clock, RecordingProofSender

from digest.store import Store

# Hypothesis profiles. No per-example deadline: the machine is shared and timing is the
# benchmarks' job. "ci" (what .ci/run uses): 100 examples per property, derandomised, so
# a run is reproducible and never flaky. "dev" (the default): 100 random examples, which
# is how new failing cases are found. "thorough": 1,000 random examples per property,
# chosen with `pytest --hypothesis-profile=thorough` (see the README).
hypothesis_settings.register_profile("ci", max_examples=100, deadline=None, derandomize=True, print_blob=True)
hypothesis_settings.register_profile("dev", max_examples=100, deadline=None, print_blob=True)
hypothesis_settings.register_profile("thorough", max_examples=1000, deadline=None, print_blob=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")

# Admin passwords are hashed with argon2's cheapest parameters in tests (digest.admins
# reads this variable; production keeps RFC 9106's): subprocesses inherit it too.
os.environ.setdefault("DIGEST_PASSWORD_HASH_PROFILE", "cheapest")

PG_URL = os.environ.get("DIGEST_TEST_DATABASE_URL", "")
ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def pytest_configure(config: pytest.Config) -> None:
    """Compile digest/ to bytecode once, in the controller, before any worker starts.

    The package is installed editable, so pip never compiled it; and where
    PYTHONDONTWRITEBYTECODE is set (as on the CI machines) no process writes a .pyc, so
    each of the suite's few hundred `digest` subprocesses compiled every module it
    imported from source again: about a tenth of a process test's time. Reading a
    .pyc is still allowed with that variable set."""
    if hasattr(config, "workerinput"):
        return  # a pytest-xdist worker: its controller compiled already
    import compileall

    compileall.compile_dir(ROOT / "digest", quiet=1, workers=1)


BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason="DIGEST_TEST_DATABASE_URL not set")),
]


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database created for this worker's run and dropped after it.

    Its commits do not wait for the WAL to reach the disk (``synchronous_commit = off``,
    set on this database only): what a commit makes visible and when is unchanged; only
    a crash of the server itself could lose the last commits, which no test needs.
    """
    if not PG_URL:
        pytest.skip("DIGEST_TEST_DATABASE_URL not set")
    name = f"digest_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_engine(pg_database: str) -> Iterator[Engine]:
    """One pooled connection to the worker's database, for creating schemas."""
    engine = create_engine(pg_database, poolclass=StaticPool)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def pg_template(pg_database: str, pg_engine: Engine) -> list[Statement]:
    """The SQL the migrations send, recorded once per worker in a template schema."""
    with pg_engine.begin() as conn:
        conn.execute(text('CREATE SCHEMA "template"'))
    return record_migrations(schema_url(pg_database, "template"))


@pytest.fixture
def pg_url(pg_database: str, pg_engine: Engine) -> Iterator[str]:
    """An empty schema of its own in the run's PostgreSQL database, used through
    search_path, dropped after the test (dropping them all with the database at the end
    of the run was slower: its one checkpoint then unlinks every table at once)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with pg_engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema_url(pg_database, schema)
    finally:
        with pg_engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.fixture(scope="session")
def sqlite_template() -> Path:
    """A SQLite file with the current schema, migrated once per worker (the one
    database_support.new_sqlite_store copies too)."""
    return sqlite_template_path()


@pytest.fixture(scope="session")
def pg_schemas(pg_engine: Engine, pg_template: list[Statement]) -> SchemaPool:
    """The worker's migrated schemas, emptied and reused from test to test."""
    return SchemaPool(pg_engine, pg_template)


@pytest.fixture
def pg_migrated_url(pg_database: str, pg_schemas: SchemaPool) -> Iterator[str]:
    """A migrated schema with no data (the worker's pool), for the ``store`` fixture."""
    schema = pg_schemas.take()
    try:
        yield schema_url(pg_database, schema)
    finally:
        pg_schemas.give_back(schema)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The test's database URL: a fresh SQLite file, or a PostgreSQL schema of its own
    (empty, or already migrated when the test also uses ``store``)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'digest.db'}"
    url: str = request.getfixturevalue("pg_migrated_url" if "store" in request.fixturenames else "pg_url")
    return url


@pytest.fixture
def store(request: pytest.FixtureRequest, db_url: str) -> Iterator[Store]:
    """A store with the current schema, on each backend, at ``db_url``: a copy of the
    worker's migrated template (see database_support)."""
    if db_url.startswith("sqlite"):
        copy_sqlite(request.getfixturevalue("sqlite_template"), db_url)
    s = Store(db_url)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def migrated_sqlite(sqlite_template: Path) -> Callable[[Path], Store]:
    """Make a store with the current schema in a SQLite file at a given path (a copy of
    the worker's template), for tests that need SQLite whatever the backend."""

    def make(path: Path) -> Store:
        url = f"sqlite:///{path}"
        copy_sqlite(sqlite_template, url)
        return Store(url)

    return make


@pytest.fixture
def now() -> datetime:
    """A fixed 'now' for tests: Sunday 29 November 2026, 06:00 UTC."""
    return datetime(2026, 11, 29, 6, 0, tzinfo=UTC)


@pytest.fixture
def seed_text() -> str:
    """The seed article page's text (a French news site), kept in the repo so the tests
    need nothing beside a plain clone."""
    return (FIXTURES / "seed" / "news_page.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SMTPServer]:
    """The worker's SMTP server, started once (see ``smtp``)."""
    with SMTPServer() as server:
        yield server


@pytest.fixture
def smtp(smtp_server: SMTPServer) -> SMTPServer:
    """A real SMTP server (aiosmtpd) on a free port, recording what it receives: the
    worker's one server, reset (nothing received, no fault, no connection open) before
    each test. A test that needs other server options starts its own SMTPServer."""
    smtp_server.reset()
    return smtp_server


@pytest.fixture
def clock(now: datetime) -> Clock:
    """A settable clock starting at ``now``, to pass as ``now=``."""
    return Clock(now)


@pytest.fixture
def proofs() -> RecordingProofSender:
    """What the admin API's test sends were asked to deliver (no mail leaves)."""
    return RecordingProofSender()


#: What a test marked ``browser`` (and not ``slow``) takes, about: a page journey.
BROWSER_SECONDS = 10.0


def expected_seconds(item: pytest.Item) -> float:
    """About how long ``item`` takes: ``@pytest.mark.slow(seconds=N)`` says N, a bare
    ``slow`` mark or a ``browser`` mark about 10 s, anything else next to nothing."""
    slow = item.get_closest_marker("slow")
    if slow is not None:
        return float(slow.kwargs.get("seconds", BROWSER_SECONDS))
    return BROWSER_SECONDS if item.get_closest_marker("browser") else 0.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the longest tests first, so that the workers share them out and the many
    short ones fill in around them, instead of a long test starting near the end and
    finishing the run alone. With ``--maxschedchunk=1`` (as CI runs it) pytest-xdist
    hands each worker the next test when it has fewer than two waiting: longest first,
    to whichever worker is free. (Without it, xdist gives each worker a run of
    consecutive tests at the start: every long test on the first worker.)"""
    items.sort(key=expected_seconds, reverse=True)  # stable: the rest keep their order
