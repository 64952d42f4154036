"""The `digest` command: a thin click layer over the library.

Each command group lives in its own module; errors from the package become one-line
messages on stderr with a non-zero exit code, never a traceback.

The group is lazy: ``digest --help`` lists the commands from :data:`COMMANDS` without
importing any of their modules, and ``digest status ...`` (or its ``--help``) imports
only the module that declares ``status``. The short help in :data:`COMMANDS` is the
first paragraph of each command's own help (tests/test_cli_lazy.py checks they agree).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any, NamedTuple

import click

from digest import __version__
from digest.errors import DigestError


class Declared(NamedTuple):
    """Where a top-level command is declared: the modules whose ``register(group)``
    adds it (in order: ``digest.cli.desk`` adds ``approve`` to ``edition``), and the
    first paragraph of its help, shown by ``digest --help``."""

    modules: tuple[str, ...]
    summary: str


_SEND = ("digest.cli.send",)

#: Every top-level command, by name.
COMMANDS: dict[str, Declared] = {
    "admins": Declared(("digest.cli.admins",), "Manage the accounts that sign in to the admin console (/admin)."),
    "articles": Declared(("digest.cli.articles",), "Import and list articles."),
    "bounces": Declared(_SEND, "Process bounce reports."),
    "deliveries": Declared(
        ("digest.cli.edition", "digest.cli.desk"),
        "Fix a date's deliveries: retry the failed ones, release the held ones (the running service sends them; "
        "`digest send --retry-failed` also sends now).",
    ),
    "demo": Declared(
        ("digest.cli.demo",),
        "Import sample articles, build today's edition and mail it to sample subscribers through a local capture "
        "SMTP server. Run it again: nothing is sent twice.",
    ),
    "edition": Declared(("digest.cli.edition", "digest.cli.desk"), "Build and inspect editions."),
    "feeds": Declared(("digest.cli.feeds",), "Register and poll RSS/Atom feeds."),
    "init": Declared(
        ("digest.cli.init",), "Create the database schema, or upgrade it to this version. Safe to run twice."
    ),
    "keys": Declared(("digest.cli.keys",), "Manage the admins' API keys (Authorization: Bearer <key> on /api)."),
    "preview": Declared(
        ("digest.cli.preview",), "Write the edition's HTML, text and .eml as a subscriber would get it."
    ),
    "report": Declared(("digest.cli.report",), "What became of the date's editions and what readers did with them."),
    "send": Declared(
        _SEND,
        "Fan out the date's editions and send them now to every confirmed subscriber who has not had them; "
        "running it again (or after a crash) sends only what is left.",
    ),
    "serve": Declared(("digest.cli.serve",), "Run the web app, the scheduler and sender workers until SIGTERM/SIGINT."),
    "status": Declared(_SEND, "Delivery counts by state, in-flight rows and failures with their last error."),
    "subscribers": Declared(("digest.cli.subscribers",), "Add, import, export, remove and list subscribers."),
    "suppressions": Declared(("digest.cli.suppressions",), "The suppression list."),
    "summarize": Declared(
        ("digest.cli.summarize",), "Summarise each line of FILE (or - for stdin) as the edition would."
    ),
    "worker": Declared(_SEND, "Run a sender loop only (for extra processes or machines) until SIGTERM/SIGINT."),
}


class DigestGroup(click.Group):
    """A click group that turns DigestError into ``error: ...`` and its exit code, and
    loads each command's module only when the command is used (see :data:`COMMANDS`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._registered: set[str] = set()  # modules whose register() has run

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.load(cmd_name)
        return self.commands.get(cmd_name)

    def load(self, cmd_name: str) -> None:
        """Import the modules that declare ``cmd_name`` and let them register."""
        for name in COMMANDS[cmd_name].modules:
            if name not in self._registered:
                self._registered.add(name)
                register: Callable[[click.Group], None] = importlib.import_module(name).register
                register(self)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The "Commands:" list from the declared short help, importing nothing."""
        names = [n for n in self.list_commands(ctx) if n in COMMANDS or not self.commands[n].hidden]
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            if name in COMMANDS:
                # click's own shortening, on a stand-in holding the declared help
                rows.append((name, click.Command(name, help=COMMANDS[name].summary).get_short_help_str(limit)))
            else:
                rows.append((name, self.commands[name].get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DigestError as exc:
            # One line, whatever the library underneath put in its message.
            message = "; ".join(part.strip() for part in str(exc).splitlines() if part.strip())
            click.echo(f"error: {message}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


@click.group(cls=DigestGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="TOML config file (default: $DIGEST_CONFIG, else ./digest.toml, else built-in defaults).",
)
@click.version_option(__version__, prog_name="digest")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """digest: the day's articles, picked, summarised and mailed as a five-minute briefing."""
    from digest.cli.context import AppContext  # not for --help: it loads the configuration code

    app = AppContext(config_path=config_path)
    ctx.obj = app
    ctx.call_on_close(app.close)


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="digest")
    sys.exit(0)  # pragma: no cover - click exits itself
