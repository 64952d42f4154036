"""`digest serve`: web app, scheduler and senders in one process."""

from __future__ import annotations

import asyncio

import click

from digest.cli.context import AppContext, pass_app
from digest.config.public_links import check_outbound
from digest.errors import DigestError

#: Where `--demo-smtp` saves captured mail, next to the config file (or the working folder).
DEMO_MAIL_DIR = "captured-mail"


class ServeError(DigestError):
    """The service could not start (a port in use, an unusable address)."""


@click.command()
@click.option("--host", help="Listen address (default [web] host).")
@click.option("--port", type=click.IntRange(0, 65535), help="Listen port (default [web] port; 0 picks a free one).")
@click.option("--demo-smtp", is_flag=True, help="Send through a built-in local capture SMTP server.")
@pass_app
def serve(app: AppContext, host: str | None, port: int | None, demo_smtp: bool) -> None:
    """Run the web app, the scheduler and sender workers until SIGTERM/SIGINT.

    The scheduler polls feeds, builds each day's edition at the send time, fans it out
    with every subscriber's own send time, and catches up after downtime within
    [schedule] catch_up_hours. /healthz and /metrics are served beside the pages.
    """
    from digest import logs
    from digest.config import read_secret
    from digest.runtime import service

    settings = app.settings
    handler = logs.setup(settings.log.level, settings.log.format)
    logs.secrets_from(read_secret(settings, section, name) for section, name in _SECRETS)
    store = app.store()
    listen_host = host or settings.web.host
    listen_port = settings.web.port if port is None else port
    capture: service.LocalInbox | None = None
    try:
        if demo_smtp:
            capture = service.local_inbox(settings.path(DEMO_MAIL_DIR))
            settings = settings.with_overrides(capture.smtp_overrides())
            click.echo(f"demo SMTP: every message is saved in {capture.directory} (127.0.0.1:{capture.port})")
        check_outbound(settings, warn=lambda line: click.echo(line, err=True))

        def ready(listening: service.Listening) -> None:
            timing = f"{settings.schedule.send_at} {settings.schedule.timezone}"
            click.echo(f"digest serve: {listening.url} (editions at {timing}; Ctrl-C to stop)")

        try:
            asyncio.run(service.run_serve(settings, store, host=listen_host, port=listen_port, on_ready=ready))
        except OSError as exc:
            raise ServeError(f"cannot serve on {listen_host}:{listen_port}: {exc.strerror or exc}") from None
    finally:
        if capture is not None:
            capture.stop()
        logs.teardown(handler)


_SECRETS = (("smtp", "password"), ("web", "secret_key"), ("web", "admin_token"))


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    group.add_command(serve)
