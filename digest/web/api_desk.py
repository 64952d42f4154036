"""The admin API's side of the console (API parity): story edits and approval, and
failed deliveries (the suppression list and confirmations: :mod:`digest.web.api_people`).

Same bearer token and error shapes as :mod:`digest.web.api` (the token acts as an
owner); every change is recorded in the audit log as "api".
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from digest.errors import ValidationError
from digest.store import desk as review_store
from digest.store import listings as console_store
from digest.store.desk import EditionLocked
from digest.web.api import admin, error, int_param, json_object
from digest.web.context import context_of

ACTOR = "api"


def _as_json(row: Any) -> dict[str, Any]:
    """A flat dataclass row as a JSON object: every field, dates and times in ISO 8601."""
    values = {f.name: getattr(row, f.name) for f in dataclasses.fields(row)}
    return {name: v.isoformat() if isinstance(v, date) else v for name, v in values.items()}


@admin
async def edit_item(request: Request) -> Response:
    """Edit one story: ``headline``, ``summary`` (null restores the original) and/or
    ``dropped``; 409 once the edition's delivery has started."""
    ctx = context_of(request)
    edition_id: int = request.path_params["edition_id"]
    position: int = request.path_params["position"]
    body = await json_object(request)
    unknown = set(body) - {"headline", "summary", "dropped"}
    if unknown:
        raise ValidationError(f"{sorted(unknown)[0]}: unknown field")
    current = (await ctx.db(review_store.edits, ctx.store, edition_id)).get(position)
    values: dict[str, Any] = {
        "headline": current.headline if current else None,
        "summary": current.summary if current else None,
        "dropped": current.dropped if current else False,
    }
    for key in ("headline", "summary"):
        if key in body:
            if body[key] is not None and (not isinstance(body[key], str) or not body[key].strip()):
                raise ValidationError(f"{key}: expected a non-empty string or null")
            values[key] = body[key].strip() if isinstance(body[key], str) else None
    if "dropped" in body:
        if not isinstance(body["dropped"], bool):
            raise ValidationError("dropped: expected true or false")
        values["dropped"] = body["dropped"]
    try:
        edit = await ctx.db(review_store.save_edit, ctx.store, edition_id, position, by=ACTOR, now=ctx.now(), **values)
    except EditionLocked as exc:
        return error(409, str(exc))
    return JSONResponse(
        {
            "edition_id": edition_id,
            "position": position,
            "headline": edit.headline if edit else None,
            "summary": edit.summary if edit else None,
            "dropped": edit.dropped if edit else False,
            "edited": edit is not None,
        }
    )


@admin
async def approve(request: Request) -> Response:
    """Approve an edition for sending ([schedule] review = "approve")."""
    ctx = context_of(request)
    edition_id: int = request.path_params["edition_id"]
    done = await ctx.db(review_store.approve, ctx.store, edition_id, by=ACTOR, now=ctx.now())
    return JSONResponse(
        {"edition_id": edition_id, "approved_by": done.approved_by, "approved_at": done.approved_at.isoformat()}
    )


@admin
async def failures(request: Request) -> Response:
    """The latest failed deliveries with the server's last reply (?limit=, 1-500)."""
    ctx = context_of(request)
    rows = await ctx.db(console_store.failures, ctx.store, limit=int_param(request, "limit", 100, 1, 500))
    return JSONResponse({"items": [_as_json(f) for f in rows]})


routes = [
    Route("/editions/{edition_id:int}/items/{position:int}", edit_item, methods=["PATCH"]),
    Route("/editions/{edition_id:int}/approve", approve, methods=["POST"]),
    Route("/deliveries/failures", failures, methods=["GET"]),
]
