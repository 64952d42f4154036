"""`digest subscribers ...`: manage the list."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import click

from digest.cli.context import AppContext, pass_app, utcnow
from digest.config import Settings
from digest.deliver.mailer import SMTPMailer
from digest.errors import ConfigError, DigestError, ValidationError
from digest.mail.transactional import confirmation_for
from digest.models import Consent, Subscriber, SubscriberStatus
from digest.store import subscribers as db
from digest.subscribers import csv_file as subs_csv
from digest.subscribers import membership as subs


def _warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def _send_confirmations(settings: Settings, pending: Sequence[Subscriber], now: datetime) -> int:
    """Send the double opt-in mail to each of ``pending``; returns how many were accepted."""
    if not pending:
        return 0
    try:
        links = subs.signed_links(settings)
        mailer = SMTPMailer.from_settings(settings, clock=utcnow)
    except ConfigError as exc:
        _warn(f"confirmation mails not sent: {exc}")
        return 0
    # One message that cannot be built costs only its own row, never the others'.
    built: list[tuple[Subscriber, EmailMessage]] = []
    for sub in pending:
        try:
            built.append((sub, confirmation_for(settings, links, sub, now=now)))
        except (ValueError, DigestError) as exc:
            _warn(f"confirmation mail to {sub.email} not sent: {exc}")
    results = asyncio.run(mailer.send_many([m for _, m in built])) if built else []
    for (sub, _), error in zip(built, results, strict=True):
        if error is not None:
            _warn(f"confirmation mail to {sub.email} not sent: {error}")
    return sum(1 for e in results if e is None)


@click.group()
def subscribers() -> None:
    """Add, import, export, remove and list subscribers."""


@subscribers.command("add")
@click.argument("email")
@click.option("--name", default="", help="Name used in the greeting.")
@click.option("--language", help="Edition language (fr, en).")
@click.option("--topics", help='Categories to receive, ";"-separated (default: all).')
@click.option("--timezone", "tz", help="IANA timezone, e.g. Europe/Paris.")
@click.option("--send-at", help="Local send time HH:MM (default: the newsletter's).")
@click.option("--confirmed", is_flag=True, help="Mark as confirmed (consent obtained elsewhere).")
@pass_app
def add(
    app: AppContext,
    email: str,
    name: str,
    language: str | None,
    topics: str | None,
    tz: str | None,
    send_at: str | None,
    confirmed: bool,
) -> None:
    """Add one subscriber.

    Without --confirmed the subscriber is pending and gets the confirmation mail
    (double opt-in); only confirmed subscribers receive editions.
    """
    settings, store, now = app.settings, app.store(), utcnow()
    known = subs.known_topics(settings, store)
    profile, warnings = subs.check_profile(
        settings, known, name=name, language=language, topics=topics, timezone=tz, send_at=send_at
    )
    if not confirmed:
        subs.signed_links(settings)  # fail before adding when no confirmation link can be made
    sub = subs.add(store, settings, email, profile, consent=Consent(at=now, source="cli"), confirmed=confirmed, now=now)
    for w in warnings:
        _warn(w)
    click.echo(f"added {sub.email} ({sub.status.value}, id {sub.id})")
    if not confirmed and _send_confirmations(settings, [sub], now):
        click.echo("confirmation mail sent")


@subscribers.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--confirmed", is_flag=True, help="Mark imported rows as confirmed.")
@pass_app
def import_(app: AppContext, file: str, confirmed: bool) -> None:
    """Import subscribers from CSV (email,name,language,topics,timezone[,send_at]).

    Every rejected row is reported with its line number; the valid rows are imported
    in one transaction; addresses already on the list are left unchanged. Exit code 1
    when any row was rejected. New pending subscribers get the confirmation mail.
    """
    settings, store, now = app.settings, app.store(), utcnow()
    if not confirmed:
        subs.signed_links(settings)
    report = subs_csv.import_file(store, settings, Path(file), confirmed=confirmed, now=now)
    for issue in report.warnings:
        click.echo(f"{file}:{issue.line}: warning: {issue.message}", err=True)
    for issue in report.rejected:
        click.echo(f"{file}:{issue.line}: {issue.message}", err=True)
    click.echo(f"imported {report.added}, already on the list {report.unchanged}, rejected {len(report.rejected)}")
    fresh = [s for s in report.new if s.status is SubscriberStatus.PENDING]
    if fresh:
        sent = _send_confirmations(settings, fresh, now)
        click.echo(f"confirmation mails sent: {sent} of {len(fresh)}")
    if not report.ok:
        click.get_current_context().exit(1)


@subscribers.command("export")
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@pass_app
def export(app: AppContext, out: str | None) -> None:
    """Export subscribers as CSV (re-importable)."""
    store = app.store()
    if out is None:
        subs_csv.export_csv(store, sys.stdout)
        return
    target = Path(out)
    # Write next to the target and rename: a failed export never leaves half a file.
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent if str(target.parent) else ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            n = subs_csv.export_csv(store, handle)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    click.echo(f"exported {n} subscribers to {target}", err=True)


@subscribers.command("remove")
@click.argument("email")
@click.option("--forget", is_flag=True, help="Erase personal data, keep a hashed suppression entry.")
@pass_app
def remove(app: AppContext, email: str, forget: bool) -> None:
    """Unsubscribe an address (or erase it with --forget)."""
    store, now = app.store(), utcnow()
    sub = subs.find(store, email)
    assert sub.id is not None
    if forget:
        subs.forget(store, sub.id, now=now)
        click.echo(f"erased {sub.email}; only a hashed suppression entry remains")
    else:
        subs.unsubscribe(store, sub.id, now=now, source="cli")
        click.echo(f"unsubscribed {sub.email} (suppressed)")


@subscribers.command("list")
@click.option("--status", help="Only subscribers with this status.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def list_(app: AppContext, status: str | None, as_json: bool) -> None:
    """List subscribers."""
    wanted: SubscriberStatus | None = None
    if status is not None:
        try:
            wanted = SubscriberStatus(status.strip().lower())
        except ValueError:
            choices = ", ".join(s.value for s in SubscriberStatus)
            raise ValidationError(f"--status: expected one of {choices}, got {status!r}") from None
    store = app.store()
    found = [s for s in db.iter_all(store) if wanted is None or s.status is wanted]
    if as_json:
        click.echo(json.dumps([subs.to_dict(s) for s in found], ensure_ascii=False, indent=2))
        return
    header = ("id", "email", "status", "lang", "topics", "timezone", "send_at", "created")
    rows = [
        (
            str(s.id),
            s.email,
            s.status.value,
            s.language,
            ";".join(s.topics) or "(all)",
            s.timezone or "-",
            s.send_at.strftime("%H:%M") if s.send_at else "-",
            f"{s.created_at:%Y-%m-%d}" if s.created_at else "",
        )
        for s in found
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    click.echo(f"{len(rows)} subscriber{'s' if len(rows) != 1 else ''}", err=True)


@subscribers.command()
@click.argument("email")
@click.option("--reason", required=True, help="Why (kept in the audit log), e.g. 'relay misconfigured on 12 May'.")
@pass_app
def reconfirm(app: AppContext, email: str, reason: str) -> None:
    """Lift a suppression caused by our relay or by soft bounces (never a hard bounce,
    a complaint or an unsubscription) and put the subscriber back on the list."""
    from digest.actions.suppressions import reconfirm as lift
    from digest.cli.context import cli_actor

    lifted = lift(app.operations(), cli_actor(), email, reason=reason)
    click.echo(f"{lifted.email}: suppression lifted ({lifted.reason}, cause {lifted.cause}); back on the list")


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    group.add_command(subscribers)
