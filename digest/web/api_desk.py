"""The admin API's side of the console (API parity): story edits and approval,
failed deliveries, the suppression list, and resending a confirmation mail.

Same bearer token and error shapes as :mod:`digest.web.api` (the token acts as an
owner); every change is recorded in the audit log as "api".
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from digest.errors import NotFoundError, ValidationError
from digest.models import SubscriberStatus
from digest.store import desk as review_store
from digest.store import listings as console_store
from digest.store import subscribers as db
from digest.store.desk import EditionLocked
from digest.web.api import admin, error, int_param, json_object
from digest.web.context import context_of
from digest.web.subscribe import send_confirmation

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


@admin
async def list_suppressions(request: Request) -> Response:
    """The suppression list, newest first; ?address= finds one address's entry."""
    ctx = context_of(request)
    limit, offset = int_param(request, "limit", 50, 1, 500), int_param(request, "offset", 0, 0, 10**9)
    address = request.query_params.get("address", "").strip()
    rows, total = await ctx.db(console_store.suppressions, ctx.store, address=address, limit=limit, offset=offset)
    return JSONResponse({"total": total, "items": [_as_json(s) for s in rows]})


@admin
async def delete_suppression(request: Request) -> Response:
    """Remove an address from the suppression list: ?address= (or ?id=)."""
    ctx = context_of(request)
    address = request.query_params.get("address", "").strip()
    raw_id = request.query_params.get("id", "")
    if address:
        rows, _ = await ctx.db(console_store.suppressions, ctx.store, address=address, limit=1)
        if not rows:
            raise NotFoundError(f"{address} is not on the suppression list")
        suppression_id = rows[0].id
    elif raw_id.isdigit():
        suppression_id = int(raw_id)
    else:
        raise ValidationError("address: give ?address= or ?id=")
    removed = await ctx.db(console_store.remove_suppression, ctx.store, suppression_id)
    if removed is None:
        raise NotFoundError(f"no suppression {suppression_id}")
    return JSONResponse({"removed": removed.id, "reason": removed.reason})


@admin
async def resend_confirmation(request: Request) -> Response:
    """Send a pending subscriber's confirmation mail again (202); 409 for any other status."""
    ctx = context_of(request)
    subscriber_id: int = request.path_params["subscriber_id"]
    sub = await ctx.db(db.get, ctx.store, subscriber_id)
    if sub is None:
        raise NotFoundError(f"no subscriber {subscriber_id}")
    if sub.status is not SubscriberStatus.PENDING:
        return error(409, f"subscriber {subscriber_id} is {sub.status.value}: only pending subscribers confirm")
    return JSONResponse(
        {"id": subscriber_id, "confirmation": "queued"},
        status_code=202,
        background=BackgroundTask(send_confirmation, ctx, sub),
    )


routes = [
    Route("/editions/{edition_id:int}/items/{position:int}", edit_item, methods=["PATCH"]),
    Route("/editions/{edition_id:int}/approve", approve, methods=["POST"]),
    Route("/deliveries/failures", failures, methods=["GET"]),
    Route("/suppressions", list_suppressions, methods=["GET"]),
    Route("/suppressions", delete_suppression, methods=["DELETE"]),
    Route("/subscribers/{subscriber_id:int}/resend-confirmation", resend_confirmation, methods=["POST"]),
]
