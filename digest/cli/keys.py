"""`digest keys create|list|revoke`: admins' API keys.

Every change goes through :mod:`digest.actions.api_keys` and is recorded in the audit
log as ``cli:<operating-system user>``, as from the console (/admin/keys) and the API.
"""

from __future__ import annotations

import click

from digest.actions import api_keys as actions
from digest.admins import parse_role
from digest.cli.context import AppContext, cli_actor, pass_app

ROLES = click.Choice(["owner", "editor", "viewer"])


@click.group()
def keys() -> None:
    """Manage the admins' API keys (Authorization: Bearer <key> on /api)."""


@keys.command("create")
@click.argument("name")
@click.option("--admin", "admin", required=True, help="The admin the key acts as.")
@click.option("--role", required=True, type=ROLES, help="The key's role (at most the admin's).")
@pass_app
def create(app: AppContext, name: str, admin: str, role: str) -> None:
    """Make a key; its secret is printed this once (only its hash is kept)."""
    made = actions.create(app.operations(), cli_actor(), name, parse_role(role), admin=admin)
    click.echo(f"key {made.key.id} {made.key.name!r} for {made.key.admin} ({made.key.role.value}); secret:", err=True)
    click.echo(made.secret)


@keys.command("list")
@pass_app
def list_(app: AppContext) -> None:
    """List the keys: id, admin, name, role, hint, last use, revocation."""
    rows = actions.keys(app.operations(), cli_actor())
    if not rows:
        click.echo("no API keys (make one with `digest keys create NAME --admin EMAIL --role viewer`)")
        return
    for key in rows:
        used = f"{key.last_used_at:%Y-%m-%d %H:%M} UTC" if key.last_used_at else "never used"
        state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M} UTC" if key.revoked_at else "live"
        click.echo(f"{key.id}\t{key.admin}\t{key.name}\t{key.role.value}\t{key.hint}…\t{used}\t{state}")


@keys.command("revoke")
@click.argument("key_id", type=int)
@pass_app
def revoke(app: AppContext, key_id: int) -> None:
    """Revoke a key: its next request is refused."""
    key = actions.revoke(app.operations(), cli_actor(), key_id)
    click.echo(f"revoked key {key.id} {key.name!r} of {key.admin}")


def register(group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    group.add_command(keys)
