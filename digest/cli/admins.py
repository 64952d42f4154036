"""`digest admins add|list|remove|password`: accounts of the admin console.

Every change is recorded in the audit log as ``cli:<operating-system user>``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from digest.admins import check_password, hash_password, parse_role
from digest.cli.context import AppContext, cli_actor, pass_app, utcnow
from digest.errors import NotFoundError, ValidationError
from digest.store import audit
from digest.store.admins import add_admin, get_admin, list_admins, remove_admin, set_password
from digest.subscribers.membership import normalise_address

if TYPE_CHECKING:
    from digest.store import Store


def read_password() -> str:
    """The new password: the first line of stdin when it is not a terminal, else a
    hidden prompt typed twice. At least 12 characters."""
    if sys.stdin.isatty():
        password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise ValidationError("password: none given (pipe it on stdin or type it at the prompt)")
    return check_password(password)


@click.group()
def admins() -> None:
    """Manage the accounts that sign in to the admin console (/admin)."""


@admins.command("add")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["owner", "editor", "viewer"]), help="What the admin may do.")
@pass_app
def add(app: AppContext, email: str, role: str) -> None:
    """Create an account; the password is read from stdin, or prompted for."""
    address = normalise_address(email)
    store = app.store()
    if get_admin(store, address) is not None:
        raise ValidationError(f"email: {address} already has an admin account")
    password_hash = hash_password(read_password())
    now = utcnow()
    admin = add_admin(store, address, parse_role(role), password_hash, now=now)
    audit.record(store, actor=cli_actor().name, action="admin.add", target=address, details={"role": role}, now=now)
    click.echo(f"added admin {admin.email} ({admin.role.value})")


@admins.command("list")
@pass_app
def list_(app: AppContext) -> None:
    """List the accounts and their roles."""
    rows = list_admins(app.store())
    if not rows:
        click.echo("no admin accounts (add one with `digest admins add EMAIL --role owner`)")
        return
    for admin in rows:
        click.echo(f"{admin.email}\t{admin.role.value}\tsince {admin.created_at:%Y-%m-%d}")


def _account_command(name: str) -> Callable[[Callable[[Store, str], None]], click.Command]:
    """An ``admins NAME EMAIL`` command: the function gets the store and the normalised
    address, its docstring is the command's help."""

    def decorate(action: Callable[[Store, str], None]) -> click.Command:
        @click.argument("email")
        @pass_app
        def command(app: AppContext, email: str) -> None:
            address = normalise_address(email)
            action(app.store(), address)

        return admins.command(name, help=action.__doc__)(command)

    return decorate


@_account_command("remove")
def remove(store: Store, address: str) -> None:
    """Delete an account (its sessions end at their next request)."""
    remove_admin(store, address)
    audit.record(store, actor=cli_actor().name, action="admin.remove", target=address, now=utcnow())
    click.echo(f"removed admin {address}")


@_account_command("password")
def password(store: Store, address: str) -> None:
    """Set a new password (from stdin, or prompted for)."""
    if get_admin(store, address) is None:
        raise NotFoundError(f"no admin {address}")
    password_hash = hash_password(read_password())
    now = utcnow()
    set_password(store, address, password_hash, now=now)
    audit.record(store, actor=cli_actor().name, action="admin.password", target=address, now=now)
    click.echo(f"password changed for {address}")


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    group.add_command(admins)
