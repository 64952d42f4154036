"""Alembic environment: runs the package's migrations on the engine digest passes in."""

from __future__ import annotations

from alembic import context

from digest.store.tables import metadata

config = context.config


def run_migrations_online() -> None:
    """Run migrations on the engine given in ``config.attributes['engine']``."""
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("digest migrations run online only: use `digest init`")
run_migrations_online()
