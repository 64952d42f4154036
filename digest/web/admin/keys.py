"""/admin/keys: API keys. Every admin makes and revokes their own (with a role no
higher than theirs); an owner sees and revokes everyone's and may make a key for
another admin. The shared token ([web] admin_token_env) is listed as the owner key it
is. Each change is one call of :mod:`digest.actions.api_keys`, audited as from the CLI
(``digest keys``) and the API (``/api/keys``).

A new key's secret is shown on the answer to the POST itself, not after a redirect:
it must not be kept anywhere (not even in a flash cookie) once the page is gone.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from digest.actions import admins
from digest.actions import api_keys as actions
from digest.admins import Role, parse_role
from digest.errors import DigestError
from digest.web.admin.core import Principal, action, gettext, page, redirect, render, text
from digest.web.context import context_of

BACK = "/admin/keys"


async def _page(request: Request, who: Principal, **extra: Any) -> Response:
    ctx = context_of(request)
    ops = ctx.operations()
    owner = who.role.allows(Role.OWNER)
    return render(
        request,
        "keys.html",
        who,
        keys=await ctx.db(actions.keys, ops, who.actor),
        accounts=[a.email for a in await ctx.db(admins.accounts, ops)] if owner else [],
        roles=[r.value for r in Role if who.role.allows(r)],
        shared_token=ctx.settings.web.admin_token_env if ctx.admin_token and owner else "",
        **({"made": None, "done": ""} | extra),
    )


@page
async def key_list(request: Request, who: Principal) -> Response:
    """GET /admin/keys: the keys the admin may see and the form that makes one."""
    return await _page(request, who)


@action(Role.VIEWER)
async def create_key(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/keys: ``name``, ``role``, ``admin`` (owners: whose key; default
    their own). Answers the page itself, with the secret shown this once."""
    ctx = context_of(request)
    try:
        role = parse_role(text(form, "role", 20))
        made = await ctx.db(
            actions.create, ctx.operations(), who.actor, text(form, "name", 100), role, admin=text(form, "admin", 320)
        )
    except DigestError as exc:
        return redirect(request, BACK, str(exc), kind="error")
    done = gettext(request, "Key “%(name)s” made. Copy its secret now: it will not be shown again.", name=made.key.name)
    return await _page(request, who, made=made, done=done)


@action(Role.VIEWER)
async def revoke_key(request: Request, who: Principal, form: FormData) -> Response:
    """POST /admin/keys/{key_id}/revoke."""
    ctx = context_of(request)
    try:
        key = await ctx.db(actions.revoke, ctx.operations(), who.actor, request.path_params["key_id"])
    except DigestError as exc:
        return redirect(request, BACK, str(exc), kind="error")
    return redirect(request, BACK, gettext(request, "Key “%(name)s” revoked.", name=key.name))
