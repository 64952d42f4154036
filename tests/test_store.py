"""Storage: migrations create the schema the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from digest.errors import StoreError
from digest.store import Store, immediate, schema
from digest.store import tables as t


def test_init_twice_leaves_one_schema_at_head(db_url: str) -> None:
    s = Store(db_url)
    before, after = s.init()
    assert before is None and after == Store.head()
    again = s.init()
    assert again == (Store.head(), Store.head())
    with s.engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert versions == [Store.head()]
    names = set(inspect(s.engine).get_table_names())
    assert {
        "articles",
        "feeds",
        "subscribers",
        "suppressions",
        "editions",
        "edition_items",
        "deliveries",
        "delivery_attempts",
    } <= names
    s.close()


def test_the_schema_check_reads_what_alembic_reads(db_url: str) -> None:
    # The check at every start reads alembic_version with SQL and the head from the
    # migration files, without importing Alembic: the same answers as Alembic's own.
    s = Store(db_url)

    def alembic_says() -> str | None:
        with s.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    assert s.revision() is None and alembic_says() is None
    with pytest.raises(StoreError, match="no schema yet"):
        s.check()
    s.init()
    assert s.revision() == alembic_says() == Store.head()
    assert Store.head() == ScriptDirectory.from_config(schema.alembic_config_for_scripts()).get_current_head()
    s.check()
    with s.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0009_full_text'"))
    assert s.revision() == alembic_says() == "0009_full_text"
    with pytest.raises(StoreError, match=f"schema is at 0009_full_text, this digest needs {Store.head()}"):
        s.check()
    with s.engine.begin() as conn:
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('0010_tracking')"))
    with pytest.raises(StoreError, match="more than one revision"):
        s.check()
    s.close()


def test_the_head_is_the_one_revision_nobody_revises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped, head = schema.MIGRATIONS / "versions", Store.head()
    (tmp_path / "versions").mkdir()
    for path in shipped.glob("*.py"):
        (tmp_path / "versions" / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(schema, "MIGRATIONS", tmp_path)
    schema.head_revision.cache_clear()
    try:
        assert schema.head_revision() == head
        (tmp_path / "versions" / "0099_next.py").write_text(
            f'revision = "0099_next"\ndown_revision = "{head}"\n', encoding="utf-8"
        )
        schema.head_revision.cache_clear()
        assert schema.head_revision() == "0099_next"
        (tmp_path / "versions" / "0099_other.py").write_text(
            f'revision: str = "0099_other"\ndown_revision: str | None = "{head}"\n', encoding="utf-8"
        )
        schema.head_revision.cache_clear()
        with pytest.raises(StoreError, match="2 heads: 0099_next, 0099_other"):
            schema.head_revision()
    finally:
        schema.head_revision.cache_clear()


def test_checking_the_schema_imports_no_alembic(store: Store) -> None:
    code = (
        "import sys\n"
        "from digest.store import Store\n"
        f"Store({store.url!r}).check()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_migrations_match_declared_tables(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), t.metadata)
    assert diff == []


def test_delivery_unique_per_edition_and_subscriber(store: Store, now: datetime) -> None:
    with store.engine.begin() as conn:
        ed = conn.execute(
            insert(t.editions).values(
                newsletter="n", edition_date=now.date(), language="fr", status="built", built_at=now
            )
        ).inserted_primary_key[0]
        sub = conn.execute(
            insert(t.subscribers).values(
                email="a@example.org", language="fr", status="confirmed", created_at=now, updated_at=now
            )
        ).inserted_primary_key[0]
        row = {
            "edition_id": ed,
            "subscriber_id": sub,
            "state": "pending",
            "due_at": now,
            "created_at": now,
            "updated_at": now,
        }
        conn.execute(insert(t.deliveries).values(**row))
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(insert(t.deliveries).values(**row))


def test_datetimes_round_trip_as_aware_utc(store: Store) -> None:
    paris = datetime(2026, 3, 29, 3, 30, tzinfo=timezone(timedelta(hours=2)))
    with store.engine.begin() as conn:
        conn.execute(insert(t.suppressions).values(email_hash="h", reason="manual", created_at=paris))
        got = conn.execute(select(t.suppressions.c.created_at)).scalar_one()
    assert got == paris
    assert got.tzinfo is not None and got.utcoffset() == timedelta(0)


def test_naive_datetime_is_refused(store: Store) -> None:
    with pytest.raises(Exception, match="naive datetime"), store.engine.begin() as conn:
        conn.execute(insert(t.suppressions).values(email_hash="h", reason="manual", created_at=datetime(2026, 1, 1)))


def test_sqlite_uses_wal_and_busy_timeout(tmp_path: Path) -> None:
    s = Store(f"sqlite:///{tmp_path / 'w.db'}")
    with s.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    s.close()


def test_immediate_takes_the_write_lock_up_front(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    s = Store(url)
    s.init()
    other = Store(url)

    with immediate(s.engine):
        import sqlite3

        raw = sqlite3.connect(tmp_path / "l.db", timeout=0.05, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            raw.execute("BEGIN IMMEDIATE")
        raw.close()
    s.close()
    other.close()


def test_check_requires_init(tmp_path: Path) -> None:
    s = Store(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(StoreError, match="digest init"):
        s.check()
    s.close()


def test_cli_init_twice(db_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "DIGEST_DATABASE_URL": db_url}
    env.pop("DIGEST_CONFIG", None)
    first = subprocess.run(
        [sys.executable, "-m", "digest", "init"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert first.returncode == 0, first.stderr
    assert "created database schema" in first.stdout
    second = subprocess.run(
        [sys.executable, "-m", "digest", "init"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert second.returncode == 0, second.stderr
    assert "up to date" in second.stdout
    s = Store(db_url)
    assert s.revision() == Store.head()
    s.close()


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "DIGEST_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/none"}
    r = subprocess.run([sys.executable, "-m", "digest", "init"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.returncode == 1
    assert r.stderr.startswith("error: cannot reach the database")
    assert len(r.stderr.strip().splitlines()) == 1
