"""Engines for SQLite and PostgreSQL, with the settings each needs.

SQLite: WAL (readers never block the writer), a busy timeout, foreign keys on, and
transactions begun by SQLAlchemy rather than by the driver, so a unit of work can ask
for ``BEGIN IMMEDIATE`` (see :func:`immediate`) and take the write lock up front —
that is how delivery claims are serialised on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from digest.errors import StoreError

SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` configured for digest's access patterns."""
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
            _configure_sqlite(engine)
        else:
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                # psycopg 3 is the driver we ship; plain URLs would ask for psycopg2.
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            engine = create_engine(url, pool_pre_ping=True, **kwargs)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise StoreError(f"[database] url: cannot use {_redact(url)}: {exc}") from None
    return engine


def _redact(url: str) -> str:
    """The URL without its password, safe for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable url>"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (see _on_begin) instead of pysqlite.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def dialect_insert(dialect: str) -> Any:
    """The INSERT construct of ``dialect`` (``sqlite`` or ``postgresql``, as in
    ``conn.dialect.name``): both have ``ON CONFLICT DO NOTHING``."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


@contextmanager
def immediate(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the write lock from its first statement.

    On SQLite this is ``BEGIN IMMEDIATE``; on PostgreSQL an ordinary transaction
    (callers use ``FOR UPDATE SKIP LOCKED`` there).
    """
    if isinstance(engine, Joined):  # already inside Store.transaction(): join it
        yield engine.connection
        return
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            yield conn


class Joined:
    """An engine stand-in bound to one connection inside an open transaction: every
    ``connect()``, ``begin()`` and :func:`immediate` made through it joins that
    transaction instead of opening another (see :meth:`digest.store.Store.transaction`).
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect
        self.url = connection.engine.url

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """The transaction's connection (left open: the transaction owns it)."""
        yield self.connection

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """The transaction's connection; committed when the outer transaction is."""
        yield self.connection

    def dispose(self) -> None:
        """Nothing to release: the outer transaction's engine owns the pool."""
