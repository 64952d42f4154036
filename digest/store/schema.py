"""Create or upgrade the schema with the Alembic migrations shipped in the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from digest.errors import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic config pointing at the package's migrations and at ``engine``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    """The newest migration shipped with this version of digest."""
    script = ScriptDirectory.from_config(alembic_config_for_scripts())
    head = script.get_current_head()
    assert head is not None
    return head


def alembic_config_for_scripts() -> Config:
    """A config for reading the migration scripts only."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        raise StoreError(f"cannot reach the database: {exc.orig}") from None


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; safe to run any number of times.

    Returns (revision before, revision after).
    """
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
