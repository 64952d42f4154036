"""`digest admins add|list|remove|password|role`: accounts of the admin console.

Every change goes through :mod:`digest.actions.admins` and is recorded in the audit
log as ``cli:<operating-system user>``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from digest.actions import Operations
from digest.actions import admins as actions
from digest.admins import check_password, parse_role
from digest.cli.context import AppContext, cli_actor, pass_app
from digest.errors import NotFoundError, ValidationError
from digest.subscribers.membership import normalise_address

ROLES = click.Choice(["owner", "editor", "viewer"])


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
@click.option("--role", required=True, type=ROLES, help="What the admin may do.")
@pass_app
def add(app: AppContext, email: str, role: str) -> None:
    """Create an account; the password is read from stdin, or prompted for."""
    ops = app.operations()
    if actions.account(ops, email) is not None:  # before asking for a password
        raise ValidationError(f"email: {normalise_address(email)} already has an admin account")
    admin = actions.add(ops, cli_actor(), email, parse_role(role), read_password())
    click.echo(f"added admin {admin.email} ({admin.role.value})")


@admins.command("list")
@pass_app
def list_(app: AppContext) -> None:
    """List the accounts and their roles."""
    rows = actions.accounts(app.operations())
    if not rows:
        click.echo("no admin accounts (add one with `digest admins add EMAIL --role owner`)")
        return
    for admin in rows:
        click.echo(f"{admin.email}\t{admin.role.value}\tsince {admin.created_at:%Y-%m-%d}")


def _account_command(name: str) -> Callable[[Callable[[Operations, str], None]], click.Command]:
    """An ``admins NAME EMAIL`` command: the function gets the operations and the
    normalised address, its docstring is the command's help."""

    def decorate(action: Callable[[Operations, str], None]) -> click.Command:
        @click.argument("email")
        @pass_app
        def command(app: AppContext, email: str) -> None:
            action(app.operations(), normalise_address(email))

        return admins.command(name, help=action.__doc__)(command)

    return decorate


@_account_command("remove")
def remove(ops: Operations, address: str) -> None:
    """Delete an account (its sessions end at their next request)."""
    actions.remove(ops, cli_actor(), address)
    click.echo(f"removed admin {address}")


@_account_command("password")
def password(ops: Operations, address: str) -> None:
    """Set a new password (from stdin, or prompted for)."""
    if actions.account(ops, address) is None:
        raise NotFoundError(f"no admin {address}")
    actions.set_password(ops, cli_actor(), address, read_password())
    click.echo(f"password changed for {address}")


@admins.command("role")
@click.argument("email")
@click.argument("role", type=ROLES)
@pass_app
def role(app: AppContext, email: str, role: str) -> None:
    """Give an account another role (owner, editor or viewer)."""
    admin = actions.set_role(app.operations(), cli_actor(), email, parse_role(role))
    click.echo(f"{admin.email} is now {admin.role.value}")


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    group.add_command(admins)
