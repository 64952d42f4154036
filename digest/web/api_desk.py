"""The admin API's side of the console (API parity): the editor's desk (story edits,
revert, pin, move, merge, split, "Et enfin", approval and its withdrawal, rebuild) and deliveries (failures,
retry, release); the suppression list and confirmations: :mod:`digest.web.api_people`.

Same bearer token and error shapes as :mod:`digest.web.api` (the token acts as an
owner). Each change is one call to :mod:`digest.actions`, the same the console and the
CLI make, so it is audited under the same action name (``edition.approve``...), with
"api" as the actor and the door.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from digest.actions import deliveries as fixes
from digest.actions import editions as desk
from digest.actions import stories
from digest.daily import report as reports
from digest.daily.status import edition_deliveries
from digest.errors import ValidationError
from digest.models import Edition, EditionOrder, ItemEdit
from digest.web.api import acts, admin, api_actor, error, int_param, json_object
from digest.web.context import context_of

log = logging.getLogger(__name__)


def _as_json(row: Any) -> dict[str, Any]:
    """A flat dataclass row as a JSON object: every field, dates and times in ISO 8601."""
    values = {f.name: getattr(row, f.name) for f in dataclasses.fields(row)}
    return {name: v.isoformat() if isinstance(v, date) else v for name, v in values.items()}


def _edit_json(edition_id: int, position: int, edit: ItemEdit | None) -> dict[str, Any]:
    return {
        "edition_id": edition_id,
        "position": position,
        "headline": edit.headline if edit else None,
        "summary": edit.summary if edit else None,
        "dropped": edit.dropped if edit else False,
        "edited": edit is not None,
    }


def _order_json(edition_id: int, order: EditionOrder) -> dict[str, Any]:
    return {"edition_id": edition_id, "positions": list(order.positions), "lead": order.lead}


async def _edition(request: Request) -> Edition:
    ctx = context_of(request)
    return await ctx.db(desk.edition, ctx.operations(), request.path_params["edition_id"])


# Editions ----------------------------------------------------------------------------


def _edition_dict(edition: Any) -> dict[str, Any]:
    return {
        "id": edition.id,
        "newsletter": edition.newsletter,
        "date": edition.edition_date.isoformat(),
        "language": edition.language,
        "status": edition.status.value,
        "reading_minutes": edition.reading_minutes,
        "word_count": edition.word_count,
        "built_at": edition.built_at.isoformat() if edition.built_at else None,
    }


@admin
async def list_editions(request: Request) -> Response:
    """The latest editions, newest first (?limit=, 1-365)."""
    ctx = context_of(request)
    limit = int_param(request, "limit", 30, 1, 365)
    editions = await ctx.db(desk.recent, ctx.operations(), limit=limit)
    return JSONResponse({"items": [_edition_dict(e) for e in editions]})


@admin
async def edition_report(request: Request) -> Response:
    """The edition report: sent, delivered, bounced, complaints, unsubscribes within
    seven days, clicks per story and topic, machine events apart (read-only)."""
    ctx = context_of(request)
    edition_id: int = request.path_params["edition_id"]
    report = await ctx.db(reports.edition_report, ctx.store, ctx.settings, edition_id)
    return JSONResponse(reports.as_json(report))


@admin
async def edition_status(request: Request) -> Response:
    """An edition and where its deliveries stand: how many are in each state, and the
    rows in flight, held, failed and retrying (the report of `digest status`)."""
    ctx = context_of(request)
    edition_id: int = request.path_params["edition_id"]
    edition = await ctx.db(desk.edition, ctx.operations(), edition_id)
    report = await ctx.db(edition_deliveries, ctx.store, edition, now=ctx.now())
    detail = report.as_dict()
    return JSONResponse(
        {"edition": _edition_dict(edition) | {"items": len(edition.items)}, "deliveries": report.counts,
         "total": report.total}
        | {key: detail[key] for key in ("next_retry", "resent_after_crash", "in_flight", "held", "failed", "retrying")}
    )  # fmt: skip


@admin
@acts
async def test_send(request: Request) -> Response:
    """Send a test copy of an edition to up to 10 addresses given explicitly."""
    ctx = context_of(request)
    edition_id: int = request.path_params["edition_id"]
    body = await json_object(request)
    to = body.get("to")
    if not isinstance(to, list) or not to or not all(isinstance(a, str) for a in to):
        raise ValidationError("to: expected a non-empty list of addresses")
    if len(to) > desk.MAX_TEST_ADDRESSES:
        raise ValidationError(f"to: at most {desk.MAX_TEST_ADDRESSES} addresses")
    addresses = desk.parse_addresses(to)
    ops = ctx.operations()
    edition = await ctx.db(desk.edition, ops, edition_id)
    if ctx.proof_sender is None:
        return error(501, "test sending is not available in this process")
    results = await desk.send_test_copy(ops, api_actor(request), edition, addresses, ctx.proof_sender)
    log.info("test send", extra={"edition_id": edition_id, "count": len(addresses)})
    return JSONResponse({"edition_id": edition_id, "results": results})


@admin
@acts
async def edit_item(request: Request) -> Response:
    """Edit one story: ``headline``, ``summary`` (null restores the original) and/or
    ``dropped``; 409 once the edition's delivery has started."""
    ctx = context_of(request)
    position: int = request.path_params["position"]
    body = await json_object(request)
    unknown = set(body) - {"headline", "summary", "dropped"}
    if unknown:
        raise ValidationError(f"{sorted(unknown)[0]}: unknown field")
    for key in ("headline", "summary"):
        if key in body and body[key] is not None and (not isinstance(body[key], str) or not body[key].strip()):
            raise ValidationError(f"{key}: expected a non-empty string or null")
    if "dropped" in body and not isinstance(body["dropped"], bool):
        raise ValidationError("dropped: expected true or false")
    edition = await _edition(request)
    text = {key: body[key] for key in ("headline", "summary") if key in body}
    edit = await ctx.db(
        desk.edit_item, ctx.operations(), api_actor(request), edition, position, dropped=body.get("dropped"), **text
    )
    return JSONResponse(_edit_json(edition.id or 0, position, edit))


