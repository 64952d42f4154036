"""Create or upgrade the schema with the Alembic migrations shipped in the package.

Alembic (with Mako and its DDL modules: about 0.3 s of CPU to import) is imported only
by :func:`upgrade`, the one function that migrates. Every other process (a `digest send`,
a sender restarted by systemd, the service) only checks the schema at start: it reads
``alembic_version`` with plain SQL and compares it with the newest revision shipped,
read once from the migration files themselves (tests/test_store.py checks both answers
against Alembic's own).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Column, Engine, MetaData, String, Table, inspect, select
from sqlalchemy.exc import OperationalError

from digest.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
#: Alembic's bookkeeping table (its default name, which digest does not change).
VERSION_TABLE = "alembic_version"
_version = Table(VERSION_TABLE, MetaData(), Column("version_num", String(32), primary_key=True))


def alembic_config(engine: Engine) -> Config:
    """An Alembic config pointing at the package's migrations and at ``engine``."""
    cfg = alembic_config_for_scripts()
    cfg.attributes["engine"] = engine
    return cfg


def alembic_config_for_scripts() -> Config:
    """A config for reading the migration scripts only."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _assigned(tree: ast.Module, name: str) -> object:
    """The literal a migration file assigns to ``name`` at module level (None if absent)."""
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return ast.literal_eval(value)
    return None


@functools.cache
def head_revision() -> str:
    """The newest migration shipped with this version of digest: the one revision no
    other migration revises (read from the files, once per process)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        revision = _assigned(tree, "revision")
        if not isinstance(revision, str):
            continue
        revisions.add(revision)
        down = _assigned(tree, "down_revision")
        revised.update([down] if isinstance(down, str) else down if isinstance(down, tuple | list) else [])
    heads = revisions - revised
    if len(heads) != 1:
        raise StoreError(f"the shipped migrations have {len(heads)} heads: {', '.join(sorted(heads)) or 'none'}")
    return heads.pop()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database (as Alembic reads
    it: the one row of ``alembic_version``, the table looked up on the search path)."""
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table(VERSION_TABLE):
                return None
            rows = list(conn.execute(select(_version.c.version_num)).scalars())
    except OperationalError as exc:
        raise StoreError(f"cannot reach the database: {exc.orig}") from None
    if len(rows) > 1:
        raise StoreError(f"the database's {VERSION_TABLE} table has more than one revision: {', '.join(rows)}")
    return rows[0] if rows else None


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; safe to run any number of times.

    Returns (revision before, revision after).
    """
    from alembic import command

    before = current_revision(engine)
    try:
        command.upgrade(alembic_config(engine), "head")
    except OperationalError as exc:
        raise StoreError(f"cannot upgrade the database: {exc.orig}") from None
    return before, head_revision()


def require_current(engine: Engine) -> None:
    """Raise a clear error when the schema is missing or behind this version."""
    rev = current_revision(engine)
    if rev is None:
        raise StoreError("the database has no schema yet: run `digest init`")
    if rev != head_revision():
        raise StoreError(f"the database schema is at {rev}, this digest needs {head_revision()}: run `digest init`")
