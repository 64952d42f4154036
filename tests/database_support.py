"""Migrated template databases: the migrations run once per worker, each test gets a copy.

SQLite: the migrations run into a template file, and a test's database is a copy of
that file. PostgreSQL: the migrations run into a template schema while the SQL they
send is recorded, and a test's schema gets that SQL replayed into it in one transaction
(``search_path`` points at the test's schema, so the same statements build it there).

Measured on the 2-core CI machine, per test, under load: Alembic 1.5 s; replaying the
recorded SQL 0.6 s; ``CREATE DATABASE ... TEMPLATE`` 0.26 s, but dropping that database
forces a checkpoint (2-3 s), so a schema per test is the cheaper copy.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.engine import make_url

from digest.store import Store


def migrated_sqlite_template(path: Path) -> Path:
    """A SQLite file at ``path`` with the current schema, whole in its main file (no WAL
    left beside it), ready to be copied."""
    store = Store(f"sqlite:///{path}")
    try:
        store.init()
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()
    return path


_template: Path | None = None


def sqlite_template_path() -> Path:
    """This process's migrated SQLite template: migrated the first time it is asked,
    removed when the process exits."""
    global _template
    if _template is None:
        folder = Path(tempfile.mkdtemp(prefix="digest-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _template = migrated_sqlite_template(folder / "digest.db")
    return _template


def new_sqlite_store(path: Path) -> Store:
    """A store with the current schema in a new SQLite file at ``path``: a copy of the
    process's template, not a migration of its own (Alembic costs about half a second a
    database, a copy a millisecond)."""
    url = f"sqlite:///{path}"
    copy_sqlite(sqlite_template_path(), url)
    return Store(url)


def copy_sqlite(template: Path, url: str) -> None:
    """Make the SQLite database of ``url`` (not yet created) a copy of ``template``."""
    prefix = "sqlite:///"
    assert url.startswith(prefix), url
    shutil.copyfile(template, url[len(prefix) :])


def schema_url(database_url: str, schema: str) -> str:
    """``database_url`` with ``schema`` as the search path of every connection."""
    sep = "&" if "?" in database_url else "?"
    return f"{database_url}{sep}options=-csearch_path%3D{schema}"


def schema_of(url: str) -> str:
    """The schema a :func:`schema_url` URL points at."""
    options = make_url(url).query.get("options", "")
    assert isinstance(options, str) and options.startswith("-csearch_path="), url
    return options.removeprefix("-csearch_path=")


@dataclass(frozen=True)
class Statement:
    """One statement the migrations sent, with its parameters."""

    sql: str
    parameters: Any = None


def record_migrations(url: str) -> list[Statement]:
    """Run the migrations on the (empty) database of ``url``, returning the statements
    that changed it: what reads the catalogue or the revision is left out."""
    store = Store(url)
    sent: list[Statement] = []

    def record(_conn: Connection, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if not statement.lstrip().upper().startswith(("SELECT", "SHOW")):
            sent.append(Statement(statement, parameters or None))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        store.init()
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
        store.close()
    return sent


def replay(engine: Engine, schema: str, statements: Sequence[Statement]) -> None:
    """Build ``schema`` (which must exist, empty) by running ``statements`` there in one
    transaction; runs of statements without parameters go in one round trip."""
    with engine.begin() as conn:
        cursor = conn.connection.cursor()
        try:
            cursor.execute(f'SET LOCAL search_path TO "{schema}"')
            script: list[str] = []
            for statement in [*statements, None]:
                if statement is not None and not statement.parameters:
                    script.append(statement.sql)
                    continue
                if script:
                    cursor.execute(";\n".join(script))
                    script = []
                if statement is None:
                    break
                if isinstance(statement.parameters, (list, tuple)):
                    cursor.executemany(statement.sql, statement.parameters)
                else:
                    cursor.execute(statement.sql, statement.parameters)
        finally:
            cursor.close()


class SchemaPool:
    """Migrated PostgreSQL schemas of one worker, cleaned and handed to the next test.

    Building a schema (replaying the migrations' SQL) and dropping it cost about 150 ms
    of the server's time per test; emptying its tables costs about 10. A schema goes
    back to the pool only when its structure is still the template's (the same tables,
    indexes, sequences and columns, and the same Alembic revision): one a test altered
    is dropped, as before."""

    def __init__(self, engine: Engine, statements: Sequence[Statement]) -> None:
        self.engine = engine
        self.statements = statements
        self.free: list[str] = []
        self.signature = ""

    def take(self) -> str:
        """A migrated schema with no row but its Alembic revision."""
        if self.free:
            return self.free.pop()
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with self.engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        replay(self.engine, schema, self.statements)
        if not self.signature:
            self.signature = self._signature(schema)
        return schema

    def give_back(self, schema: str) -> None:
        """Empty ``schema`` for the next test, or drop it when it is not the template's
        any more (or could not be emptied)."""
        try:
            if self._signature(schema) == self.signature:
                self._empty(schema)
                self.free.append(schema)
                return
        except Exception:  # a test left it unusable: drop it below
            pass
        with self.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))

    def _signature(self, schema: str) -> str:
        with self.engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT (SELECT string_agg(c.relname::text || ':' || c.relkind::text, ',' ORDER BY c.relname) "
                    "        FROM pg_class c WHERE c.relnamespace = CAST(:s AS regnamespace)), "
                    "       (SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                    "        WHERE c.relnamespace = CAST(:s AS regnamespace) AND a.attnum > 0 "
                    "        AND NOT a.attisdropped), "
                    "       (SELECT count(*) FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid "
                    "        WHERE c.relnamespace = CAST(:s AS regnamespace))"
                ),
                {"s": schema},
            ).one()
            version = conn.execute(text(f"SELECT string_agg(version_num, ',') FROM \"{schema}\".alembic_version"))
            return f"{row[0]}|{row[1]}|{row[2]}|{version.scalar()}"

    def _empty(self, schema: str) -> None:
        with self.engine.begin() as conn:
            # No trigger and no foreign-key check while emptying (the tables go in any
            # order, and delivery_counts' triggers need not keep up with rows going away).
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text("SET LOCAL lock_timeout = '10s'"))
            tables = conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = :s AND tablename <> 'alembic_version'"),
                {"s": schema},
            ).scalars()
            for table in list(tables):
                conn.execute(text(f'DELETE FROM "{schema}"."{table}"'))
            conn.execute(
                text(
                    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false) "
                    "FROM pg_sequences WHERE schemaname = :s"
                ),
                {"s": schema},
            )
