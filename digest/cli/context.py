"""What every command gets: the settings and the store, loaded on first use."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import click

from digest.errors import ValidationError

if TYPE_CHECKING:
    from digest import config
    from digest.actions import Actor, Operations
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
            from digest import config  # here, not at import: `digest --help` stays fast

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

    def operations(self) -> Operations:
        """What the action layer works with: these settings, the checked store and the
        CLI's clock."""
        from digest.actions import Operations

        return Operations(self.settings, self.store(), utcnow)

    def close(self) -> None:
        """Release the database connections."""
        if self._store is not None:
            self._store.close()


pass_app = click.make_pass_decorator(AppContext)


def cli_actor() -> Actor:
    """Who runs the command: ``cli:<login>`` as the audit log names them, acting as an
    owner (whoever can run the CLI can already read the database and the config)."""
    from digest.actions import Actor, Door
    from digest.admins import Role

    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        user = "unknown"
    return Actor(f"cli:{user}", Role.OWNER, Door.CLI)


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
