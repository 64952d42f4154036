"""What every command gets: the settings and the store, loaded on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import click

from digest import config
from digest.errors import ValidationError

if TYPE_CHECKING:
    from digest.store import Store


@dataclass
class AppContext:
    """Lazily loaded settings and store, shared by the commands of one invocation."""

    config_path: str | None = None
    _settings: config.Settings | None = field(default=None, repr=False)
    _store: Store | None = field(default=None, repr=False)

    @property
    def settings(self) -> config.Settings:
        """The validated configuration (ConfigError on a bad file)."""
        if self._settings is None:
            self._settings = config.load(self.config_path)
        return self._settings

    def store(self, *, check: bool = True) -> Store:
        """The database; with ``check``, require the schema to be current."""
        if self._store is None:
            from digest.store import Store

            self._store = Store(self.settings.database_url)
        if check:
            self._store.check()
        return self._store

    def close(self) -> None:
        """Release the database connections."""
        if self._store is not None:
            self._store.close()


pass_app = click.make_pass_decorator(AppContext)


def utcnow() -> datetime:
    """The current time; the one place the CLI reads the clock."""
    return datetime.now(UTC)


def parse_date(value: str | None, *, option: str = "--date") -> date | None:
    """Parse an ISO date option (YYYY-MM-DD), or None."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{option}: expected YYYY-MM-DD, got {value!r}") from None
