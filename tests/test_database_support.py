"""The suite's own PostgreSQL schema pool: a schema goes to the next test empty and as
migrated, and one a test changed the structure of is never handed on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from database_support import SchemaPool, schema_url
from delivery_support import add_subscribers
from sqlalchemy import text

from digest.store import Store
from digest.store.schema import head_revision

pytestmark = pytest.mark.usefixtures("pg_database")


def test_a_schema_given_back_comes_back_empty_at_head_with_ids_from_one(
    pg_database: str, pg_schemas: SchemaPool
) -> None:
    schema = pg_schemas.take()
    store = Store(schema_url(pg_database, schema))
    now = datetime(2026, 12, 6, tzinfo=UTC)
    add_subscribers(store, 3, now=now)
    store.close()
    pg_schemas.give_back(schema)
    assert schema in pg_schemas.free

    again = pg_schemas.take()
    assert again == schema
    store = Store(schema_url(pg_database, again))
    try:
        with store.engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM subscribers")).scalar() == 0
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
        add_subscribers(store, 1, now=now)
        with store.engine.begin() as conn:
            assert conn.execute(text("SELECT min(id) FROM subscribers")).scalar() == 1
    finally:
        store.close()
        pg_schemas.give_back(again)


def test_a_schema_whose_structure_a_test_changed_is_dropped(pg_database: str, pg_schemas: SchemaPool) -> None:
    schema = pg_schemas.take()
    store = Store(schema_url(pg_database, schema))
    with store.engine.begin() as conn:
        conn.execute(text("ALTER TABLE subscribers ADD COLUMN extra integer"))
    store.close()
    pg_schemas.give_back(schema)
    assert schema not in pg_schemas.free
    with pg_schemas.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM pg_namespace WHERE nspname = :s"), {"s": schema}).scalar() == 0
