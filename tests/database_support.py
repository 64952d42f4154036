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

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event
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
