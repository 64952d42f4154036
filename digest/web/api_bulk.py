"""POST /api/subscribers/bulk: the console's bulk actions for API clients.

``{"operation": ..., "ids": [1, 2]}`` or ``{"operation": ..., "filter": {"q": ...,
"status": ..., "language": ..., "topic": ...}}`` (every subscriber matching, as the
console's list filters), with ``"topic"`` for ``add_topic`` / ``remove_topic``. One
``subscriber.bulk`` action (:mod:`digest.actions.bulk`), as from the console and
``digest subscribers bulk``; ``"operation": "export"`` answers the selection as CSV.
"""

from __future__ import annotations

import io
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from digest import i18n
from digest.actions import bulk as actions
from digest.errors import ValidationError
from digest.models import SubscriberQuery, SubscriberStatus
from digest.web.api import acts, admin, api_actor, json_object, text_field
from digest.web.context import context_of
from digest.web.subscribe import send_confirmation

FILTER_FIELDS = ("q", "status", "language", "topic")


def selection_of(body: dict[str, Any]) -> actions.Selection:
    """The selection a request body names (ValidationError unless exactly one of
    ``ids`` and ``filter`` is given, well-formed)."""
    ids, given = body.get("ids"), body.get("filter")
    if (ids is None) == (given is None):
        raise ValidationError("ids: give either ids (a list of subscriber ids) or filter (an object)")
    if ids is not None:
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise ValidationError("ids: expected a list of integers")
        return actions.Selection(ids=tuple(ids))
    if not isinstance(given, dict) or set(given) - set(FILTER_FIELDS):
        raise ValidationError(f"filter: an object with some of {', '.join(FILTER_FIELDS)}")
    values = {k: text_field(given, k) or "" for k in FILTER_FIELDS}
    if values["status"] and values["status"] not in {s.value for s in SubscriberStatus}:
        raise ValidationError(f"filter: unknown status {values['status']!r}")
    if values["language"] and values["language"] not in i18n.languages():
        raise ValidationError(f"filter: unknown language {values['language']!r}")
    return actions.Selection(
        query=SubscriberQuery(
            text=values["q"].strip(), status=values["status"], language=values["language"], topic=values["topic"]
        )
    )


@admin
@acts
async def bulk_subscribers(request: Request) -> Response:
    """Apply one operation to a selection of subscribers; the counts (or the CSV)."""
    ctx = context_of(request)
    body = await json_object(request)
    unknown = set(body) - {"operation", "ids", "filter", "topic"}
    if unknown:
        raise ValidationError(f"{sorted(unknown)[0]}: unknown field")
    operation = text_field(body, "operation") or ""
    selection = selection_of(body)
    if operation == "export":
        out = io.StringIO()
        await ctx.db(actions.export, ctx.operations(), api_actor(request), selection, out)
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={"Cache-Control": "no-store"})
    topic = text_field(body, "topic") or ""
    result = await ctx.db(actions.bulk, ctx.operations(), api_actor(request), operation, selection, topic=topic)
    sent = sum([await send_confirmation(ctx, sub) for sub in result.to_confirm])
    return JSONResponse(
        {
            "operation": result.operation,
            "selected": result.selected,
            "changed": result.changed,
            "unchanged": result.unchanged,
            "confirmations_queued": sent,
        }
    )


routes = [Route("/subscribers/bulk", bulk_subscribers, methods=["POST"])]
