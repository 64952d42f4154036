"""/admin/admins (owners only): the console accounts; add one, change a role, set a
password, remove one. Each change is one call of :mod:`digest.actions.admins`, audited
as from the CLI (``digest admins``) and the API (``/api/admins``)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from digest.actions import admins as actions
from digest.admins import Role, parse_role
from digest.errors import DigestError
from digest.web.admin.core import Principal, action, gettext, page, redirect, refused, render, text
from digest.web.context import context_of

BACK = "/admin/admins"


@page
async def admin_list(request: Request, who: Principal) -> Response:
    """GET /admin/admins: every account and the forms that change them (owners only)."""
    if not who.role.allows(Role.OWNER):
        return refused(request, who, 403, gettext(request, "Only an owner manages the admin accounts."))
    ctx = context_of(request)
    return render(request, "admins.html", who, admins=await ctx.db(actions.accounts, ctx.operations()))


async def _change(request: Request, done: str, fn: Callable[..., object], *args: object) -> Response:
    ctx = context_of(request)
    try:
        await ctx.db(fn, ctx.operations(), *args)
    except DigestError as exc:
        return redirect(request, BACK, str(exc), kind="error")
    return redirect(request, BACK, done)


@action(Role.OWNER)
async def add_admin(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/admins/add: ``email``, ``role``, ``password``."""
    try:
        role = parse_role(text(form, "role", 20))
    except DigestError as exc:
        return redirect(request, BACK, str(exc), kind="error")
    args = (text(form, "email", 320), role, text(form, "password", 1024))
    return await _change(request, gettext(request, "Admin added."), actions.add, who.actor, *args)


@action(Role.OWNER)
async def change_role(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/admins/role: ``email``, ``role``."""
    try:
        role = parse_role(text(form, "role", 20))
    except DigestError as exc:
        return redirect(request, BACK, str(exc), kind="error")
    done = gettext(request, "Role changed.")
    return await _change(request, done, actions.set_role, who.actor, text(form, "email", 320), role)


@action(Role.OWNER)
async def set_password(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/admins/password: ``email``, ``password``."""
    args = (text(form, "email", 320), text(form, "password", 1024))
    return await _change(request, gettext(request, "Password changed."), actions.set_password, who.actor, *args)


@action(Role.OWNER)
async def remove_admin(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/admins/remove: ``email``."""
    done = gettext(request, "Admin removed.")
    return await _change(request, done, actions.remove, who.actor, text(form, "email", 320))
