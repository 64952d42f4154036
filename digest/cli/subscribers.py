"""`digest subscribers ...`: manage the list."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import click

from digest.actions import subscribers as actions
from digest.actions import suppressions
from digest.cli.context import AppContext, cli_actor, pass_app
from digest.errors import ValidationError
from digest.models import SubscriberStatus
from digest.subscribers import csv_file as subs_csv
from digest.subscribers import membership as subs


def _warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


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
    ops = app.operations()
    profile, warnings = actions.check_profile(
        ops, name=name, language=language, topics=topics, timezone=tz, send_at=send_at
    )
    if not confirmed:
        subs.signed_links(ops.settings)  # fail before adding when no confirmation link can be made
    sub = actions.add(ops, cli_actor(), email, profile, confirmed=confirmed)
    for w in warnings:
        _warn(w)
    click.echo(f"added {sub.email} ({sub.status.value}, id {sub.id})")
    if not confirmed and actions.send_confirmations(ops, [sub], warn=_warn):
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
    ops = app.operations()
    if not confirmed:
        subs.signed_links(ops.settings)
    data = subs_csv.read_file(Path(file))
    report = actions.import_csv(ops, cli_actor(), data, name=file, confirmed=confirmed)
    for issue in report.warnings:
        click.echo(f"{file}:{issue.line}: warning: {issue.message}", err=True)
    for issue in report.rejected:
        click.echo(f"{file}:{issue.line}: {issue.message}", err=True)
    click.echo(f"imported {report.added}, already on the list {report.unchanged}, rejected {len(report.rejected)}")
    fresh = actions.pending_of(report.new)
    if fresh:
        sent = actions.send_confirmations(ops, fresh, warn=_warn)
        click.echo(f"confirmation mails sent: {sent} of {len(fresh)}")
    if not report.ok:
        click.get_current_context().exit(1)


@subscribers.command("export")
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@pass_app
def export(app: AppContext, out: str | None) -> None:
    """Export subscribers as CSV (re-importable)."""
    ops, actor = app.operations(), cli_actor()
    if out is None:
        actions.export_csv(ops, actor, sys.stdout)
        return
    target = Path(out)
    # Write next to the target and rename: a failed export never leaves half a file.
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent if str(target.parent) else ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            n = actions.export_csv(ops, actor, handle)
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
    ops = app.operations()
    sub = actions.find(ops, email)
    assert sub.id is not None
    if forget:
        actions.forget(ops, cli_actor(), sub.id)
        click.echo(f"erased {sub.email}; only a hashed suppression entry remains")
    else:
        actions.unsubscribe(ops, cli_actor(), sub.id)
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
    found = [s for s in actions.every(app.operations()) if wanted is None or s.status is wanted]
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


@subscribers.command("update")
@click.argument("email")
@click.option("--name", help="Name used in the greeting.")
@click.option("--language", help="Edition language (fr, en).")
@click.option("--topics", help='Categories to receive, ";"-separated ("" for all).')
@click.option("--timezone", "tz", help='IANA timezone, e.g. Europe/Paris ("" for the newsletter\'s).')
@click.option("--send-at", help='Local send time HH:MM ("" for the newsletter\'s).')
@click.option("--status", type=click.Choice(["confirmed", "unsubscribed"]), help="Confirm or unsubscribe.")
@click.option("--override-suppression", is_flag=True, help="Confirm a suppressed address anyway (recorded).")
@pass_app
def update(
    app: AppContext,
    email: str,
    name: str | None,
    language: str | None,
    topics: str | None,
    tz: str | None,
    send_at: str | None,
    status: str | None,
    override_suppression: bool,
) -> None:
    """Change a subscriber's preferences or status; options left out keep their value."""
    ops = app.operations()
    sub = actions.find(ops, email)
    assert sub.id is not None
    given = {"name": name, "language": language, "topics": topics, "timezone": tz, "send_at": send_at}
    profile = None
    if any(v is not None for v in given.values()):
        current = subs.to_dict(sub)
        merged = {k: v if v is not None else current[k] for k, v in given.items()}
        profile, warnings = actions.check_profile(ops, **merged)
        for w in warnings:
            _warn(w)
    changed = actions.update(
        ops, cli_actor(), sub.id, profile=profile, status=SubscriberStatus(status) if status else None,
        override_suppression=override_suppression,
    )  # fmt: skip
    click.echo(f"updated {changed.email} ({changed.status.value})")


@subscribers.command("resend-confirmation")
@click.argument("email")
@pass_app
def resend_confirmation(app: AppContext, email: str) -> None:
    """Mail a pending subscriber's confirmation link again."""
    ops = app.operations()
    sub = actions.find(ops, email)
    assert sub.id is not None
    subs.signed_links(ops.settings)
    pending = actions.resend_confirmation(ops, cli_actor(), sub.id)
    if actions.send_confirmations(ops, [pending], warn=_warn):
        click.echo(f"confirmation mail sent to {pending.email}")
    else:
        click.get_current_context().exit(1)


@subscribers.command("suppress")
@click.argument("email")
@click.option("--detail", default="", help="Why (kept with the entry).")
@pass_app
def suppress(app: AppContext, email: str, detail: str) -> None:
    """Put an address on the suppression list: nothing is sent to it any more."""
    added = suppressions.suppress(app.operations(), cli_actor(), email, detail=detail)
    click.echo(f"suppressed {subs.normalise_address(email)}" if added else "already suppressed")


@subscribers.command("unsuppress")
@click.argument("email")
@pass_app
def unsuppress(app: AppContext, email: str) -> None:
    """Lift an address's suppression (it is not subscribed again by this)."""
    removed = suppressions.remove_suppression(app.operations(), cli_actor(), address=email)
    click.echo(f"lifted the suppression of {subs.normalise_address(email)} ({removed.reason})")


@subscribers.command()
@click.argument("email")
@click.option("--reason", required=True, help="Why (kept in the audit log), e.g. 'relay misconfigured on 12 May'.")
@pass_app
def reconfirm(app: AppContext, email: str, reason: str) -> None:
    """Lift a suppression caused by our relay or by soft bounces (never a hard bounce,
    a complaint or an unsubscription) and put the subscriber back on the list."""
    from digest.actions.reconfirm import reconfirm as lift

    lifted = lift(app.operations(), cli_actor(), email, reason=reason)
    click.echo(f"{lifted.email}: suppression lifted ({lifted.reason}, cause {lifted.cause}); back on the list")


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    group.add_command(subscribers)


def _add_bulk() -> None:
    # In its own module (the group is already long); part of the group all the same.
    from digest.cli.subscribers_bulk import bulk

    subscribers.add_command(bulk)


_add_bulk()
