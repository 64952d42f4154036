"""The `digest` command: a thin click layer over the library.

Each command group lives in its own module; errors from the package become one-line
messages on stderr with a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from digest import __version__
from digest.cli.context import AppContext
from digest.errors import DigestError


class DigestGroup(click.Group):
    """A click group that turns DigestError into ``error: ...`` and its exit code."""

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
    app = AppContext(config_path=config_path)
    ctx.obj = app
    ctx.call_on_close(app.close)


def _register() -> None:
    from digest.cli import (
        admins,
        articles,
        demo,
        desk,
        edition,
        feeds,
        init,
        preview,
        send,
        serve,
        subscribers,
        summarize,
        suppressions,
    )

    for module in (init, articles, feeds, subscribers, edition, preview, send, serve, demo, summarize, admins, desk,
                   suppressions):  # fmt: skip
        module.register(cli)


_register()


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="digest")
    sys.exit(0)  # pragma: no cover - click exits itself