@admin
@acts
async def revert_item(request: Request) -> Response:
    """Take one story back to its original text, back in if it was dropped."""
    ctx = context_of(request)
    position: int = request.path_params["position"]
    edition = await _edition(request)
    await ctx.db(desk.revert_item, ctx.operations(), api_actor(request), edition, position)
    return JSONResponse(_edit_json(edition.id or 0, position, None))


@admin
@acts
async def pin_item(request: Request) -> Response:
    """Pin one story as the lead (``{"pinned": false}`` unpins it)."""
    ctx = context_of(request)
    position: int = request.path_params["position"]
    body = await json_object(request) if await request.body() else {}
    pinned = body.get("pinned", True)
    if not isinstance(pinned, bool):
        raise ValidationError("pinned: expected true or false")
    edition = await _edition(request)
    order = await ctx.db(desk.pin_item, ctx.operations(), api_actor(request), edition, position, pinned=pinned)
    return JSONResponse(_order_json(edition.id or 0, order))


@admin
@acts
async def move_item(request: Request) -> Response:
    """Move one story ``{"direction": "up"}`` or ``"down"`` among those of its kind."""
    ctx = context_of(request)
    position: int = request.path_params["position"]
    body = await json_object(request)
    direction = body.get("direction")
    if direction not in ("up", "down"):
        raise ValidationError("direction: expected up or down")
    edition = await _edition(request)
    order = await ctx.db(desk.move_item, ctx.operations(), api_actor(request), edition, position, direction)
    return JSONResponse(_order_json(edition.id or 0, order))


def _rebuilt_json(done: desk.Rebuilt) -> dict[str, Any]:
    unkept = [{"what": u.what, "headline": u.headline, "url": u.url} for u in done.unkept]
    return {"edition_id": done.edition.id, "items": len(done.edition.items), "unkept": unkept}


@admin
@acts
async def merge_stories(request: Request) -> Response:
    """Merge the story at ``{"other": position}`` into this one (its articles become
    "Lire aussi" sources); the edition is rebuilt, keeping the editor's decisions."""
    ctx = context_of(request)
    position: int = request.path_params["position"]
    body = await json_object(request)
    other = body.get("other")
    if not isinstance(other, int) or isinstance(other, bool) or other < 0:
        raise ValidationError("other: expected the position of the story to merge into this one")
    edition = await _edition(request)
    done = await ctx.db(stories.merge_stories, ctx.operations(), api_actor(request), edition, position, other)
    return JSONResponse(_rebuilt_json(done))


@admin
@acts
async def split_story(request: Request) -> Response:
    """Split one story back into one story per article; the edition is rebuilt."""
    ctx = context_of(request)
    position: int = request.path_params["position"]
    edition = await _edition(request)
    done = await ctx.db(stories.split_story, ctx.operations(), api_actor(request), edition, position)
    return JSONResponse(_rebuilt_json(done))


