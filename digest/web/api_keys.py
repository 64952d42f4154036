"""The admin API's keys: ``GET /api/keys``, ``POST /api/keys`` (the secret in the
answer, once), ``DELETE /api/keys/{id}``; each change one call of
:mod:`digest.actions.api_keys`, audited as from the console (/admin/keys) and the CLI
(``digest keys``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from digest.actions import api_keys as actions
from digest.admins import parse_role
from digest.errors import ValidationError
from digest.web.api import acts, admin, api_actor, json_object, text_field
from digest.web.context import context_of


def key_json(key: actions.ApiKey) -> dict[str, Any]:
    """A key as the API shows it (never its secret nor the secret's hash)."""
    return {
        "id": key.id,
        "admin": key.admin,
        "name": key.name,
        "role": key.role.value,
        "hint": key.hint,
        "created_at": key.created_at.isoformat(),
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


@admin
async def list_keys(request: Request) -> Response:
    """The keys the caller may see (all of them for an owner), and whether the shared
    token ([web] admin_token_env), an owner key, is set."""
    ctx = context_of(request)
    rows = await ctx.db(actions.keys, ctx.operations(), api_actor(request))
    shared = {"env": ctx.settings.web.admin_token_env, "role": "owner", "configured": ctx.admin_token is not None}
    return JSONResponse({"items": [key_json(k) for k in rows], "shared_token": shared})


@admin
@acts
async def create_key(request: Request) -> Response:
    """Make a key: ``{"name", "role", "admin"}`` (admin: default the caller) -> 201
    with the key and its ``secret``, shown this once."""
    ctx = context_of(request)
    body = await json_object(request)
    unknown = set(body) - {"name", "role", "admin"}
    if unknown:
        raise ValidationError(f"{sorted(unknown)[0]}: unknown field")
    role = parse_role(text_field(body, "role") or "")
    made = await ctx.db(
        actions.create, ctx.operations(), api_actor(request), text_field(body, "name") or "", role,
        admin=text_field(body, "admin") or "",
    )  # fmt: skip
    return JSONResponse({"key": key_json(made.key), "secret": made.secret}, status_code=201)


@admin
@acts
async def revoke_key(request: Request) -> Response:
    """Revoke a key: its next request is refused."""
    ctx = context_of(request)
    key_id: int = request.path_params["key_id"]
    found = await ctx.db(actions.revoke, ctx.operations(), api_actor(request), key_id)
    return JSONResponse({"revoked": key_json(found)})


routes = [
    Route("/keys", list_keys, methods=["GET"]),
    Route("/keys", create_key, methods=["POST"]),
    Route("/keys/{key_id:int}", revoke_key, methods=["DELETE"]),
]