@admin
@acts
async def mark_finally(request: Request) -> Response:
    """Put one story in the "Et enfin" slot (``{"finally": false}`` takes it out and
    leaves the slot empty); the edition is rebuilt."""
    ctx = context_of(request)
    position: int = request.path_params["position"]
    body = await json_object(request) if await request.body() else {}
    marked = body.get("finally", True)
    if not isinstance(marked, bool):
        raise ValidationError("finally: expected true or false")
    edition = await _edition(request)
    done = await ctx.db(stories.mark_finally, ctx.operations(), api_actor(request), edition, position, marked=marked)
    return JSONResponse(_rebuilt_json(done))


@admin
@acts
async def approve(request: Request) -> Response:
    """Approve an edition for sending ([schedule] review = "approve")."""
    ctx = context_of(request)
    edition = await _edition(request)
    done = await ctx.db(desk.approve, ctx.operations(), api_actor(request), edition)
    return JSONResponse(
        {"edition_id": edition.id, "approved_by": done.approved_by, "approved_at": done.approved_at.isoformat()}
    )


@admin
@acts
async def withdraw(request: Request) -> Response:
    """Withdraw an edition's approval; 409 once its delivery has started."""
    ctx = context_of(request)
    edition = await _edition(request)
    was = await ctx.db(desk.withdraw, ctx.operations(), api_actor(request), edition)
    return JSONResponse({"edition_id": edition.id, "withdrawn": was is not None})


@admin
@acts
async def rebuild(request: Request) -> Response:
    """Rebuild an edition, keeping the editor's decisions by article URL; 409 listing
    those it could not keep unless ?force=true, and 409 once its delivery started."""
    ctx = context_of(request)
    edition = await _edition(request)
    force = request.query_params.get("force", "").lower() in ("1", "true", "yes")
    done = await ctx.db(
        desk.rebuild, ctx.operations(), api_actor(request), edition.edition_date, edition.language, force=force
    )
    return JSONResponse(_rebuilt_json(done))


@admin
async def failures(request: Request) -> Response:
    """The latest failed deliveries with the server's last reply (?limit=, 1-500)."""
    ctx = context_of(request)
    rows = await ctx.db(fixes.failures, ctx.operations(), limit=int_param(request, "limit", 100, 1, 500))
    return JSONResponse({"items": [_as_json(f) for f in rows]})


def _reopened_json(done: fixes.Reopened) -> dict[str, Any]:
    return {"edition_id": done.edition_id, "rows": done.count, "not_retried": done.left}


@admin
@acts
async def retry_failed(request: Request) -> Response:
    """Retry an edition's failed deliveries (confirmed subscribers only; the others are
    counted by status under ``not_retried``)."""
    ctx = context_of(request)
    edition = await _edition(request)
    done = await ctx.db(fixes.retry_failed, ctx.operations(), api_actor(request), edition.id or 0)
    return JSONResponse(_reopened_json(done))


@admin
@acts
async def release_held(request: Request) -> Response:
    """Send an edition's held deliveries again."""
    ctx = context_of(request)
    edition = await _edition(request)
    done = await ctx.db(fixes.release_held, ctx.operations(), api_actor(request), edition.id or 0)
    return JSONResponse(_reopened_json(done))


ITEM = "/editions/{edition_id:int}/items/{position:int}"
routes = [
    Route("/editions", list_editions, methods=["GET"]),
    Route("/editions/{edition_id:int}", edition_status, methods=["GET"]),
    Route("/editions/{edition_id:int}/test-send", test_send, methods=["POST"]),
    Route("/editions/{edition_id:int}/report", edition_report, methods=["GET"]),
    Route(ITEM, edit_item, methods=["PATCH"]),
    Route(f"{ITEM}/revert", revert_item, methods=["POST"]),
    Route(f"{ITEM}/pin", pin_item, methods=["POST"]),
    Route(f"{ITEM}/move", move_item, methods=["POST"]),
    Route(f"{ITEM}/merge", merge_stories, methods=["POST"]),
    Route(f"{ITEM}/split", split_story, methods=["POST"]),
    Route(f"{ITEM}/finally", mark_finally, methods=["POST"]),
    Route("/editions/{edition_id:int}/approve", approve, methods=["POST"]),
    Route("/editions/{edition_id:int}/withdraw", withdraw, methods=["POST"]),
    Route("/editions/{edition_id:int}/rebuild", rebuild, methods=["POST"]),
    Route("/deliveries/{edition_id:int}/retry-failed", retry_failed, methods=["POST"]),
    Route("/deliveries/{edition_id:int}/release-held", release_held, methods=["POST"]),
    Route("/deliveries/failures", failures, methods=["GET"]),
]
